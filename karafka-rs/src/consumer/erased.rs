//! Type erasure over `Consumer<Payload = T>`, so one fetch loop can drive every route.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::{Consumer, Context};
use crate::error::Result;
use crate::messages::deserializers::Deserializer;
use crate::messages::{Message, Messages, RawMessage};

/// A boxed future that user code returns.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Which hook of a consumer to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hook {
    Initialized,
    Revoked,
    Shutdown,
    Tick,
}

impl Hook {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Hook::Initialized => "initialized",
            Hook::Revoked => "revoked",
            Hook::Shutdown => "shutdown",
            Hook::Tick => "tick",
        }
    }
}

/// A consumer of any payload type, fed raw messages.
pub(crate) trait ErasedConsumer: Send {
    fn consume<'a>(
        &'a mut self,
        ctx: &'a mut Context,
        batch: Vec<RawMessage>,
        consumer_group: Arc<str>,
    ) -> BoxFuture<'a, Result<()>>;

    fn hook<'a>(&'a mut self, hook: Hook, ctx: &'a mut Context) -> BoxFuture<'a, Result<()>>;
}

/// Builds a fresh consumer instance for a newly assigned partition.
pub(crate) type ConsumerFactory = Arc<dyn Fn() -> Box<dyn ErasedConsumer> + Send + Sync>;

struct Typed<C: Consumer> {
    consumer: C,
    deserializer: Arc<dyn Deserializer<C::Payload>>,
}

impl<C: Consumer> ErasedConsumer for Typed<C> {
    fn consume<'a>(
        &'a mut self,
        ctx: &'a mut Context,
        batch: Vec<RawMessage>,
        consumer_group: Arc<str>,
    ) -> BoxFuture<'a, Result<()>> {
        let messages = batch
            .into_iter()
            .map(|raw| Message::new(raw, self.deserializer.clone()))
            .collect();
        Box::pin(
            self.consumer
                .consume(ctx, Messages::new(messages, consumer_group)),
        )
    }

    fn hook<'a>(&'a mut self, hook: Hook, ctx: &'a mut Context) -> BoxFuture<'a, Result<()>> {
        match hook {
            Hook::Initialized => Box::pin(self.consumer.initialized(ctx)),
            Hook::Revoked => Box::pin(self.consumer.revoked(ctx)),
            Hook::Shutdown => Box::pin(self.consumer.shutdown(ctx)),
            Hook::Tick => Box::pin(self.consumer.tick(ctx)),
        }
    }
}

/// The factory for consumer type `C` reading payloads with `deserializer`.
pub(crate) fn factory<C, D>(deserializer: D) -> ConsumerFactory
where
    C: Consumer + Default,
    D: Deserializer<C::Payload>,
{
    let deserializer: Arc<dyn Deserializer<C::Payload>> = Arc::new(deserializer);
    Arc::new(move || {
        Box::new(Typed::<C> {
            consumer: C::default(),
            deserializer: deserializer.clone(),
        })
    })
}
