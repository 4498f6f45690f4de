//! The worker pool: `concurrency` permits shared by every consumer group of the
//! process. A job waits for a permit on the runtime, never in the fetch loop.

use std::sync::mpsc::Sender;
use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::Semaphore;

use super::job::Job;
use super::processor::Done;

/// Runs jobs on the tokio runtime, at most `concurrency` at a time process-wide.
#[derive(Clone)]
pub(crate) struct WorkerPool {
    permits: Arc<Semaphore>,
    runtime: Handle,
}

impl WorkerPool {
    pub(crate) fn new(concurrency: usize, runtime: Handle) -> Self {
        WorkerPool {
            permits: Arc::new(Semaphore::new(concurrency)),
            runtime,
        }
    }

    /// Runs `job` when a worker is free and sends its completion to `done`.
    pub(crate) fn submit(&self, job: Job, done: Sender<Done>) {
        let permits = self.permits.clone();
        self.runtime.spawn(async move {
            // The semaphore is never closed, so acquiring only waits.
            let _permit = permits.acquire_owned().await;
            let completion = job.run().await;
            // The fetch loop outlives its jobs; a send can only fail after a forced stop.
            let _ = done.send(Done::Job(completion));
        });
    }
}
