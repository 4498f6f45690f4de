//! Pause and resume requests for partitions of the process's consumer groups
//! (the Web UI's commands): a request waits here until its group's fetch loop
//! takes it at the start of its next turn and answers whether it owns the
//! partition. A request no fetch loop takes is dropped after [`REQUEST_TTL`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::client::PartitionClient;
use super::core::PartitionKey;
use super::processor::Processor;

/// How long a request waits for its group's fetch loop.
#[cfg_attr(not(feature = "web"), allow(dead_code))] // only the Web UI asks
pub(crate) const REQUEST_TTL: Duration = Duration::from_secs(10);

/// One pause (`hold: true`) or resume request.
#[cfg_attr(not(feature = "web"), allow(dead_code))] // only the Web UI asks
struct Request {
    group: String,
    key: PartitionKey,
    hold: bool,
    until: Instant,
    answer: Sender<bool>,
}

static PENDING: Mutex<Vec<Request>> = Mutex::new(Vec::new());
/// Whether `PENDING` may hold anything: the fetch loops' cheap check each turn.
static ANY: AtomicBool = AtomicBool::new(false);

/// Asks the fetch loop of consumer group `group` (its routed name) to pause
/// (`hold`) or resume `topic`/`partition`; the answer says whether it owns it.
#[cfg_attr(not(feature = "web"), allow(dead_code))] // only the Web UI asks
pub(crate) fn request(group: &str, topic: &str, partition: i32, hold: bool) -> Receiver<bool> {
    let (answer, receiver) = channel();
    let mut pending = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    pending.retain(|r| r.until > now);
    pending.push(Request {
        group: group.to_owned(),
        key: PartitionKey::new(topic, partition),
        hold,
        until: now + REQUEST_TTL,
        answer,
    });
    ANY.store(true, Ordering::Release);
    receiver
}

impl Processor {
    /// Applies the pause and resume requests for this group's partitions.
    pub(crate) fn apply_commands(&self, client: &dyn PartitionClient) {
        if !ANY.load(Ordering::Acquire) {
            return;
        }
        let mine: Vec<Request> = {
            let mut pending = PENDING.lock().unwrap_or_else(|e| e.into_inner());
            let (mine, rest) = std::mem::take(&mut *pending)
                .into_iter()
                .partition(|r| *r.group == *self.shared.group.name);
            *pending = rest;
            ANY.store(!pending.is_empty(), Ordering::Release);
            mine
        };
        if mine.is_empty() {
            return;
        }
        {
            let mut state = self.lock();
            for request in mine {
                let owned = if request.hold {
                    state.core.hold(&request.key)
                } else {
                    state.core.release(&request.key)
                };
                // The requester may have given up waiting.
                let _ = request.answer.send(owned);
            }
        }
        self.apply_effects(client);
    }
}
