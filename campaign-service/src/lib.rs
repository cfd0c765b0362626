//! campaign-service: campaigns, promo codes and every outgoing email.

pub mod config;
pub mod domain;
pub mod emails;
pub mod lambda;
pub mod openapi;
pub mod repo;
pub mod routes;
pub mod startup;
