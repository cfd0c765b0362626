//! campaign-service: campaigns, promo codes and every outgoing email.

pub mod config;
pub mod domain;
pub mod emails;
pub mod lambda;
pub mod repo;
pub mod routes;
pub mod startup;
pub mod state;

#[cfg(feature = "testing")]
pub mod testing;
