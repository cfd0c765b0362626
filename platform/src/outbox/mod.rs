//! Transactional outbox: write events with the change, publish them after
//! (the publishing is `relay`).

mod relay;

pub use relay::OutboxRelay;

use std::time::Duration;

use anyhow::Context;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::events::NewEvent;

/// The canonical outbox/inbox SQL each service links into its migrations.
pub const CANONICAL_SQL: &str = include_str!("../../sql/outbox_inbox.sql");
/// The canonical migration that adds parking (`parked_at`).
pub const CANONICAL_PARKING_SQL: &str = include_str!("../../sql/outbox_parking.sql");

/// A row SNS refused on its own (a `SenderFault` entry of PublishBatch) this
/// many times is parked. A failure of the whole call (SNS down) never counts.
pub const MAX_REFUSALS: i32 = 5;

/// Writes `event` to the outbox inside the caller's transaction.
#[tracing::instrument(skip_all, fields(event_type = event.event_type))]
pub async fn enqueue(conn: &mut PgConnection, event: NewEvent) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO outbox (id, event_type, event_version, aggregate_id, sequence, correlation_id, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(event.event_type)
    .bind(event.version)
    .bind(&event.aggregate_id)
    .bind(event.sequence)
    .bind(&event.correlation_id)
    .bind(&event.data)
    .execute(conn)
    .await?;
    Ok(id)
}

/// Events not yet published and not parked.
pub async fn backlog(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE published_at IS NULL AND parked_at IS NULL",
    )
    .fetch_one(pool)
    .await
}

/// Events parked after SNS refused them [`MAX_REFUSALS`] times.
pub async fn parked(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE parked_at IS NOT NULL AND published_at IS NULL",
    )
    .fetch_one(pool)
    .await
}

/// The `republish-parked-events` command of each publishing service: puts
/// parked events back in line for the running relays, and says how many.
pub async fn republish_parked_command(
    database: &crate::config::DatabaseSettings,
) -> anyhow::Result<()> {
    let pool = crate::db::pool(database)?;
    let unparked = republish_parked(&pool)
        .await
        .context("putting parked events back in line")?;
    tracing::info!(
        unparked,
        "parked events are back in line; the relay publishes them"
    );
    Ok(())
}

/// Puts every parked event back in line (once the cause is fixed: the
/// `republish-parked-events` command of each service); returns how many.
pub async fn republish_parked(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let unparked = sqlx::query(
        "UPDATE outbox SET parked_at = NULL, attempts = 0 WHERE parked_at IS NOT NULL AND published_at IS NULL",
    )
    .execute(pool)
    .await?
    .rows_affected();
    sqlx::query("SELECT pg_notify('outbox', '')")
        .execute(pool)
        .await?;
    Ok(unparked)
}

/// Starts the outbox relay to the service's own topic (when one is
/// configured) and the outbox/inbox clean-up.
pub async fn spawn_workers(kit: &mut crate::service::Kit, pool: &PgPool) {
    match kit.common.events_topic_arn.clone() {
        Some(topic_arn) => {
            let relay = OutboxRelay {
                pool: pool.clone(),
                sns: aws_sdk_sns::Client::new(&kit.aws().await),
                topic_arn,
                source: kit.common.service_name,
                metrics: kit.metrics.clone(),
                poll_interval: Duration::from_secs(1),
                max_backoff: Duration::from_secs(5),
            };
            kit.spawn(|stop| relay.run(stop));
        }
        None => tracing::info!("EVENTS_TOPIC_ARN is not set: events stay in the outbox"),
    }
    let pool = pool.clone();
    kit.every(
        "outbox/inbox clean-up",
        Duration::from_secs(3600),
        move || {
            let pool = pool.clone();
            async move { Ok(clean_up(&pool, RETENTION).await?) }
        },
    );
}

/// How long published outbox rows and handled inbox rows are kept.
pub const RETENTION: Duration = Duration::from_secs(14 * 24 * 3600);

/// Deletes published outbox rows and inbox rows older than `retention`.
pub async fn clean_up(pool: &PgPool, retention: Duration) -> Result<u64, sqlx::Error> {
    let secs = retention.as_secs_f64();
    let outbox =
        sqlx::query("DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)")
            .bind(secs)
            .execute(pool)
            .await?
            .rows_affected();
    let inbox =
        sqlx::query("DELETE FROM inbox WHERE received_at < now() - make_interval(secs => $1)")
            .bind(secs)
            .execute(pool)
            .await?
            .rows_affected();
    Ok(outbox + inbox)
}
