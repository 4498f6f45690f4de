//! What a node tells its supervisor over the swarm socket, one line at a time:
//! `hello <node> <pid> <metrics address or ->` once, then every
//! [`BEAT_INTERVAL`] `beat <status> <fetch loop idle ms> <messages consumed>`.

use std::time::Duration;

/// How often a node reports.
pub(crate) const BEAT_INTERVAL: Duration = Duration::from_millis(500);

/// One line from a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Report {
    /// The node's first line: who it is and where its metrics are served.
    Hello {
        node: u32,
        pid: u32,
        metrics: Option<String>,
    },
    /// The node is alive.
    Beat {
        /// `booting`, or the app status (`running`, `quieting`, ...).
        status: String,
        /// How long the most idle fetch loop has gone without iterating.
        idle: Duration,
        /// Messages consumed successfully in this node's lifetime.
        consumed: u64,
    },
}

impl Report {
    /// The report as a line, newline included.
    pub(crate) fn line(&self) -> String {
        match self {
            Report::Hello { node, pid, metrics } => {
                format!("hello {node} {pid} {}\n", metrics.as_deref().unwrap_or("-"))
            }
            Report::Beat {
                status,
                idle,
                consumed,
            } => format!("beat {status} {} {consumed}\n", idle.as_millis()),
        }
    }

    /// Reads a line written by [`Report::line`]; `None` when it is not one.
    pub(crate) fn parse(line: &str) -> Option<Report> {
        let mut fields = line.split_whitespace();
        match fields.next()? {
            "hello" => Some(Report::Hello {
                node: fields.next()?.parse().ok()?,
                pid: fields.next()?.parse().ok()?,
                metrics: fields.next().filter(|m| *m != "-").map(str::to_owned),
            }),
            "beat" => Some(Report::Beat {
                status: fields.next()?.to_owned(),
                idle: Duration::from_millis(fields.next()?.parse().ok()?),
                consumed: fields.next()?.parse().ok()?,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_read_back_as_written() {
        for report in [
            Report::Hello {
                node: 2,
                pid: 4242,
                metrics: Some("127.0.0.1:9396".into()),
            },
            Report::Hello {
                node: 1,
                pid: 7,
                metrics: None,
            },
            Report::Beat {
                status: "running".into(),
                idle: Duration::from_millis(120),
                consumed: 99,
            },
        ] {
            assert_eq!(Report::parse(&report.line()), Some(report));
        }
        assert_eq!(Report::parse("beat running ten 1"), None);
    }
}
