//! `server --swarm N`: one command runs N supervised server processes (nodes)
//! of the app's binary — here the `recorder` app, which records the pid of the
//! node that consumed each message. Against Tansu (a broker in its own process)
//! for kills and stops; on the embedded broker the supervisor runs for the
//! development case.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use karafka::embedded::EmbeddedBroker;
use karafka::instrumentation::proctitle::process_title;
use karafka_tests::http::{get, sample};
use karafka_tests::kafka::{committed_offsets, create_topic, produce_sequence};
use karafka_tests::process::AppProcess;
use karafka_tests::records::{assert_order_per_lifetime, distinct, duplicates, read as records};
use karafka_tests::tansu::Tansu;
use karafka_tests::{app_dir, free_port, wait_until};

const RECORDER: &str = env!("CARGO_BIN_EXE_recorder");
const PARTITIONS: i32 = 6;
const MESSAGES: usize = 3_000;

/// Tansu with `events` (6 partitions) holding `MESSAGES` messages, and an app
/// directory pointing at it.
struct Stage {
    tansu: Tansu,
    dir: tempfile::TempDir,
    placed: BTreeSet<(i32, i64)>,
}

impl Stage {
    async fn new(client_id: &str) -> Stage {
        let tansu = Tansu::start();
        create_topic(tansu.address(), "events", PARTITIONS).await;
        let placed = produce_sequence(tansu.address(), "events", PARTITIONS, MESSAGES)
            .await
            .into_iter()
            .collect();
        // A killed member stays in the group until its session times out: keep that short.
        let dir = app_dir(&format!(
            "client_id = \"{client_id}\"\nbrokers = [\"{}\"]\nmax_messages = 10\nshutdown_timeout = 20000\n\n[kafka]\n\"session.timeout.ms\" = 6000\n",
            tansu.address()
        ));
        Stage { tansu, dir, placed }
    }

    fn record(&self) -> PathBuf {
        self.dir.path().join("records.txt")
    }

    fn swarm(&self, nodes: &str) -> AppProcess {
        self.app(&["server", "--swarm", nodes])
    }

    fn app(&self, args: &[&str]) -> AppProcess {
        AppProcess::spawn(
            Path::new(RECORDER),
            args,
            &[
                ("KARAFKA_ROOT", self.dir.path().to_str().unwrap()),
                ("RECORD_FILE", self.record().to_str().unwrap()),
                ("RECORD_DELAY_MS", "50"),
            ],
        )
    }
}

/// The nodes the supervisor logged as started, in order: (node, pid).
fn started_nodes(supervisor: &AppProcess) -> Vec<(u32, u32)> {
    supervisor
        .log()
        .lines()
        .filter_map(|line| {
            let rest = &line[line.find("Swarm node ")? + "Swarm node ".len()..];
            let (node, rest) = rest.split_once(" started (pid ")?;
            let pid = rest.split(')').next()?;
            Some((node.parse().ok()?, pid.parse().ok()?))
        })
        .collect()
}

fn pids(records: &[(u32, i32, i64)]) -> BTreeSet<u32> {
    records.iter().map(|&(pid, _, _)| pid).collect()
}

/// How many records each process made.
fn per_pid(records: &[(u32, i32, i64)]) -> BTreeMap<u32, usize> {
    let mut counts = BTreeMap::new();
    for &(pid, _, _) in records {
        *counts.entry(pid).or_default() += 1;
    }
    counts
}

