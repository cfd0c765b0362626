//! Event latency: registrations at a steady 10/s (open loop), and the time
//! from each request being due to its welcome email showing at the emulator
//! (outbox → relay → SNS → SQS → campaign consumer → SES). The emulator is
//! polled every 50 ms, so figures are up to one poll late.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::registration::Registrations;
use super::{common_checks, Ctx};
use crate::api::Api;
use crate::checks;
use crate::load::{Mode, Plan, Target};
use crate::report::{int, ms, Check, Goal, ScenarioResult};
use crate::stats::Latency;

const RATE: f64 = 10.0;
const CONNECTIONS: usize = 8;
const POLL: Duration = Duration::from_millis(50);
/// How long to wait for the last emails after the last registration.
const DRAIN: Duration = Duration::from_secs(30);

/// When each address of this run first showed at the emulator.
async fn poll_emails(
    api: Api,
    moto_url: String,
    prefix: String,
    stop: tokio::sync::watch::Receiver<bool>,
) -> HashMap<String, Instant> {
    let mut seen = HashMap::new();
    while !*stop.borrow() {
        if let Ok(counts) = checks::email_counts(&api, &moto_url).await {
            let now = Instant::now();
            for address in counts.into_keys().filter(|a| a.starts_with(&prefix)) {
                seen.entry(address).or_insert(now);
            }
        }
        tokio::time::sleep(POLL).await;
    }
    seen
}

pub async fn run(ctx: &Ctx) -> anyhow::Result<ScenarioResult> {
    let workload = Arc::new(Registrations::new("latency", &ctx.run_id));
    let plan = Plan {
        name: "event-latency".to_owned(),
        target: Target::from_url(ctx.env.url("registration")?)?,
        mode: Mode::Open {
            rate: RATE,
            connections: CONNECTIONS,
        },
        duration: ctx.duration,
        timeout: Duration::from_secs(10),
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let poller = tokio::spawn(poll_emails(
        ctx.api.clone(),
        ctx.env.moto_url.clone(),
        format!("latency-{}-", ctx.run_id),
        stop_rx,
    ));
    let report = super::run_load(ctx, &plan, Arc::clone(&workload)).await?;
    let registered = workload
        .registered
        .lock()
        .map(|r| r.clone())
        .unwrap_or_default();
    let deadline = Instant::now() + DRAIN;
    let mut seen_count = 0;
    while Instant::now() < deadline {
        let counts = checks::email_counts(&ctx.api, &ctx.env.moto_url).await?;
        seen_count = registered
            .iter()
            .filter(|(a, _)| counts.contains_key(a))
            .count();
        if seen_count == registered.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // One more poll interval so the poller records the last arrivals.
    tokio::time::sleep(POLL * 3).await;
    let _ = stop_tx.send(true);
    let seen = poller.await?;

    let latencies: Vec<Duration> = registered
        .iter()
        .filter_map(|(address, due)| {
            Some(
                seen.get(address)?
                    .saturating_duration_since(report.started + *due),
            )
        })
        .collect();
    let email = Latency::of_samples(&latencies);
    let http = Latency::of(&report.latency);
    let load = format!(
        "open loop, {RATE:.0} registrations/s for {:.0} s",
        ctx.duration.as_secs_f64()
    );
    let mut result = ScenarioResult::from_report(
        "event-latency",
        "register → email at the emulator",
        load,
        "registrations",
        &report,
    );
    result.latency = email;
    result.figure(
        "latency columns are",
        "POST /customers due → email at the emulator",
    );
    result.figure(
        "POST /customers itself: p50",
        format!("{}, p99 {}", ms(http.p50_ms), ms(http.p99_ms)),
    );
    result.value(
        "email_p99_ms",
        email.p99_ms,
        format!("email max {}", ms(email.max_ms)),
    );
    result.goals.push(Goal::new(
        "p99 < 1 s",
        ms(email.p99_ms),
        email.count > 0 && email.p99_ms < 1000.0,
    ));
    result.checks = common_checks(ctx, &report, 0.01).await?;
    result.checks.push(Check::new(
        "every registration's email arrived",
        seen_count == registered.len() && latencies.len() == registered.len(),
        format!(
            "{} of {} within {} s of the last registration",
            int(seen_count as u64),
            int(registered.len() as u64),
            DRAIN.as_secs()
        ),
    ));
    let addresses = workload.addresses();
    result.checks.push(
        checks::one_email_each(&ctx.env, &ctx.api, &addresses, Duration::from_secs(5)).await?,
    );
    Ok(result)
}
