//! Storefront's web shop: server-rendered pages (maud) for shoppers, with
//! sessions in Redis, calling the five services as the shopper
//! (docs/architecture.md, "The web shop").

pub mod admin;
pub mod api;
pub mod assets;
pub mod config;
pub mod csrf;
pub mod pages;
pub mod routes;
pub mod security;
pub mod session;
pub mod startup;
pub mod state;
#[cfg(feature = "testing")]
pub mod testing;
