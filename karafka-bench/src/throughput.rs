//! Throughput: karafka-rs with the inline backend and with the worker pool
//! against hand-written rdkafka loops (see `raw`), on the same backlog of JSON
//! messages; each consumer deserializes every message and does nothing else.
//! Runs alternate between the contenders; each figure is the median of
//! `--runs`. Besides msg/s: CPU µs per message (this process over the timed
//! window, so on the embedded broker the broker's share is included) and, on a
//! broker of its own process (Tansu), the broker's CPU seconds per run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use karafka::{Backend, Consumer, Context, Messages};

use crate::apps::{fresh_client_id, single_route};
use crate::broker::Broker;
use crate::raw::RawLoop;
use crate::report::figure;
use crate::{BrokerKind, Options};

/// The backlog of the default run (100-byte messages).
pub const TOPIC: &str = "bench_throughput";
/// Partitions of every backlog topic.
pub const PARTITIONS: i32 = 10;
/// Messages in the default backlog on the embedded broker (30,000 per
/// partition, 3 MB: within the mock cluster's 5 MiB).
pub const MESSAGES: usize = 300_000;

/// A backlog to drain: its topic, size and how consumers reach it.
#[derive(Debug, Clone)]
pub struct Backlog {
    /// The topic.
    pub topic: String,
    /// Messages in it.
    pub messages: usize,
    /// Payload bytes per message.
    pub size: usize,
    /// The broker it is on.
    pub broker: BrokerKind,
}

impl Backlog {
    /// The backlog `options` ask for on `broker`: by default 300,000 messages
    /// of 100 B on the embedded broker (40,000 of 1,000 B: the mock cluster
    /// keeps 5 MiB per partition), 2,000,000 of 100 B on Tansu (400,000 of
    /// 1,000 B).
    pub fn new(broker: BrokerKind, options: &Options) -> Self {
        let size = options.size as usize;
        let default = match (broker, size <= 100) {
            (BrokerKind::Embedded, true) => MESSAGES,
            (BrokerKind::Embedded, false) => (4_000_000 / size).max(1) * PARTITIONS as usize,
            (BrokerKind::Tansu, true) => 2_000_000,
            (BrokerKind::Tansu, false) => 400_000_000 / size,
        };
        Backlog {
            topic: if size == 100 {
                TOPIC.to_owned()
            } else {
                format!("{TOPIC}_{size}b")
            },
            messages: options.messages.unwrap_or(default),
            size,
            broker,
        }
    }

    /// The figures' name suffix: none for 100-byte messages.
    fn suffix(&self) -> String {
        if self.size == 100 {
            String::new()
        } else {
            format!("_{}b", self.size)
        }
    }

    /// Settings every consumer of the run gets besides its defaults: on
    /// Tansu, a short session timeout (its group join takes about 20 s with
    /// librdkafka's default, ~3 s with this; the timed window starts later).
    pub fn consumer_settings(&self) -> Vec<(&'static str, String)> {
        match self.broker {
            BrokerKind::Tansu => vec![("session.timeout.ms", "6000".to_owned())],
            BrokerKind::Embedded => Vec::new(),
        }
    }
}

/// The timed window of one run: from the first message consumed to the last,
/// in wall time and in this process's CPU time.
#[derive(Debug, Default, Clone, Copy)]
pub struct Window {
    start: Option<(Instant, Duration)>,
    end: Option<(Instant, Duration)>,
}

impl Window {
    /// Marks the start, unless started already.
    pub fn start(&mut self) {
        if self.start.is_none() {
            self.start = Some((Instant::now(), crate::cpu::process()));
        }
    }

    /// Marks the end.
    pub fn end(&mut self) {
        self.end = Some((Instant::now(), crate::cpu::process()));
    }

    /// Wall and CPU time between start and end.
    fn spans(&self) -> anyhow::Result<(Duration, Duration)> {
        let (Some((wall0, cpu0)), Some((wall1, cpu1))) = (self.start, self.end) else {
            anyhow::bail!("the run was not timed");
        };
        Ok((wall1 - wall0, cpu1.saturating_sub(cpu0)))
    }
}

static CONSUMED: AtomicUsize = AtomicUsize::new(0);
static TARGET: AtomicUsize = AtomicUsize::new(usize::MAX);
static WINDOW: Mutex<Window> = Mutex::new(Window {
    start: None,
    end: None,
});

/// Deserializes every message and does nothing else.
#[derive(Default)]
pub struct Deserializing;

