//! Storefront developer commands (the `xtask` binary) and the service manifest
//! they and the deployment checks read.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a CLI: stdout and stderr are its interface

pub mod actionlint;
pub mod backing;
pub mod bench;
pub mod bootstrap_aws;
pub mod browser;
pub mod chaos;
pub mod demo;
pub mod dev;
pub mod docker;
pub mod infra;
pub mod local;
pub mod manifest;
pub mod moto;
pub mod net;
pub mod services;
pub mod supervise;
pub mod test;
pub mod tokens;
pub mod venv;
