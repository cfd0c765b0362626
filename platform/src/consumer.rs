//! SQS consumption, generic over a handler: long polling, batches of 10,
//! bounded concurrency, visibility extended while a handler runs, delete only
//! after the handler's effect committed, failures left for redelivery (the
//! queue's redrive policy moves a message to its DLQ after 5 receives).

use std::{sync::Arc, time::Duration};

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use futures::{stream, StreamExt};
use prometheus_client::{
    metrics::{counter::Counter, histogram::Histogram},
    registry::Registry,
};
use sqlx::PgConnection;
use tokio_util::sync::CancellationToken;

use crate::events::Envelope;

/// Handles one event. It records the event in the inbox (`record_in_inbox`)
/// in the same transaction as its effect, and returns `Ok` only once that
/// transaction committed; `Err` leaves the message for redelivery.
pub trait EventHandler: Send + Sync + 'static {
    fn handle(
        &self,
        event: Envelope,
    ) -> impl std::future::Future<Output = Result<Handled, anyhow::Error>> + Send;
}

/// What a handler did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Processed,
    /// Already in the inbox: a redelivery, no second effect.
    Duplicate,
}

/// Records `event` as handled by `consumer`; false when it already was.
pub async fn record_in_inbox(
    conn: &mut PgConnection,
    consumer: &str,
    event: &Envelope,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3)
         ON CONFLICT (consumer, event_id) DO NOTHING",
    )
    .bind(consumer)
    .bind(event.id)
    .bind(&event.event_type)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Consumer metrics, registered in the service's registry.
#[derive(Clone)]
pub struct ConsumerMetrics {
    pub received: Counter,
    /// Receives from the queue that failed (and were retried).
    pub receive_errors: Counter,
    pub processed: Counter,
    pub duplicates: Counter,
    pub failures: Counter,
    /// Seconds between SQS receiving a message and us picking it up.
    pub age: Histogram,
}

impl ConsumerMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            received: Counter::default(),
            receive_errors: Counter::default(),
            processed: Counter::default(),
            duplicates: Counter::default(),
            failures: Counter::default(),
            age: Histogram::new([0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0]),
        };
        registry.register(
            "consumer_received",
            "Messages received from the queue",
            metrics.received.clone(),
        );
        registry.register(
            "consumer_receive_errors",
            "Failed receives from the queue (retried)",
            metrics.receive_errors.clone(),
        );
        registry.register(
            "consumer_processed",
            "Messages whose effect committed",
            metrics.processed.clone(),
        );
        registry.register(
            "consumer_duplicates",
            "Redelivered messages ignored via the inbox",
            metrics.duplicates.clone(),
        );
        registry.register(
            "consumer_failures",
            "Messages left for redelivery after a failure",
            metrics.failures.clone(),
        );
        registry.register(
            "consumer_message_age_seconds",
            "Age of messages when received",
            metrics.age.clone(),
        );
        metrics
    }
}

pub struct QueueConsumer<H> {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub handler: Arc<H>,
    pub metrics: ConsumerMetrics,
    /// Handlers running at once.
    pub concurrency: usize,
    /// The queue's visibility timeout; a running handler's message is kept
    /// invisible by extending it every half of this.
    pub visibility_timeout: Duration,
}

/// Outcome of one message, for callers that report per-message results (the Lambda).
#[derive(Debug)]
pub enum MessageOutcome {
    Done(Handled),
    Failed(anyhow::Error),
}

/// Parses and handles one message body; shared by the ECS worker and the Lambda.
pub async fn handle_body<H: EventHandler>(handler: &H, body: &str) -> MessageOutcome {
    let event: Envelope = match serde_json::from_str(body) {
        Ok(event) => event,
        Err(err) => return MessageOutcome::Failed(anyhow::anyhow!("not an event envelope: {err}")),
    };
    let (id, kind) = (event.id, event.event_type.clone());
    match handler.handle(event).await {
        Ok(handled) => MessageOutcome::Done(handled),
        Err(err) => {
            tracing::warn!(event_id = %id, event_type = kind, error = format!("{err:#}"), "handling an event failed; it will be redelivered");
            MessageOutcome::Failed(err)
        }
    }
}

/// SQS long polling: a receive waits up to this long for a message.
const LONG_POLL_SECS: i32 = 10;