impl Consumer for Deserializing {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        if let Ok(mut window) = WINDOW.lock() {
            window.start();
        }
        for message in &messages {
            message.payload()?;
        }
        let consumed = CONSUMED.fetch_add(messages.len(), Ordering::AcqRel) + messages.len();
        if consumed >= TARGET.load(Ordering::Acquire) {
            if let Ok(mut window) = WINDOW.lock() {
                if window.end.is_none() {
                    window.end();
                }
            }
        }
        Ok(())
    }
}

/// One consumer under measurement.
#[derive(Debug, Clone, Copy)]
pub enum Contender {
    /// A hand-written rdkafka loop.
    Raw(RawLoop),
    /// karafka-rs on a backend, with its shipped defaults.
    Karafka(Backend),
}

impl Contender {
    /// The name in figures: `raw` (the fair loop), `raw_per_message`, `ceiling`, `inline`, `pool`.
    pub fn name(self) -> &'static str {
        match self {
            Contender::Raw(RawLoop::PerRound) => "raw",
            Contender::Raw(RawLoop::PerMessage) => "raw_per_message",
            Contender::Raw(RawLoop::CountOnly) => "ceiling",
            Contender::Karafka(Backend::Inline) => "inline",
            Contender::Karafka(Backend::WorkerPool) => "pool",
        }
    }

    async fn run(self, broker: &Broker, backlog: &Backlog) -> anyhow::Result<Window> {
        match self {
            Contender::Raw(raw) => raw.run(broker.address(), backlog).await,
            Contender::Karafka(backend) => karafka_window(broker.address(), backend, backlog).await,
        }
    }
}

/// The medians of one contender's runs.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    /// Messages per second.
    pub rate: f64,
    /// CPU µs per message of this process.
    pub cpu_us: f64,
    /// CPU seconds of the broker process per run, when it has one.
    pub broker_cpu_s: Option<f64>,
}

/// Creates and fills the default backlog topic (100-byte messages).
pub async fn prepare(broker: &Broker) -> anyhow::Result<()> {
    let backlog = Backlog::new(broker.kind(), &Options::default());
    prepare_backlog(broker, &backlog).await
}

/// Creates and fills `backlog`'s topic.
pub async fn prepare_backlog(broker: &Broker, backlog: &Backlog) -> anyhow::Result<()> {
    broker.create_topic(&backlog.topic, PARTITIONS).await?;
    eprintln!(
        "producing {} messages of {} bytes over {PARTITIONS} partitions",
        backlog.messages, backlog.size
    );
    let (brokers, topic, count, size) = (
        broker.address().to_owned(),
        backlog.topic.clone(),
        backlog.messages,
        backlog.size,
    );
    tokio::task::spawn_blocking(move || {
        crate::data::produce_sized_backlog(&brokers, &topic, PARTITIONS, count, size)
    })
    .await??;
    Ok(())
}

/// The throughput scenario: the fair raw loop, the per-message raw loop,
/// inline and worker pool; prints each one's figures and the ratios to the fair loop.
pub async fn run(broker: &Broker, options: &Options) -> anyhow::Result<()> {
    let backlog = Backlog::new(broker.kind(), options);
    let contenders = [
        Contender::Raw(RawLoop::PerRound),
        Contender::Raw(RawLoop::PerMessage),
        Contender::Karafka(Backend::Inline),
        Contender::Karafka(Backend::WorkerPool),
    ];
    let figures = measure(broker, &backlog, &contenders, options.runs as usize).await?;
    report(&backlog, &contenders, &figures, "raw");
    Ok(())
}

/// The ceiling scenario: the count-only loop against inline and worker pool.
pub async fn ceiling(broker: &Broker, options: &Options) -> anyhow::Result<()> {
    let backlog = Backlog::new(broker.kind(), options);
    let contenders = [
        Contender::Raw(RawLoop::CountOnly),
        Contender::Karafka(Backend::Inline),
        Contender::Karafka(Backend::WorkerPool),
    ];
    let figures = measure(broker, &backlog, &contenders, options.runs as usize).await?;
    report(&backlog, &contenders, &figures, "ceiling");
    Ok(())
}

