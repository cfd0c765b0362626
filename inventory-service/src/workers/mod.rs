//! Background work of inventory-service.

pub mod catalog_events;
pub mod gate_resync;
pub mod sweeper;
