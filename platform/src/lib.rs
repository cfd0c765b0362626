//! Plumbing shared by every Storefront service. No business rules live here.

pub mod auth;
pub mod aws;
pub mod client;
pub mod config;
pub mod consumer;
pub mod db;
pub mod error;
pub mod events;
pub mod extract;
pub mod http;
pub mod idempotency;
pub mod manifest;
pub mod messaging;
pub mod metrics;
pub mod openapi;
pub mod outbox;
pub mod pagination;
pub mod ratelimit;
pub mod redis;
pub mod server;
pub mod service;
pub mod shutdown;
pub mod telemetry;
pub mod tls;

#[cfg(feature = "test-support")]
pub mod testing;

pub use error::{ApiError, FieldError, Problem};
pub use extract::{Json, JsonObject, Query};
