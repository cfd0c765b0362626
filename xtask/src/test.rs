//! `cargo xtask test`: provision Postgres, Redis and moto, then lint and run every test.

use std::process::{Command, Stdio};

use anyhow::bail;

use crate::local::{aws_env, cargo, run_status, Backends};
use crate::{backing, moto, net, venv};

/// The OpenAPI fuzzer order-service's `schemathesis::` test runs against every service.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

#[derive(clap::Args)]
pub struct TestArgs {
    /// Daily-work mode: skip fmt, clippy and the slow fault suites (`faults::` tests).
    #[arg(long)]
    quick: bool,
    /// Passed on to `cargo nextest run` (or `cargo test` when nextest is missing).
    #[arg(last = true)]
    extra: Vec<String>,
}

pub fn run(args: &TestArgs) -> anyhow::Result<()> {
    let backends = Backends::from_env();
    backing::ensure_reachable(&backends)?;
    moto::ensure_installed()?;
    let schemathesis = venv::ensure_tool("schemathesis", SCHEMATHESIS)?;
    let moto = moto::Moto::start(net::free_port()?)?;
    println!("moto is up at {}", moto.endpoint_url());

    let mut failed = Vec::new();
    if !args.quick {
        if !run_status(cargo()?.args(["fmt", "--all", "--", "--check"]))? {
            failed.push("cargo fmt --check");
        }
        let clippy = [
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ];
        if !run_status(cargo()?.args(clippy))? {
            failed.push("cargo clippy");
        }
        if !crate::actionlint::run()? {
            failed.push("actionlint");
        }
        if !crate::infra::run()? {
            failed.push("infra checks");
        }
        if !crate::docker::run()? {
            failed.push("docker checks");
        }
        if !crate::browser::run(&backends, &moto.endpoint_url())? {
            failed.push("browser test");
        }
    }
    // Later steps still run after a failure, so one CI run reports everything.
    let mut tests = test_command(args)?;
    tests
        .env("DATABASE_URL", &backends.database_url)
        .env("REDIS_URL", &backends.redis_url)
        .envs(aws_env(&moto.endpoint_url()))
        .env("SCHEMATHESIS_BIN", &schemathesis)
        .env("RUST_BACKTRACE", "1");
    if !run_status(&mut tests)? {
        failed.push("tests");
    }
    drop(moto);

    if failed.is_empty() {
        println!("All steps passed.");
        Ok(())
    } else {
        bail!("failed step(s): {}", failed.join(", "))
    }
}

fn test_command(args: &TestArgs) -> anyhow::Result<Command> {
    let mut cmd = cargo()?;
    if has_nextest()? {
        cmd.args([
            "nextest",
            "run",
            "--workspace",
            "--all-features",
            "--no-fail-fast",
        ]);
        if args.quick {
            cmd.args(["-E", "not test(/faults::/)"]);
        }
        cmd.args(&args.extra);
    } else {
        println!("cargo-nextest not found; using cargo test");
        // Extra args before a `--` go to cargo, the rest to the test binaries,
        // where the quick-mode skip must go too.
        let split = args.extra.iter().position(|a| a == "--");
        let (cargo_args, binary_args) = match split {
            Some(i) => (&args.extra[..i], &args.extra[i + 1..]),
            None => (&args.extra[..], &[][..]),
        };
        cmd.args(["test", "--workspace", "--all-features", "--no-fail-fast"])
            .args(cargo_args)
            .arg("--");
        if args.quick {
            cmd.args(["--skip", "faults::"]);
        }
        cmd.args(binary_args);
    }
    Ok(cmd)
}

fn has_nextest() -> anyhow::Result<bool> {
    Ok(cargo()?
        .args(["nextest", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success()))
}
