//! order-service: cart, idempotent checkout saga with compensations,
//! cancellation, purchase history and the daily sales report.

pub mod checkout;
pub mod clients;
pub mod config;
pub mod domain;
pub mod events;
pub mod payments;
pub mod repo;
pub mod reports;
pub mod routes;
pub mod saga;
pub mod startup;
pub mod state;
pub mod workers;

#[cfg(feature = "testing")]
pub mod testing;
