//! Storefront developer commands: `cargo xtask dev`, `cargo xtask demo-data`, `cargo xtask test`, `cargo xtask gen-key`.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a CLI: stdout and stderr are its interface

use std::process::ExitCode;

use xtask::{bench, bootstrap_aws, browser, chaos, demo, dev, test, tokens};

#[derive(clap::Parser)]
#[command(about = "Storefront developer commands")]
enum Cli {
    /// Run every service locally against Postgres, Redis and the moto AWS emulator.
    Dev,
    /// Load a demo shop (catalog, stock, a live promo code, an upcoming flash sale) into a
    /// running platform through its HTTP APIs; safe to run again.
    DemoData(demo::DemoArgs),
    /// Provision Postgres, Redis and moto, then run fmt, clippy and every test.
    Test(test::TestArgs),
    /// Load benchmarks: bench-profile builds on free ports, baselines in the same run,
    /// invariants checked; results to bench/results/ and bench/RESULTS.md.
    Bench(bench::BenchArgs),
    /// Create infra/messaging.yaml's topics and queues and the SES sender identity on the AWS emulator.
    BootstrapAws(bootstrap_aws::BootstrapArgs),
    /// The chaos run of docs/reliability.md at full size (the test command runs a short one).
    Chaos(chaos::ChaosArgs),
    /// Registration's Swagger UI in headless Chromium (a step of `test`, here alone).
    BrowserTest,
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
    /// Print a new JWT_SIGNING_KEYS value (one Ed25519 key) for a deployment's secret store.
    GenKey {
        /// Key id published in the JWKS; use a new one for each rotation.
        #[arg(long)]
        kid: String,
    },
}

fn main() -> ExitCode {
    let outcome = match <Cli as clap::Parser>::parse() {
        Cli::Dev => dev::run(),
        Cli::DemoData(args) => demo::run(&args),
        Cli::Test(args) => test::run(&args),
        Cli::Bench(args) => bench::run(&args),
        Cli::BootstrapAws(args) => bootstrap_aws::run(&args),
        Cli::Chaos(args) => chaos::run(&args),
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
