//! The consumer client of a [`TestApp`](super::TestApp): fetch positions,
//! paused partitions and stored offsets over the in-memory topics, for the
//! processing to drive as it drives the server's rdkafka consumer.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use super::topics::Topics;
use crate::messages::RawMessage;
use crate::processing::client::PartitionClient;

type Key = (String, i32);

/// Positions, pauses and stored offsets per assigned partition.
pub(crate) struct TestClient {
    topics: Arc<Topics>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    positions: HashMap<Key, i64>,
    paused: HashSet<Key>,
    stored: HashMap<Key, i64>,
}

impl TestClient {
    pub(crate) fn new(topics: Arc<Topics>) -> Self {
        TestClient {
            topics,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts fetching a partition from its stored offset, or from the beginning.
    pub(crate) fn assign(&self, topic: &str, partition: i32) {
        let mut state = self.lock();
        let key = (topic.to_owned(), partition);
        let start = state.stored.get(&key).copied().unwrap_or(0);
        state.positions.entry(key).or_insert(start);
    }

    /// Up to `max` messages of `topic`'s assigned, unpaused partitions; moves
    /// their positions past what it returns. `index` is the topic's route index.
    pub(crate) fn fetch(&self, topic: &str, index: usize, max: usize) -> Vec<(usize, RawMessage)> {
        let mut state = self.lock();
        let State {
            positions, paused, ..
        } = &mut *state;
        let mut fetched = Vec::new();
        let mut keys: Vec<&Key> = positions.keys().filter(|k| k.0 == topic).collect();
        keys.sort();
        let keys: Vec<Key> = keys.into_iter().cloned().collect();
        for key in keys {
            if paused.contains(&key) || fetched.len() >= max {
                continue;
            }
            let position = positions
                .get_mut(&key)
                .expect("the key came from positions");
            let messages = self
                .topics
                .read(topic, key.1, *position, max - fetched.len());
            *position += messages.len() as i64;
            fetched.extend(messages.into_iter().map(|m| (index, m)));
        }
        fetched
    }

    /// Forgets every assignment; the next one starts from the stored offset.
    pub(crate) fn unassign_all(&self) {
        let mut state = self.lock();
        state.positions.clear();
        state.paused.clear();
    }

    /// The offset stored for a partition: the next one to consume.
    pub(crate) fn stored(&self, topic: &str, partition: i32) -> Option<i64> {
        self.lock()
            .stored
            .get(&(topic.to_owned(), partition))
            .copied()
    }
}

impl PartitionClient for TestClient {
    fn store_offset(&self, topic: &str, partition: i32, next: i64) -> Result<(), String> {
        self.lock()
            .stored
            .insert((topic.to_owned(), partition), next);
        Ok(())
    }

    fn pause(&self, topic: &str, partition: i32) -> Result<(), String> {
        self.lock().paused.insert((topic.to_owned(), partition));
        Ok(())
    }

    fn seek_and_resume(&self, topic: &str, partition: i32, offset: i64) -> Result<(), String> {
        let mut state = self.lock();
        let key = (topic.to_owned(), partition);
        if !state.positions.contains_key(&key) {
            return Err(format!("{topic}/{partition} is not assigned"));
        }
        state.positions.insert(key.clone(), offset);
        state.paused.remove(&key);
        Ok(())
    }
}
