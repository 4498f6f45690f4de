//! Boot on the embedded broker when a consumer group cannot be started: no
//! librdkafka setting depends on the group alone, so the second group's
//! subscribe step is made to fail here; the first group is real (its consumer
//! joins the broker's group on its own thread) and must be stopped.

use std::time::{Duration, Instant};

use super::*;
use crate::config::Config;
use crate::consumer::{Consumer, Context};
use crate::messages::Messages;
use crate::routing::definition::{ConsumerGroupDef, RouteOptions, TopicDef};
use crate::routing::Routes;

#[derive(Default)]
struct Nothing;

impl Consumer for Nothing {
    type Payload = serde_json::Value;

    async fn consume(&mut self, _: &mut Context, _: Messages<serde_json::Value>) -> Result<()> {
        Ok(())
    }
}

fn group(name: &str) -> ConsumerGroupDef {
    let topic = TopicDef::new::<Nothing, _>(
        &format!("{name}_events"),
        crate::deserializers::Json,
        RouteOptions::default(),
    );
    ConsumerGroupDef::new(name, RouteOptions::default(), vec![topic])
}

/// Names of this process's threads that run this test's consumer groups.
fn fetch_threads() -> Vec<String> {
    let tasks = std::fs::read_dir("/proc/self/task").expect("Linux lists a process's threads");
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| name == "karafka-first" || name == "karafka-second")
        .collect()
}

/// Fetch threads running when the second group was to start.
static RUNNING_BEFORE_SECOND: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn refuse_second(
    shared: GroupShared,
    brokers: &str,
    supervisor: GroupSupervisor,
) -> Result<GroupListener> {
    if &*shared.group.name == "second" {
        // A thread names itself once it runs.
        let deadline = Instant::now() + Duration::from_secs(5);
        while fetch_threads().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        *RUNNING_BEFORE_SECOND.lock().unwrap() = fetch_threads();
        return Err(Error::Internal("the second group cannot start".into()));
    }
    GroupListener::subscribe(shared, brokers, supervisor)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_that_cannot_start_stops_the_groups_started_before_it() {
    let broker = EmbeddedBroker::start().unwrap();
    broker.create_topic("first_events", 1).unwrap();
    broker.create_topic("second_events", 1).unwrap();
    let config = Config {
        client_id: "rollback".into(),
        brokers: vec![broker.bootstrap_servers().to_owned()],
        ..Config::default()
    };
    let routes = Routes::from_definitions(vec![group("first"), group("second")], &config).unwrap();
    let mut app = App::new(std::env::temp_dir(), config, routes);
    let statuses = Arc::new(std::sync::Mutex::new(Vec::new()));
    for event in ["app.running", "app.stopping", "app.stopped"] {
        let seen = statuses.clone();
        app.monitor_mut()
            .subscribe(event, move |e: &crate::Event| {
                seen.lock().unwrap().push(e.name());
            })
            .unwrap();
    }
    assert!(fetch_threads().is_empty(), "{:?}", fetch_threads());

    let error = spawn_with(app, refuse_second).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "internal error: the second group cannot start"
    );
    assert_eq!(*RUNNING_BEFORE_SECOND.lock().unwrap(), ["karafka-first"]);
    assert_eq!(*statuses.lock().unwrap(), ["app.stopping", "app.stopped"]);
    // The first group's thread has left its group; it ends once its client is destroyed.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !fetch_threads().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(fetch_threads(), Vec::<String>::new());
}
