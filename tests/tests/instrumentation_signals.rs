//! `process.notice_signal`: the signals a running server acts on are reported.
//! Alone in its binary, since it signals its own process.

use std::process::Command;
use std::time::Duration;

use karafka::embedded::EmbeddedBroker;
use karafka::instrumentation::Event;
use karafka::{Consumer, Context, Messages};
use karafka_tests::{app_on, eventually, EventLog};

#[derive(Default)]
struct Idle;

impl Consumer for Idle {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _: &mut Context,
        _: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        Ok(())
    }
}

karafka::routes! {
    consumer_group signalled {
        topic signals { consumer: Idle }
    }
}

fn signal_self(signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(std::process::id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigtstp_and_sigterm_are_reported_as_process_notice_signal_before_quiet_and_stop() {
    let broker = EmbeddedBroker::start().unwrap();
    broker.create_topic("signals", 1).unwrap();
    let events = EventLog::default();
    let app = app_on(broker.bootstrap_servers(), "signals", |_| {}).listener(events.listener());
    let running = tokio::spawn(async move { app.run().await });
    // The handlers are installed before the server boots, so before app.running.
    assert!(eventually(Duration::from_secs(60), || events.count("app.running") == 1).await);

    signal_self("TSTP");
    assert!(
        eventually(Duration::from_secs(30), || events.count("app.quieting")
            == 1)
        .await
    );
    signal_self("TERM");
    let stopped = tokio::time::timeout(Duration::from_secs(60), running).await;
    stopped.expect("SIGTERM stops the server").unwrap().unwrap();

    let order: Vec<String> = events.matching(|e| match e {
        Event::ProcessNoticeSignal(s) => Some(format!("signal {}", s.signal)),
        Event::AppQuieting(_) | Event::AppStopping(_) | Event::AppStopped(_) => {
            Some(e.name().to_owned())
        }
        _ => None,
    });
    assert_eq!(
        order,
        [
            "signal SIGTSTP",
            "app.quieting",
            "signal SIGTERM",
            "app.stopping",
            "app.stopped"
        ]
    );
}
