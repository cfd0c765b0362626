//! The relay: publishes unpublished outbox rows to SNS in batches, woken by
//! LISTEN/NOTIFY, backing off while SNS or Postgres fails.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use rand::Rng;
use sqlx::{postgres::PgListener, PgPool};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{backlog, parked, MAX_REFUSALS};
use crate::{
    events::{Envelope, EVENT_TYPE_ATTRIBUTE},
    metrics::Metrics,
};

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
