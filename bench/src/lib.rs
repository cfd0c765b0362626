//! Storefront's load benchmarks: a load generator (closed and open loop, HDR
//! histograms), the scenarios with the invariants checked after each, the
//! baselines measured in the same run, and the reports. `cargo xtask bench`
//! starts the platform and drives the `storefront-bench` binary.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a CLI: progress and results are its interface

pub mod api;
pub mod baselines;
pub mod checks;
pub mod cpu;
pub mod env;
pub mod load;
pub mod machine;
pub mod metrics;
pub mod redis_keys;
pub mod report;
pub mod scenarios;
pub mod stats;
