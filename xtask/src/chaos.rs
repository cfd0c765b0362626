//! `cargo xtask chaos`: the chaos run of docs/reliability.md at full size —
//! more buyers and a 30 s freeze of the AWS emulator — on private Postgres,
//! Redis and moto servers of its own (the test command runs a short version).

use anyhow::bail;

use crate::{
    local::{cargo, run_status, Backends},
    moto,
};

#[derive(clap::Args)]
pub struct ChaosArgs {
    /// Buyers: half race for the flash sale, half check out carts.
    #[arg(long, default_value_t = 300)]
    buyers: u32,
    /// How long the AWS emulator stays frozen (SIGSTOP), in seconds.
    #[arg(long, default_value_t = 30)]
    pause_secs: u32,
}

pub fn run(args: &ChaosArgs) -> anyhow::Result<()> {
    // The test makes its own servers, but `initdb`, `redis-server` and moto
    // must be installed, and the shared Postgres holds nothing of the run.
    crate::backing::ensure_reachable(&Backends::from_env())?;
    moto::ensure_installed()?;
    let mut run = cargo()?;
    run.args([
        "nextest",
        "run",
        "-p",
        "order-service",
        "--test",
        "api",
        "--no-capture",
        "-E",
        "test(/^chaos::/)",
    ])
    .env("CHAOS_BUYERS", args.buyers.to_string())
    .env("CHAOS_PAUSE_SECS", args.pause_secs.to_string())
    .env("RUST_BACKTRACE", "1");
    if !run_status(&mut run)? {
        bail!("the chaos run failed");
    }
    println!("The chaos run passed.");
    Ok(())
}
