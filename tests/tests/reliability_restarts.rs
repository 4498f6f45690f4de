//! Reliability: a server process killed (SIGKILL) or stopped (SIGTERM) over and
//! over at random moments and restarted each time, against a broker in another
//! process (the embedded mock cluster, run by this crate's `mock_broker` bin:
//! Tansu takes many seconds per group join on six partitions). Each scenario
//! prints a `reliability scenario=...` summary line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use karafka_tests::kafka::{committed_offsets, produce_sequence};
use karafka_tests::mock_broker::MockBrokerProcess;
use karafka_tests::process::AppProcess;
use karafka_tests::records::{assert_order_per_lifetime, distinct, read as records};
use karafka_tests::reliability::{replays_per_lifetime, tally, Rng, Summary};
use karafka_tests::{app_dir, wait_until};

const RECORDER: &str = env!("CARGO_BIN_EXE_recorder");
const MOCK_BROKER: &str = env!("CARGO_BIN_EXE_mock_broker");
const PARTITIONS: i32 = 6;
const RESTARTS: usize = 20;

/// A broker process with `events` produced, and an app directory pointing at it.
struct Stage {
    broker: MockBrokerProcess,
    dir: tempfile::TempDir,
    placed: BTreeSet<(i32, i64)>,
    placed_list: Vec<(i32, i64)>,
}

impl Stage {
    async fn new(client_id: &str, messages: usize) -> Stage {
        let broker = MockBrokerProcess::start(Path::new(MOCK_BROKER), &[("events", PARTITIONS)]);
        let placed_list = produce_sequence(broker.address(), "events", PARTITIONS, messages).await;
        // A killed member stays in the group until its session times out: keep that short.
        let dir = app_dir(&format!(
            "client_id = \"{client_id}\"\nbrokers = [\"{}\"]\nmax_messages = 20\nshutdown_timeout = 30000\n\n[kafka]\n\"session.timeout.ms\" = 3000\n\"heartbeat.interval.ms\" = 500\n",
            broker.address()
        ));
        Stage {
            broker,
            dir,
            placed: placed_list.iter().copied().collect(),
            placed_list,
        }
    }

    fn record(&self) -> PathBuf {
        self.dir.path().join("records.txt")
    }

    fn start(&self, delay_ms: u64) -> AppProcess {
        AppProcess::spawn(
            Path::new(RECORDER),
            &["server"],
            &[
                ("KARAFKA_ROOT", self.dir.path().to_str().unwrap()),
                ("RECORD_FILE", self.record().to_str().unwrap()),
                ("RECORD_DELAY_MS", &delay_ms.to_string()),
            ],
        )
    }

    /// Runs a last server until every message is recorded and committed (a
    /// replay after a late rebalance is committed by the interval commit: the
    /// mock cluster refuses commits during a rebalance), stops it with SIGTERM
    /// and checks the committed offsets end after the last messages.
    fn drain(&self, delay_ms: u64, lifetimes: &mut Vec<u32>) {
        let mut last = self.start(delay_ms);
        lifetimes.push(last.pid());
        let done = wait_until(Duration::from_secs(180), || {
            distinct(&records(&self.record())).len() >= self.placed.len()
        });
        assert!(
            done,
            "{} of {} messages processed after the last restart:\n{}",
            distinct(&records(&self.record())).len(),
            self.placed.len(),
            last.log()
        );
        let ends: BTreeMap<i32, Option<i64>> = (0..PARTITIONS)
            .map(|partition| {
                let end = self
                    .placed_list
                    .iter()
                    .filter(|(p, _)| *p == partition)
                    .map(|(_, o)| o + 1)
                    .max();
                (partition, end)
            })
            .collect();
        let committed = || {
            committed_offsets(
                self.broker.address(),
                &group(&self.dir),
                "events",
                PARTITIONS,
            )
        };
        let caught_up = wait_until(Duration::from_secs(120), || committed() == ends);
        assert!(
            caught_up,
            "the running server commits every partition's end {ends:?}: {:?}\n{}",
            committed(),
            last.log()
        );
        last.signal(libc::SIGTERM);
        let status = last.wait_exit(Duration::from_secs(60));
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(0),
            "the last server stops gracefully:\n{}",
            last.log()
        );
        assert_eq!(committed(), ends, "the commits end after the last messages");
    }
}

