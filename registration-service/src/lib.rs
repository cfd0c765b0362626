//! registration-service: customers, login, JWT issuer and JWKS.

pub mod config;
pub mod domain;
pub mod repo;
pub mod routes;
pub mod sessions;
pub mod startup;
pub mod state;
pub mod workers;

#[cfg(feature = "testing")]
pub mod testing;