/// Runs the contenders `runs` times, alternating; returns the medians.
pub async fn measure(
    broker: &Broker,
    backlog: &Backlog,
    contenders: &[Contender],
    runs: usize,
) -> anyhow::Result<Vec<Figures>> {
    let mut samples: Vec<Vec<(f64, f64, Option<f64>)>> = vec![Vec::new(); contenders.len()];
    for run in 1..=runs {
        let mut line = format!("run {run}:");
        for (contender, samples) in contenders.iter().zip(&mut samples) {
            let broker_before = broker.pid().map(crate::cpu::of_process).transpose()?;
            let window = contender.run(broker, backlog).await?;
            let broker_after = broker.pid().map(crate::cpu::of_process).transpose()?;
            let (wall, cpu) = window.spans()?;
            let rate = backlog.messages as f64 / wall.as_secs_f64();
            let cpu_us = cpu.as_secs_f64() * 1e6 / backlog.messages as f64;
            let broker_cpu = broker_before
                .zip(broker_after)
                .map(|(before, after)| after.saturating_sub(before).as_secs_f64());
            line.push_str(&format!(
                " {} {rate:.0} msg/s {cpu_us:.2} µs/msg",
                contender.name()
            ));
            if let Some(seconds) = broker_cpu {
                line.push_str(&format!(" broker {seconds:.2} s;"));
            } else {
                line.push(';');
            }
            samples.push((rate, cpu_us, broker_cpu));
        }
        eprintln!("{line}");
    }
    Ok(samples
        .into_iter()
        .map(|samples| Figures {
            rate: median(samples.iter().map(|s| s.0).collect()),
            cpu_us: median(samples.iter().map(|s| s.1).collect()),
            broker_cpu_s: samples
                .iter()
                .map(|s| s.2)
                .collect::<Option<Vec<f64>>>()
                .map(median),
        })
        .collect())
}

/// Prints every contender's figures, then karafka's ratios to `baseline`'s.
fn report(backlog: &Backlog, contenders: &[Contender], figures: &[Figures], baseline: &str) {
    let suffix = backlog.suffix();
    for (contender, figures) in contenders.iter().zip(figures) {
        let name = contender.name();
        figure(&format!("throughput_{name}{suffix}"), figures.rate, "msg/s");
        figure(
            &format!("cpu_us_per_msg_{name}{suffix}"),
            figures.cpu_us,
            "µs",
        );
        if let Some(seconds) = figures.broker_cpu_s {
            figure(&format!("broker_cpu_s_{name}{suffix}"), seconds, "s");
        }
    }
    let Some(base) = contenders
        .iter()
        .position(|c| c.name() == baseline)
        .map(|i| figures[i])
    else {
        return;
    };
    let to = if baseline == "raw" {
        String::new()
    } else {
        format!("_to_{baseline}")
    };
    for (contender, figures) in contenders.iter().zip(figures) {
        let name = contender.name();
        if name == baseline {
            continue;
        }
        figure(
            &format!("ratio_{name}{to}{suffix}"),
            figures.rate / base.rate,
            "ratio",
        );
        figure(
            &format!("cpu_ratio_{name}{to}{suffix}"),
            figures.cpu_us / base.cpu_us,
            "ratio",
        );
        if let (Some(own), Some(base)) = (figures.broker_cpu_s, base.broker_cpu_s) {
            figure(
                &format!("broker_cpu_ratio_{name}{to}{suffix}"),
                own / base.max(0.01),
                "ratio",
            );
        }
    }
}

/// Drains the default backlog with a fresh group on `backend`; returns msg/s.
pub async fn karafka_run(brokers: &str, backend: Backend) -> anyhow::Result<f64> {
    let backlog = Backlog::new(BrokerKind::Embedded, &Options::default());
    let (wall, _) = karafka_window(brokers, backend, &backlog).await?.spans()?;
    Ok(backlog.messages as f64 / wall.as_secs_f64())
}

/// Drains `backlog` with a fresh group on `backend`; returns the timed window.
async fn karafka_window(
    brokers: &str,
    backend: Backend,
    backlog: &Backlog,
) -> anyhow::Result<Window> {
    CONSUMED.store(0, Ordering::Release);
    TARGET.store(backlog.messages, Ordering::Release);
    *WINDOW
        .lock()
        .map_err(|_| anyhow::anyhow!("lock poisoned"))? = Window::default();
    let settings = backlog.consumer_settings();
    let app = single_route::<Deserializing>(
        brokers,
        &fresh_client_id(backend.name()),
        &backlog.topic,
        backend,
        |config| {
            for (key, value) in settings {
                config
                    .kafka
                    .insert(key.into(), karafka::config::KafkaValue::String(value));
            }
        },
    )?;
    let server = app.spawn().await?;
    let deadline = Instant::now() + Duration::from_secs(300);
    // The consumer marks the window's end itself; this only notices it.
    while CONSUMED.load(Ordering::Acquire) < backlog.messages {
        anyhow::ensure!(
            Instant::now() < deadline,
            "{}: {} of {} in 300 s",
            backend.name(),
            CONSUMED.load(Ordering::Acquire),
            backlog.messages
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.stop().await?;
    let window = *WINDOW
        .lock()
        .map_err(|_| anyhow::anyhow!("lock poisoned"))?;
    Ok(window)
}

/// The median of an odd number of samples (the upper middle of an even one).
pub fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
