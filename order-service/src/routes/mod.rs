//! One file per resource, each exposing its router.

pub mod cart;
pub mod fulfilment;
pub mod orders;
pub mod reports;
pub mod view;
