//! The pages, one file per concern; each renders a whole HTML page.

pub(crate) mod commands;
pub(crate) mod consumers;
pub(crate) mod dashboard;
pub(crate) mod dlq;
pub(crate) mod errors;
pub(crate) mod explorer;
pub(crate) mod routing;
pub(crate) mod topics;
