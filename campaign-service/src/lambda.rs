//! The Lambda packaging of the emailer: the same handler, with partial batch
//! failures so one bad message does not redeliver its whole batch.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use platform::consumer::{handle_body, EventHandler, MessageOutcome};

/// Handles every record; the ids of those that failed go in `batchItemFailures`.
pub async fn handle_sqs_event<H: EventHandler>(handler: &H, event: SqsEvent) -> SqsBatchResponse {
    let mut failures = Vec::new();
    for record in event.records {
        let body = record.body.as_deref().unwrap_or_default();
        if let MessageOutcome::Failed(_) = handle_body(handler, body).await {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = record.message_id.unwrap_or_default();
            failures.push(failure);
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}
