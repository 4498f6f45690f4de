//! The `virtual_partitions` route option: how one Kafka partition's batches
//! are split into groups consumed in parallel (see the README's "Virtual
//! partitions"; the processing core's `virtual_partitions` step does the split).

use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::messages::RawMessage;

/// Chooses the partition key of a message on a route with virtual partitions:
/// messages with equal keys go to the same virtual partition of a batch and
/// are consumed in offset order; different keys may run in parallel.
///
/// ```
/// use karafka::{Partitioner, RawMessage};
///
/// /// Orders by the `tenant` header, falling back to the message key.
/// #[derive(Default)]
/// pub struct ByTenant;
///
/// impl Partitioner for ByTenant {
///     fn key(&self, message: &RawMessage) -> u64 {
///         let tenant = message.header("tenant").or(message.key());
///         karafka::routing::hash_key(tenant)
///     }
/// }
/// ```
pub trait Partitioner: Send + Sync + 'static {
    /// The partition key of `message`.
    fn key(&self, message: &RawMessage) -> u64;
}

/// A stable hash of a key's bytes (`None`, no key, is a key of its own).
pub fn hash_key(bytes: Option<&[u8]>) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

/// The `virtual_partitions` route option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VirtualPartitions {
    /// What decides a message's partition key.
    pub partitioner: VirtualPartitioner,
    /// Most groups (parallel jobs) a batch is split into.
    pub max_partitions: usize,
}

impl fmt::Display for VirtualPartitions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} x{}", self.partitioner, self.max_partitions)
    }
}

/// The partitioner of a [`VirtualPartitions`] route.
#[derive(Clone, Copy)]
pub enum VirtualPartitioner {
    /// The message key (messages without one share a key).
    Key,
    /// The value of the named header (messages without it share a key).
    Header(&'static str),
    /// A [`Partitioner`] type of the application.
    Custom {
        /// The type's name, for `routes` and `Debug`.
        name: &'static str,
        /// Makes an instance (the type's `Default`).
        make: fn() -> Box<dyn Partitioner>,
    },
}

impl VirtualPartitioner {
    /// A [`VirtualPartitioner::Custom`] for the partitioner type `P`.
    pub fn custom<P: Partitioner + Default>() -> Self {
        VirtualPartitioner::Custom {
            name: std::any::type_name::<P>()
                .rsplit("::")
                .next()
                .unwrap_or("Partitioner"),
            make: || Box::new(P::default()),
        }
    }

    /// The function mapping a message to its partition key.
    pub(crate) fn key_fn(&self) -> Box<dyn Fn(&RawMessage) -> u64 + Send + Sync> {
        match *self {
            VirtualPartitioner::Key => Box::new(|message| hash_key(message.key())),
            VirtualPartitioner::Header(name) => {
                Box::new(move |message| hash_key(message.header(name)))
            }
            VirtualPartitioner::Custom { make, .. } => {
                let partitioner = make();
                Box::new(move |message| partitioner.key(message))
            }
        }
    }
}

impl fmt::Display for VirtualPartitioner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VirtualPartitioner::Key => f.write_str("key"),
            VirtualPartitioner::Header(name) => write!(f, "header({name:?})"),
            VirtualPartitioner::Custom { name, .. } => f.write_str(name),
        }
    }
}

impl fmt::Debug for VirtualPartitioner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl PartialEq for VirtualPartitioner {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (VirtualPartitioner::Key, VirtualPartitioner::Key) => true,
            (VirtualPartitioner::Header(a), VirtualPartitioner::Header(b)) => a == b,
            (
                VirtualPartitioner::Custom { name: a, .. },
                VirtualPartitioner::Custom { name: b, .. },
            ) => a == b,
            _ => false,
        }
    }
}

impl Eq for VirtualPartitioner {}
