//! Background work of inventory-service.

pub mod catalog_events;
pub mod sweeper;
