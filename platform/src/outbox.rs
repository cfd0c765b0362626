//! Transactional outbox: write events with the change, publish them after.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use rand::Rng;
use sqlx::{postgres::PgListener, PgConnection, PgPool};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{
    events::{Envelope, NewEvent, EVENT_TYPE_ATTRIBUTE},
    metrics::Metrics,
};

/// The canonical outbox/inbox SQL each service copies into its migrations.
pub const CANONICAL_SQL: &str = include_str!("../sql/outbox_inbox.sql");
/// The canonical migration that adds parking (`parked_at`).
pub const CANONICAL_PARKING_SQL: &str = include_str!("../sql/outbox_parking.sql");

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

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: Uuid,
    event_type: String,
    event_version: i32,
    aggregate_id: String,
    sequence: i64,
    correlation_id: Option<String>,
    data: serde_json::Value,
    occurred_at: OffsetDateTime,
}

/// Publishes unpublished outbox rows to SNS. Several relays may run at once
/// (one per task); `SKIP LOCKED` keeps them off each other's rows.
pub struct OutboxRelay {
    pub pool: PgPool,
    pub sns: aws_sdk_sns::Client,
    pub topic_arn: String,
    pub source: &'static str,
    pub metrics: Arc<Metrics>,
    /// Fallback poll when no notification arrives.
    pub poll_interval: Duration,
    /// Upper bound of the backoff while SNS or Postgres fails.
    pub max_backoff: Duration,
}

const BATCH: i64 = 10;

/// Starts the outbox relay to the service's own topic (when one is
/// configured) and the outbox/inbox clean-up on `server`.
pub async fn spawn_workers(
    server: &mut crate::server::Server,
    pool: &PgPool,
    settings: &crate::config::CommonSettings,
    metrics: &Arc<Metrics>,
) {
    match settings.events_topic_arn.clone() {
        Some(topic_arn) => {
            let sdk = crate::aws::sdk_config(&settings.aws).await;
            let relay = OutboxRelay {
                pool: pool.clone(),
                sns: aws_sdk_sns::Client::new(&sdk),
                topic_arn,
                source: settings.service_name,
                metrics: metrics.clone(),
                poll_interval: Duration::from_secs(1),
                max_backoff: Duration::from_secs(5),
            };
            server.spawn(relay.run(server.stop_token()));
        }
        None => tracing::warn!("EVENTS_TOPIC_ARN is not set: events stay in the outbox"),
    }
    server.spawn(run_clean_up(pool.clone(), RETENTION, server.stop_token()));
}

/// How long published outbox rows and handled inbox rows are kept.
pub const RETENTION: Duration = Duration::from_secs(14 * 24 * 3600);