fn is_running(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

fn kill(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {signal} {pid}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swarm_of_three_spreads_six_partitions_and_a_killed_node_is_restarted_losing_nothing() {
    let stage = Stage::new("swarm_kill").await;
    let record = stage.record();
    let mut supervisor = stage.swarm("3");
    // Each node has consumed a share before one is killed.
    let spread = wait_until(Duration::from_secs(90), || {
        let per_pid = per_pid(&records(&record));
        per_pid.len() == 3 && per_pid.values().all(|n| *n >= 100)
    });
    let seen = records(&record);
    assert!(
        spread,
        "messages are spread over all three nodes; consumed by {:?} ({} of {MESSAGES}):\n{}",
        pids(&seen),
        seen.len(),
        supervisor.log()
    );
    let nodes = started_nodes(&supervisor);
    assert_eq!(nodes.len(), 3, "{}", supervisor.log());
    assert_eq!(
        pids(&seen),
        nodes.iter().map(|&(_, pid)| pid).collect(),
        "every consuming process is a node the supervisor started"
    );

    let (victim_node, victim) = nodes[1];
    kill(victim, "-KILL");
    let killed_at = Instant::now();
    let consumed_at_kill = distinct(&records(&record)).len();
    assert!(consumed_at_kill < MESSAGES, "the kill lands mid-stream");
    let restarted = wait_until(Duration::from_secs(10), || {
        started_nodes(&supervisor)
            .iter()
            .any(|&(node, pid)| node == victim_node && pid != victim)
    });
    assert!(
        restarted,
        "node {victim_node} is restarted within 10 s of its kill:\n{}",
        supervisor.log()
    );
    let restart_took = killed_at.elapsed();

    let done = wait_until(Duration::from_secs(120), || {
        distinct(&records(&record)).len() >= stage.placed.len()
    });
    let all = records(&record);
    assert!(
        done,
        "only {} of {} consumed after the kill:\n{}",
        distinct(&all).len(),
        stage.placed.len(),
        supervisor.log()
    );
    assert_eq!(
        distinct(&all),
        stage.placed,
        "every offset is consumed at least once"
    );
    assert_order_per_lifetime(&all);
    let per_node = per_pid(&all);
    println!(
        "swarm kill: restarted in {} ms; {} of {MESSAGES} consumed at the kill; {} records in all; per pid {per_node:?}",
        restart_took.as_millis(),
        consumed_at_kill,
        all.len()
    );

    supervisor.signal(libc::SIGTERM);
    let status = supervisor.wait_exit(Duration::from_secs(60));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        supervisor.log()
    );
    drop(stage.tansu);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_to_the_supervisor_stops_every_node_gracefully_and_they_commit_exactly_what_they_consumed(
) {
    let stage = Stage::new("swarm_stop").await;
    let record = stage.record();
    let mut first = stage.swarm("3");
    let started = wait_until(Duration::from_secs(90), || {
        let seen = records(&record);
        pids(&seen).len() >= 2 && seen.len() >= 300
    });
    assert!(
        started,
        "the first swarm consumed too little:\n{}",
        first.log()
    );
    let nodes = started_nodes(&first);
    assert_eq!(nodes.len(), 3, "{}", first.log());
    first.signal(libc::SIGTERM);
    let status = first.wait_exit(Duration::from_secs(60));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "a graceful stop exits 0:\n{}",
        first.log()
    );
    for (node, pid) in &nodes {
        assert!(!is_running(*pid), "node {node} (pid {pid}) is gone");
        assert!(
            first.log().contains(&format!(
                "Swarm node {node} (pid {pid}) stopped (exit status: 0)"
            )),
            "node {node} stopped gracefully:\n{}",
            first.log()
        );
    }
    let consumed = records(&record);
    assert!(
        consumed.len() < stage.placed.len(),
        "the stop lands mid-stream"
    );
    assert_eq!(
        consumed.len(),
        distinct(&consumed).len(),
        "no message is consumed twice, the nodes' joins and stops included:\n{}",
        duplicates(&consumed)
    );
    assert_order_per_lifetime(&consumed);

    // A restart starts at the committed offsets: each partition's must be the
    // one after its last consumed message, with every message before it
    // consumed. (Checked on the broker rather than by restarting: Tansu's
    // coordinator sometimes never assigns a group that a member joins right
    // after all its members left, seen in CI under load. The mock cluster is
    // no stand-in: it refuses commits while a group rebalances, which Kafka
    // accepts from the members of the generation.)
    let next: BTreeMap<i32, Option<i64>> = (0..PARTITIONS)
        .map(|partition| {
            let last = consumed
                .iter()
                .filter(|&&(_, p, _)| p == partition)
                .map(|&(_, _, offset)| offset)
                .max();
            (partition, last.map(|offset| offset + 1))
        })
        .collect();
    let committed = committed_offsets(
        stage.tansu.address(),
        "swarm_stop_recorder",
        "events",
        PARTITIONS,
    );
    assert_eq!(
        committed, next,
        "every node commits what it consumed before it stops"
    );
    let below_committed: BTreeSet<(i32, i64)> = stage
        .placed
        .iter()
        .copied()
        .filter(|&(partition, offset)| next[&partition].is_some_and(|n| offset < n))
        .collect();
    assert_eq!(
        distinct(&consumed),
        below_committed,
        "nothing below a committed offset is skipped"
    );
    drop(stage.tansu);
}

#[test]
fn a_node_that_fails_at_boot_every_time_makes_the_supervisor_give_up_naming_the_cause() {
    // Nothing listens on the configured broker: every node fails its boot check.
    let dir = app_dir(&format!(
        "client_id = \"swarm_crash\"\nbrokers = [\"127.0.0.1:{}\"]\nconnect_timeout = 1000\n\n[swarm]\nmax_restarts = 3\nrestart_backoff = 100\n",
        free_port()
    ));
    let mut supervisor = AppProcess::spawn(
        Path::new(RECORDER),
        &["server", "--swarm", "2"],
        &[("KARAFKA_ROOT", dir.path().to_str().unwrap())],
    );
    let status = supervisor.wait_exit(Duration::from_secs(60));
    let log = supervisor.log();
    let code = status.and_then(|s| s.code());
    assert!(
        code.is_some_and(|c| c != 0),
        "the supervisor exits non-zero ({status:?}):\n{log}"
    );
    let verdict = log
        .lines()
        .find(|l| l.contains("Error: swarm:"))
        .unwrap_or_else(|| panic!("the supervisor's error:\n{log}"));
    assert!(
        verdict.contains("after 3 restarts within 60000 ms (swarm.max_restarts = 3)"),
        "{verdict}"
    );
    assert!(verdict.contains("exited with exit status: 1"), "{verdict}");
    assert!(
        verdict.contains("cannot reach the brokers"),
        "the cause is the node's own error: {verdict}"
    );
    assert_eq!(
        log.matches("restarting it in").count(),
        3,
        "three restarts, then it gives up:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_development_the_supervisor_runs_the_embedded_broker_titles_nodes_and_restarts_a_frozen_one(
) {
    // The liveness limit is max.poll.interval.ms: 3 s here.
    let dir = app_dir(
        "client_id = \"swarm_dev\"\n\n[kafka]\n\"max.poll.interval.ms\" = 3000\n\"session.timeout.ms\" = 3000\n\"heartbeat.interval.ms\" = 500\n",
    );
    let record = dir.path().join("records.txt");
    let mut supervisor = AppProcess::spawn(
        Path::new(RECORDER),
        &["server", "--swarm", "2", "--metrics", "127.0.0.1:0"],
        &[
            ("KARAFKA_ROOT", dir.path().to_str().unwrap()),
            ("RECORD_FILE", record.to_str().unwrap()),
        ],
    );
    let metrics = {
        assert!(
            supervisor.wait_for_line("Swarm metrics on http://", Duration::from_secs(60)),
            "{}",
            supervisor.log()
        );
        let log = supervisor.log();
        let rest = &log[log.find("Swarm metrics on http://").unwrap() + 24..];
        rest[..rest.find("/metrics").unwrap()].to_owned()
    };
    let all_running = || {
        get(&metrics, "/metrics").is_ok_and(|(_, text)| {
            (1..=2).all(|n| {
                sample(
                    &text,
                    &format!("karafka_swarm_node_status{{node=\"{n}\",status=\"running\"}}"),
                ) == Some(1.0)
            })
        })
    };
    assert!(
        wait_until(Duration::from_secs(60), all_running),
        "{}",
        supervisor.log()
    );
    let brokers = EmbeddedBroker::discover(dir.path(), "swarm_dev")
        .expect("the supervisor advertises its embedded broker");
    produce_sequence(&brokers, "events", 3, 300).await;
    // The supervisor's sum over its nodes matches what they recorded (a
    // rebalance may replay a batch, so that can be more than 300).
    let consumed = wait_until(Duration::from_secs(60), || {
        let recorded = records(&record);
        distinct(&recorded).len() == 300
            && get(&metrics, "/metrics").is_ok_and(|(_, text)| {
                sample(&text, "karafka_swarm_messages_consumed_total")
                    == Some(recorded.len() as f64)
            })
    });
    assert!(
        consumed,
        "{} records\n{}",
        records(&record).len(),
        get(&metrics, "/metrics").unwrap().1
    );

    assert_eq!(
        process_title(supervisor.pid()).unwrap(),
        "karafka swarm_dev (swarm supervisor)"
    );
    let nodes = started_nodes(&supervisor);
    for &(node, pid) in &nodes {
        assert_eq!(
            process_title(pid).unwrap(),
            format!("karafka swarm_dev node {node} (running)")
        );
    }
    // Each node serves its own /live (port 0 here: the supervisor lists where).
    let (_, text) = get(&metrics, "/metrics").unwrap();
    let node_live: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("karafka_swarm_node_info{"))
        .filter_map(|l| {
            l.split("metrics=\"")
                .nth(1)?
                .split('"')
                .next()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(node_live.len(), 2, "{text}");
    for address in &node_live {
        assert_eq!(get(address, "/live").unwrap(), (200, "ok\n".to_owned()));
    }
    assert_eq!(get(&metrics, "/live").unwrap().0, 200);

    // A frozen node stops reporting: past max.poll.interval.ms it is killed and restarted.
    let (frozen_node, frozen) = nodes[0];
    kill(frozen, "-STOP");
    let restarted = wait_until(Duration::from_secs(20), || {
        started_nodes(&supervisor)
            .iter()
            .any(|&(node, pid)| node == frozen_node && pid != frozen)
    });
    assert!(restarted, "{}", supervisor.log());
    assert!(
        supervisor.log().contains(&format!(
            "Swarm node {frozen_node} (pid {frozen}) stalled: no report for"
        )),
        "{}",
        supervisor.log()
    );
    assert!(
        wait_until(Duration::from_secs(60), all_running),
        "{}",
        supervisor.log()
    );

    supervisor.signal(libc::SIGTERM);
    let status = supervisor.wait_exit(Duration::from_secs(60));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        supervisor.log()
    );
    assert!(
        EmbeddedBroker::discover(dir.path(), "swarm_dev").is_none(),
        "the embedded broker stopped with the supervisor"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_still_busy_past_shutdown_timeout_make_the_supervisor_exit_2() {
    // Short sessions: the embedded broker settles a rebalance within about one.
    let dir = app_dir(
        "client_id = \"swarm_forced\"\nshutdown_timeout = 2000\n\n[kafka]\n\"session.timeout.ms\" = 3000\n\"heartbeat.interval.ms\" = 500\n",
    );
    let record = dir.path().join("records.txt");
    let mut supervisor = AppProcess::spawn(
        Path::new(RECORDER),
        &["server", "--swarm", "2"],
        &[
            ("KARAFKA_ROOT", dir.path().to_str().unwrap()),
            ("RECORD_FILE", record.to_str().unwrap()),
            // Every batch takes a minute: far past shutdown_timeout.
            ("RECORD_DELAY_MS", "60000"),
        ],
    );
    let assigned = wait_until(Duration::from_secs(60), || {
        let log = supervisor.log();
        (1..=2).all(|n| {
            log.lines()
                .any(|l| l.starts_with(&format!("[node {n}]")) && l.contains("Partitions assigned"))
        })
    });
    assert!(assigned, "{}", supervisor.log());
    let brokers = EmbeddedBroker::discover(dir.path(), "swarm_forced").unwrap();
    produce_sequence(&brokers, "events", 3, 30).await;
    std::thread::sleep(Duration::from_secs(2));
    let stopping = Instant::now();
    supervisor.signal(libc::SIGTERM);
    let status = supervisor.wait_exit(Duration::from_secs(30));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(2),
        "{}",
        supervisor.log()
    );
    assert!(stopping.elapsed() < Duration::from_secs(10));
    let log = supervisor.log();
    let verdict = log
        .lines()
        .find(|l| !l.starts_with("[node") && l.contains("Forced shutdown:"))
        .unwrap_or_else(|| panic!("the supervisor's own verdict:\n{log}"));
    assert!(
        verdict.contains("shutdown did not finish within 2000 ms")
            && verdict.contains("forced its own shutdown"),
        "{verdict}"
    );
    for (node, pid) in started_nodes(&supervisor) {
        assert!(!is_running(pid), "node {node} (pid {pid}) is gone:\n{log}");
    }
}