impl<H: EventHandler> QueueConsumer<H> {
    pub async fn run(self, shutdown: CancellationToken) {
        let this = Arc::new(self);
        let mut failures: u32 = 0;
        while !shutdown.is_cancelled() {
            let received = tokio::select! {
                r = this.receive() => r,
                () = shutdown.cancelled() => break,
            };
            match received {
                Ok(messages) => {
                    failures = 0;
                    stream::iter(messages)
                        .for_each_concurrent(this.concurrency, |m| {
                            let this = this.clone();
                            async move { this.process(m).await }
                        })
                        .await;
                }
                Err(err) => {
                    failures = failures.saturating_add(1);
                    this.metrics.receive_errors.inc();
                    let delay = Duration::from_millis(200 * u64::from(failures.min(25)));
                    tracing::warn!(
                        error = format!("{err:#}"),
                        "receiving from the queue failed; retrying"
                    );
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = shutdown.cancelled() => break,
                    }
                }
            }
        }
        tracing::info!("queue consumer stopped");
    }

    async fn receive(&self) -> anyhow::Result<Vec<Message>> {
        // A long poll outlives the SDK's usual per-attempt timeout.
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .operation_attempt_timeout(Duration::from_secs(LONG_POLL_SECS as u64 + 5))
            .operation_timeout(Duration::from_secs(LONG_POLL_SECS as u64 + 10))
            .build();
        let out = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(LONG_POLL_SECS)
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .customize()
            .config_override(aws_sdk_sqs::config::Builder::default().timeout_config(timeouts))
            .send()
            .await?;
        let messages = out.messages.unwrap_or_default();
        self.metrics.received.inc_by(messages.len() as u64);
        Ok(messages)
    }

    async fn process(&self, message: Message) {
        if let Some(sent) = message
            .attributes()
            .and_then(|a| a.get(&MessageSystemAttributeName::SentTimestamp))
            .and_then(|t| t.parse::<i64>().ok())
        {
            let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
            self.metrics
                .age
                .observe(((now as i64 - sent).max(0) as f64) / 1000.0);
        }
        let Some(receipt) = message.receipt_handle().map(str::to_owned) else {
            return;
        };
        let heartbeat = self.keep_invisible(receipt.clone());
        let outcome = handle_body(self.handler.as_ref(), message.body().unwrap_or_default()).await;
        heartbeat.cancel();
        match outcome {
            MessageOutcome::Done(handled) => {
                match handled {
                    Handled::Processed => self.metrics.processed.inc(),
                    Handled::Duplicate => self.metrics.duplicates.inc(),
                };
                if let Err(err) = self
                    .sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(&receipt)
                    .send()
                    .await
                {
                    // The effect committed; a redelivery is caught by the inbox.
                    tracing::warn!(error = %err, "deleting a handled message failed");
                }
            }
            MessageOutcome::Failed(_) => {
                self.metrics.failures.inc();
            }
        }
    }

    /// Extends the message's visibility every half timeout until cancelled.
    fn keep_invisible(&self, receipt: String) -> CancellationToken {
        let done = CancellationToken::new();
        let (sqs, queue_url, every, stop) = (
            self.sqs.clone(),
            self.queue_url.clone(),
            self.visibility_timeout / 2,
            done.clone(),
        );
        let timeout_secs = self.visibility_timeout.as_secs().max(1) as i32;
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(every.max(Duration::from_millis(500))) => {}
                    () = stop.cancelled() => return,
                }
                let extended = sqs
                    .change_message_visibility()
                    .queue_url(&queue_url)
                    .receipt_handle(&receipt)
                    .visibility_timeout(timeout_secs)
                    .send()
                    .await;
                if let Err(err) = extended {
                    tracing::debug!(error = %err, "extending visibility failed");
                }
            }
        });
        done
    }
}

/// Moves every message of `dlq_url` back to `queue_url`; returns how many.
pub async fn redrive(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    queue_url: &str,
) -> anyhow::Result<usize> {
    let mut moved = 0;
    loop {
        let out = sqs
            .receive_message()
            .queue_url(dlq_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_attribute_names("All")
            .send()
            .await?;
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(moved);
        }
        for message in messages {
            let mut send = sqs
                .send_message()
                .queue_url(queue_url)
                .message_body(message.body().unwrap_or_default());
            if let Some(attributes) = message.message_attributes() {
                for (name, value) in attributes {
                    send = send.message_attributes(name, value.clone());
                }
            }
            send.send().await?;
            if let Some(receipt) = message.receipt_handle() {
                sqs.delete_message()
                    .queue_url(dlq_url)
                    .receipt_handle(receipt)
                    .send()
                    .await?;
            }
            moved += 1;
        }
    }
}

impl crate::metrics::MetricGroup for ConsumerMetrics {
    fn register(registry: &mut Registry) -> Self {
        Self::register(registry)
    }
}