impl OutboxRelay {
    pub async fn run(self, shutdown: CancellationToken) {
        let mut listener: Option<PgListener> = None;
        let mut failures: u32 = 0;
        while !shutdown.is_cancelled() {
            match self.publish_batch().await {
                Ok(published) => {
                    failures = 0;
                    if published as i64 == BATCH {
                        continue;
                    }
                    self.refresh_backlog().await;
                    self.wait_for_work(&mut listener, &shutdown).await;
                }
                Err(err) => {
                    failures = failures.saturating_add(1);
                    self.metrics.outbox_publish_failures.inc();
                    self.refresh_backlog().await;
                    let delay = backoff(failures, self.max_backoff);
                    tracing::warn!(
                        error = format!("{err:#}"),
                        retry_in_ms = delay.as_millis() as u64,
                        "outbox relay failed; backing off"
                    );
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = shutdown.cancelled() => {}
                    }
                }
            }
        }
        tracing::info!("outbox relay stopped");
    }

    async fn refresh_backlog(&self) {
        if let Ok(n) = backlog(&self.pool).await {
            self.metrics.outbox_backlog.set(n);
        }
        if let Ok(n) = parked(&self.pool).await {
            self.metrics.outbox_parked.set(n);
        }
    }

    /// Sleeps until a NOTIFY, the poll interval, or shutdown.
    async fn wait_for_work(&self, listener: &mut Option<PgListener>, shutdown: &CancellationToken) {
        if listener.is_none() {
            match PgListener::connect_with(&self.pool).await {
                Ok(mut l) => {
                    if l.listen("outbox").await.is_ok() {
                        *listener = Some(l);
                    }
                }
                Err(err) => tracing::debug!(error = %err, "outbox listener unavailable; polling"),
            }
        }
        let notified = async {
            match listener.as_mut() {
                Some(l) => {
                    if l.recv().await.is_err() {
                        *listener = None;
                    }
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = notified => {}
            () = tokio::time::sleep(self.poll_interval) => {}
            () = shutdown.cancelled() => {}
        }
    }

    /// Publishes every unpublished row now (for one-shot commands such as a
    /// scheduled report, which do not keep a relay running); returns how many.
    pub async fn publish_pending(&self) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            let published = self.publish_batch().await?;
            total += published;
            if published == 0 {
                self.refresh_backlog().await;
                return Ok(total);
            }
        }
    }

    /// Publishes up to one batch; returns how many rows were published or
    /// parked (so a batch that parked rows is followed at once by the next).
    #[tracing::instrument(skip_all)]
    async fn publish_batch(&self) -> anyhow::Result<usize> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context("starting the outbox transaction")?;
        let rows: Vec<OutboxRow> = sqlx::query_as(
            "SELECT id, event_type, event_version, aggregate_id, sequence, correlation_id, data, occurred_at
             FROM outbox WHERE published_at IS NULL AND parked_at IS NULL
             ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await
        .context("reading unpublished events")?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut entries = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            entries.push(self.entry(i, row)?);
        }
        let output = self
            .sns
            .publish_batch()
            .topic_arn(&self.topic_arn)
            .set_publish_batch_request_entries(Some(entries))
            .send()
            .await
            .context("publishing events to SNS")?;
        let published: Vec<Uuid> = output
            .successful()
            .iter()
            .filter_map(|ok| ok.id().and_then(|i| i.parse::<usize>().ok()))
            .filter_map(|i| rows.get(i).map(|r| r.id))
            .collect();
        let mut parked = 0;
        for failed in output.failed() {
            let Some(row) = failed.id().parse::<usize>().ok().and_then(|i| rows.get(i)) else {
                continue;
            };
            // Only an entry refused for what it is counts towards parking;
            // SNS failing on its side is retried like an outage.
            let refusal = i32::from(failed.sender_fault());
            let parks: Option<bool> = sqlx::query_scalar(
                "UPDATE outbox SET attempts = attempts + $3, last_error = $2,
                     parked_at = CASE WHEN attempts + $3 >= $4 THEN now() END
                 WHERE id = $1 RETURNING parked_at IS NOT NULL",
            )
            .bind(row.id)
            .bind(failed.message().unwrap_or(failed.code()))
            .bind(refusal)
            .bind(MAX_REFUSALS)
            .fetch_optional(&mut *tx)
            .await?;
            if parks == Some(true) {
                parked += 1;
                tracing::error!(
                    event_id = %row.id,
                    event_type = row.event_type,
                    code = failed.code(),
                    "SNS keeps refusing this event; parked (republish-parked-events puts it back)"
                );
            }
        }
        sqlx::query(
            "UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1)",
        )
        .bind(&published)
        .execute(&mut *tx)
        .await
        .context("marking events published")?;
        tx.commit().await.context("committing published events")?;
        self.metrics.outbox_published.inc_by(published.len() as u64);
        anyhow::ensure!(
            published.len() + parked == rows.len(),
            "SNS refused {} of {} events",
            rows.len() - published.len() - parked,
            rows.len()
        );
        Ok(published.len() + parked)
    }

    fn entry(&self, index: usize, row: &OutboxRow) -> anyhow::Result<PublishBatchRequestEntry> {
        let envelope = Envelope {
            id: row.id,
            event_type: row.event_type.clone(),
            version: row.event_version,
            source: self.source.to_owned(),
            occurred_at: row.occurred_at,
            aggregate_id: row.aggregate_id.clone(),
            sequence: row.sequence,
            correlation_id: row.correlation_id.clone(),
            data: row.data.clone(),
        };
        let attribute = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(&row.event_type)
            .build()?;
        Ok(PublishBatchRequestEntry::builder()
            .id(index.to_string())
            .message(serde_json::to_string(&envelope)?)
            .message_attributes(EVENT_TYPE_ATTRIBUTE, attribute)
            .build()?)
    }
}

/// Exponential backoff with full jitter: 100 ms · 2^failures, capped.
fn backoff(failures: u32, cap: Duration) -> Duration {
    let exp = Duration::from_millis(100).saturating_mul(1u32 << failures.min(16));
    let ceiling = exp.min(cap);
    let millis =
        rand::thread_rng().gen_range(ceiling.as_millis() as u64 / 2..=ceiling.as_millis() as u64);
    Duration::from_millis(millis)
}

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

/// Runs `clean_up` every hour until shutdown.
pub async fn run_clean_up(pool: PgPool, retention: Duration, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = every.tick() => {
                match clean_up(&pool, retention).await {
                    Ok(n) if n > 0 => tracing::info!(deleted = n, "outbox/inbox clean-up"),
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = %err, "outbox/inbox clean-up failed"),
                }
            }
            () = shutdown.cancelled() => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_under_the_cap() {
        let cap = Duration::from_secs(5);
        for failures in 1..40 {
            let d = backoff(failures, cap);
            assert!(d <= cap, "failure {failures} waited {d:?}");
            assert!(
                d >= Duration::from_millis(50),
                "failure {failures} waited {d:?}"
            );
        }
    }
}
