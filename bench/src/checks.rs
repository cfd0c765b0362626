//! Invariants checked after a scenario, against the services' own databases
//! and the emulator (never through the code under test where avoidable).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::{Connection, PgConnection};

use crate::api::Api;
use crate::env::RunEnv;
use crate::load::Report;
use crate::report::{int, Check};

pub async fn connect(database_url: &str) -> anyhow::Result<PgConnection> {
    PgConnection::connect(database_url)
        .await
        .context("connecting to a bench database")
}

pub fn some_requests(report: &Report) -> Check {
    Check::new(
        "requests were answered",
        report.requests > 0,
        format!("{} requests", int(report.requests)),
    )
}

pub fn error_rate(report: &Report, bound: f64) -> Check {
    let rate = report.error_rate();
    let outcomes: Vec<String> = report
        .outcomes
        .iter()
        .map(|(label, n)| format!("{label} × {}", int(*n)))
        .collect();
    Check::new(
        format!("error rate ≤ {:.1} %", bound * 100.0),
        rate <= bound,
        format!(
            "{} errors of {} ({:.2} %); outcomes: {}",
            int(report.errors),
            int(report.requests),
            rate * 100.0,
            outcomes.join(", ")
        ),
    )
}

/// Every service's outbox fully published, waiting up to `within` for the relays.
pub async fn outbox_drained(env: &RunEnv, within: Duration) -> anyhow::Result<Check> {
    let deadline = Instant::now() + within;
    loop {
        let mut pending = Vec::new();
        for (name, database_url) in env
            .services
            .iter()
            .filter_map(|(name, s)| Some((name, s.database_url.as_deref()?)))
        {
            let mut conn = connect(database_url).await?;
            let n: i64 =
                sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                    .fetch_one(&mut conn)
                    .await
                    .with_context(|| format!("counting {name}'s unpublished outbox rows"))?;
            if n > 0 {
                pending.push(format!("{name} {n}"));
            }
        }
        if pending.is_empty() {
            return Ok(Check::new(
                "every outbox row published",
                true,
                "no unpublished rows in any service",
            ));
        }
        if Instant::now() > deadline {
            return Ok(Check::new(
                "every outbox row published",
                false,
                format!(
                    "still unpublished after {}s: {}",
                    within.as_secs(),
                    pending.join(", ")
                ),
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// No SKU with negative availability (the CHECK constraint, checked from outside).
pub async fn no_negative_availability(env: &RunEnv) -> anyhow::Result<Check> {
    let mut conn = connect(env.service("inventory")?.database()?).await?;
    let (negative, skus): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE on_hand - reserved - allocated_to_sales < 0), count(*) FROM stock",
    )
    .fetch_one(&mut conn)
    .await?;
    Ok(Check::new(
        "no negative availability",
        negative == 0,
        format!("{negative} of {} SKUs below zero", int(skus as u64)),
    ))
}

/// How many emails the emulator accepted per recipient (moto's `/moto-api/data.json`).
pub async fn email_counts(api: &Api, moto_url: &str) -> anyhow::Result<HashMap<String, usize>> {
    let text = api
        .get_text(&format!("{moto_url}/moto-api/data.json"))
        .await
        .context("reading the emulator's data")?;
    let data: serde_json::Value = serde_json::from_str(&text)?;
    // moto lists the messages as an array (older versions: an object by id).
    let messages: Vec<&serde_json::Value> = match data.pointer("/ses/Message") {
        Some(serde_json::Value::Array(items)) => items.iter().collect(),
        Some(serde_json::Value::Object(by_id)) => by_id.values().collect(),
        _ => Vec::new(),
    };
    let mut counts = HashMap::new();
    for message in messages {
        let to = message
            .pointer("/destinations/ToAddresses")
            .and_then(|a| a.as_array());
        for address in to.into_iter().flatten().filter_map(|a| a.as_str()) {
            *counts.entry(address.to_owned()).or_default() += 1;
        }
    }
    Ok(counts)
}

/// Waits up to `within` until the campaign service has sent an email to each
/// of `recipients` (its own log, so the emulator is not made to serialise
/// everything it holds twice a second), then counts them at the emulator:
/// exactly one each. (A redelivery after the queue's visibility timeout would
/// come later than this waits.)
pub async fn one_email_each(
    env: &RunEnv,
    api: &Api,
    recipients: &[String],
    within: Duration,
) -> anyhow::Result<Check> {
    let started = Instant::now();
    let mut campaign = connect(env.service("campaign")?.database()?).await?;
    loop {
        let sent: i64 = sqlx::query_scalar(
            "SELECT count(DISTINCT recipient) FROM emails WHERE status = 'sent' AND recipient = ANY($1)",
        )
        .bind(recipients)
        .fetch_one(&mut campaign)
        .await?;
        if sent as usize >= recipients.len() || started.elapsed() > within {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let waited = started.elapsed().as_secs_f64();
    let counts = email_counts(api, &env.moto_url).await?;
    let count = |r: &String| counts.get(r).copied().unwrap_or(0);
    let missing = recipients.iter().filter(|r| count(r) == 0).count();
    let duplicated = recipients.iter().filter(|r| count(r) > 1).count();
    Ok(Check::new(
        "one email per event",
        missing == 0 && duplicated == 0,
        format!(
            "{} events: at the emulator {} missing, {} with more than one email \
             (the last one sent {waited:.1} s into this check)",
            int(recipients.len() as u64),
            missing,
            duplicated,
        ),
    ))
}
