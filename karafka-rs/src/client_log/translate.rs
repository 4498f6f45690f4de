//! librdkafka's error words turned into what they mean for the user, with a
//! cause key that is the same for every repeat of the same failure (whichever
//! client, callback or connection attempt reported it).

/// A client error or warning, translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Translated {
    /// What repeats of the same failure share.
    pub(crate) cause: String,
    /// The text to show.
    pub(crate) text: String,
}

/// Translates librdkafka's `text` (a log line or an error's reason).
pub(crate) fn translate(text: &str) -> Translated {
    let text = text.trim();
    if let Some(translated) = connect_failed(text)
        .or_else(|| resolve_failed(text))
        .or_else(|| brokers_down(text))
        .or_else(|| disconnected(text))
    {
        return translated;
    }
    let text = without_thread_tag(without_timing(text));
    Translated {
        cause: text.replace(|c: char| c.is_ascii_digit(), ""),
        text: text.to_owned(),
    }
}

/// `... Connect to ipv4#127.0.0.1:9092 failed: Connection refused (after 0ms in state CONNECT)`.
fn connect_failed(text: &str) -> Option<Translated> {
    let rest = &text[text.find("Connect to ")? + "Connect to ".len()..];
    let (address, reason) = rest.split_once(" failed: ")?;
    let address = address.split_once('#').map_or(address, |(_, a)| a);
    Some(unreachable(address, &without_timing(reason).to_lowercase()))
}

/// `... Failed to resolve 'nohost:9092': Name or service not known (after 2ms in state CONNECT)`.
fn resolve_failed(text: &str) -> Option<Translated> {
    let rest = &text[text.find("Failed to resolve '")? + "Failed to resolve '".len()..];
    let (address, reason) = rest.split_once('\'')?;
    let reason = without_timing(reason.trim_start_matches(':').trim());
    Some(unreachable(
        address,
        &format!("cannot resolve its name ({reason})"),
    ))
}

fn unreachable(address: &str, reason: &str) -> Translated {
    let cause = format!("broker {address} unreachable");
    Translated {
        text: format!("{cause}: {reason}"),
        cause,
    }
}

/// `1/1 brokers are down` (AllBrokersDown), whatever the counts.
fn brokers_down(text: &str) -> Option<Translated> {
    // librdkafka counts the bootstrap brokers apart ("0/1 brokers are down").
    text.strip_suffix(" brokers are down")?;
    let cause = "no broker reachable".to_owned();
    Some(Translated {
        text: cause.clone(),
        cause,
    })
}

/// `127.0.0.1:9092/1: Disconnected (after 4001ms in state UP)`.
fn disconnected(text: &str) -> Option<Translated> {
    let (name, rest) = without_thread_tag(text).split_once(": ")?;
    let rest = without_timing(rest);
    if !(rest.starts_with("Disconnected") || rest.starts_with("Connection closed")) {
        return None;
    }
    let address = name.split('/').next().unwrap_or(name);
    let cause = format!("broker {address} closed the connection");
    Some(Translated {
        text: cause.clone(),
        cause,
    })
}

/// `text` without a trailing `(after 0ms in state CONNECT...)`.
fn without_timing(text: &str) -> &str {
    match text.rfind(" (after ") {
        Some(at) if text.ends_with(')') => &text[..at],
        _ => text,
    }
}

/// `text` without a leading `[thrd:...]: ` tag.
fn without_thread_tag(text: &str) -> &str {
    text.strip_prefix("[thrd:")
        .and_then(|rest| rest.split_once("]: "))
        .map_or(text, |(_, rest)| rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_connections_of_one_broker_share_a_cause_whoever_reports_them() {
        let log = translate("[thrd:127.0.0.1:9092/bootstrap]: 127.0.0.1:9092/bootstrap: Connect to ipv4#127.0.0.1:9092 failed: Connection refused (after 0ms in state CONNECT, 3 identical error(s) suppressed)");
        let error = translate("GroupCoordinator: 127.0.0.1:9092: Connect to ipv4#127.0.0.1:9092 failed: Connection refused (after 1ms in state CONNECT)");
        assert_eq!(log.cause, "broker 127.0.0.1:9092 unreachable");
        assert_eq!(log, error);
        assert_eq!(
            log.text,
            "broker 127.0.0.1:9092 unreachable: connection refused"
        );
    }

    #[test]
    fn unresolvable_names_and_all_brokers_down_are_said_plainly() {
        let resolve = translate("nohost:9092/bootstrap: Failed to resolve 'nohost:9092': Name or service not known (after 3ms in state CONNECT)");
        assert_eq!(
            resolve.text,
            "broker nohost:9092 unreachable: cannot resolve its name (Name or service not known)"
        );
        let down = translate("2/2 brokers are down");
        assert_eq!(down.text, "no broker reachable");
        assert_eq!(down.cause, translate("1/2 brokers are down").cause);
    }

    #[test]
    fn closed_connections_name_the_broker() {
        let closed = translate("127.0.0.1:9092/1: Disconnected (after 4001ms in state UP)");
        assert_eq!(closed.text, "broker 127.0.0.1:9092 closed the connection");
        assert_eq!(
            closed.cause,
            translate("127.0.0.1:9092/bootstrap: Connection closed (after 12ms in state UP)").cause
        );
    }

    #[test]
    fn other_words_keep_their_text_and_repeat_as_one_cause_whatever_the_numbers() {
        let first = translate("Commit failed: timed out after 5000 ms (after 5001ms in state UP)");
        let second = translate("Commit failed: timed out after 6000 ms");
        assert_eq!(first.text, "Commit failed: timed out after 5000 ms");
        assert_eq!(first.cause, second.cause);
    }
}
