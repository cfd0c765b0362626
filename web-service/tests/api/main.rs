//! web-service's handler tests: the shop's pages against the five real
//! services, each in this process with its own database, Redis key prefix
//! and this test's topics and queues (docs/architecture.md, "Testing rules").

mod helpers;

mod admin;
mod checkout;
mod pages;
mod sales;
mod security;
mod sessions;
