//! Storefront developer commands: `cargo xtask dev`, `cargo xtask test`, `cargo xtask gen-key`.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a CLI: stdout and stderr are its interface

use std::process::ExitCode;

mod actionlint;
mod backing;
mod bootstrap_aws;
mod browser;
mod dev;
mod docker;
mod infra;
mod local;
mod moto;
mod net;
mod services;
mod supervise;
mod test;
mod tokens;
mod venv;

#[derive(clap::Parser)]
#[command(about = "Storefront developer commands")]
enum Cli {
    /// Run every service locally against Postgres, Redis and the moto AWS emulator.
    Dev,
    /// Provision Postgres, Redis and moto, then run fmt, clippy and every test.
    Test(test::TestArgs),
    /// Create infra/messaging.yaml's topics and queues and the SES sender identity on the AWS emulator.
    BootstrapAws(bootstrap_aws::BootstrapArgs),
    /// Registration's Swagger UI in headless Chromium (a step of `test`, here alone).
    BrowserTest,
    /// Print a new JWT_SIGNING_KEYS value (one Ed25519 key) for a deployment's secret store.
    /// Write a throwaway signing key's JWKS and tokens for many customers (load runs).
    MintTokens {
        #[arg(long)]
        out_dir: std::path::PathBuf,
        #[arg(long, default_value_t = 1000)]
        count: usize,
        #[arg(long, default_value = "http://127.0.0.1:8081")]
        issuer: String,
        #[arg(long, default_value = "storefront")]
        audience: String,
    },
    GenKey {
        /// Key id published in the JWKS; use a new one for each rotation.
        #[arg(long)]
        kid: String,
    },
}

fn main() -> ExitCode {
    let outcome = match <Cli as clap::Parser>::parse() {
        Cli::Dev => dev::run(),
        Cli::Test(args) => test::run(&args),
        Cli::BootstrapAws(args) => bootstrap_aws::run(&args),
        Cli::BrowserTest => browser::standalone(),
        Cli::MintTokens {
            out_dir,
            count,
            issuer,
            audience,
        } => tokens::run(&out_dir, count, &issuer, &audience),
        Cli::GenKey { kid } => {
            println!("{}", platform::auth::keys::generate_signing_keys_json(&kid));
            Ok(())
        }
    };
    // The message alone: a backtrace (RUST_BACKTRACE is often set) only buries it.
    if let Err(e) = outcome {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
