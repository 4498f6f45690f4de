//! The steps of the processing pipeline, one file each. [`super::pipeline`]
//! calls them in its documented order; each keeps its own per-partition state
//! in a field of [`super::Partition`].

pub(crate) mod backpressure;
pub(crate) mod control;
pub(crate) mod dead_letter;
pub(crate) mod filtering;
pub(crate) mod hold;
pub(crate) mod offsets;
pub(crate) mod retry;
pub(crate) mod tick;
pub(crate) mod virtual_partitions;