/// The recorder's group id: `<client_id>_recorder`.
fn group(dir: &tempfile::TempDir) -> String {
    let toml = std::fs::read_to_string(dir.path().join("karafka.toml")).unwrap();
    let client_id = toml
        .lines()
        .find_map(|l| l.strip_prefix("client_id = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("client_id in karafka.toml");
    format!("{client_id}_recorder")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_loop_of_20_sigkills_loses_nothing_and_keeps_partition_order_per_lifetime() {
    const MESSAGES: usize = 20_000;
    const DELAY_MS: u64 = 5;
    let stage = Stage::new("crash_loop", MESSAGES).await;
    let record = stage.record();
    let mut rng = Rng::from_env("crash_loop");
    let mut lifetimes = Vec::new();
    for kill in 0..RESTARTS {
        let server = stage.start(DELAY_MS);
        lifetimes.push(server.pid());
        let before = records(&record).len();
        if rng.between(1, 5) == 1 {
            // Any moment: while booting, joining the group, or consuming.
            std::thread::sleep(Duration::from_millis(rng.between(50, 3000)));
        } else {
            // Mid-stream: after a random amount of progress, plus a random instant.
            let progress = rng.between(20, 1500) as usize;
            let moved = wait_until(Duration::from_secs(60), || {
                records(&record).len() >= before + progress
            });
            assert!(
                moved || distinct(&records(&record)).len() >= MESSAGES,
                "lifetime {kill} made no progress:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(rng.between(0, 200)));
        }
        server.signal(libc::SIGKILL);
        drop(server);
    }
    stage.drain(DELAY_MS, &mut lifetimes);

    let all = records(&record);
    assert_order_per_lifetime(&all);
    let processed: Vec<(i32, i64)> = all.iter().map(|&(_, p, o)| (p, o)).collect();
    let (lost, duplicates) = tally(&stage.placed, &processed);
    let replays = replays_per_lifetime(&all, &lifetimes);
    Summary::new("crash_loop", MESSAGES, RESTARTS, lost, duplicates)
        .with("max_replay", replays.iter().max().copied().unwrap_or(0))
        .with(
            "replays_per_kill",
            replays[1..]
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(","),
        )
        .print();
    assert_eq!(lost, 0, "every produced message is processed at least once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_sigterms_mid_batch_with_restarts_process_every_message_exactly_once() {
    // Enough that the worker pool (six partitions at once) does not run out
    // before the last stop: a lifetime goes on a little past its target.
    const MESSAGES: usize = 18_000;
    // Each batch of 20 takes at least 50 ms, so a signal almost always lands inside one.
    const DELAY_MS: u64 = 50;
    let stage = Stage::new("graceful_stop", MESSAGES).await;
    let record = stage.record();
    let mut rng = Rng::from_env("graceful_stop");
    let mut lifetimes = Vec::new();
    for stop in 0..RESTARTS {
        let mut server = stage.start(DELAY_MS);
        lifetimes.push(server.pid());
        let before = records(&record).len();
        let progress = rng.between(1, 300) as usize;
        assert!(
            distinct(&records(&record)).len() + progress <= MESSAGES,
            "the messages ran out before stop {stop}: produce more"
        );
        let moved = wait_until(Duration::from_secs(60), || {
            records(&record).len() >= before + progress
        });
        assert!(moved, "lifetime {stop} made no progress:\n{}", server.log());
        std::thread::sleep(Duration::from_millis(rng.between(0, 40)));
        server.signal(libc::SIGTERM);
        let status = server.wait_exit(Duration::from_secs(60));
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(0),
            "stop {stop} is graceful:\n{}",
            server.log()
        );
    }
    stage.drain(DELAY_MS, &mut lifetimes);
    // Give a late duplicate the chance to show up.
    std::thread::sleep(Duration::from_secs(1));

    let all = records(&record);
    assert_order_per_lifetime(&all);
    let processed: Vec<(i32, i64)> = all.iter().map(|&(_, p, o)| (p, o)).collect();
    let (lost, duplicates) = tally(&stage.placed, &processed);
    Summary::new("graceful_stop", MESSAGES, RESTARTS, lost, duplicates).print();
    assert_eq!(lost, 0, "every produced message is processed");
    assert_eq!(
        duplicates,
        0,
        "no message is processed twice across graceful restarts (per lifetime: {:?})",
        replays_per_lifetime(&all, &lifetimes)
    );
}
