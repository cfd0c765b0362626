//! inventory-service: stock, expiring reservations and flash sales that cannot oversell.

pub mod claim_writer;
pub mod config;
pub mod domain;
pub mod gate;
pub mod holds;
pub mod repo;
pub mod routes;
pub mod startup;
pub mod state;
pub mod workers;

#[cfg(feature = "testing")]
pub mod testing;
