use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use campaign_service::{emails::handler::EmailHandler, lambda::handle_sqs_event};

use crate::helpers::{registered, spawn_app_with, unique_address, Options};

#[tokio::test]
async fn a_batch_with_one_poison_message_reports_exactly_that_one_and_sends_the_rest() {
    let app = spawn_app_with(Options {
        consumer: false,
        ..Options::default()
    })
    .await;
    let (first, second) = (unique_address(), unique_address());
    let mut poison = registered(&unique_address(), "Broken", false);
    poison.data = serde_json::json!({"not": "a registration"});
    for event in [
        registered(&first, "One", false),
        poison.clone(),
        registered(&second, "Two", false),
    ] {
        app.messaging.publish("registration", &event).await;
    }
    let queue = app.messaging.queue_url("campaign");
    let mut received = Vec::new();
    while received.len() < 3 {
        received.extend(app.messaging.drain(&queue, Duration::from_secs(2)).await);
    }
    let poison_message_id = received
        .iter()
        .find(|m| {
            m.body()
                .unwrap_or_default()
                .contains(&poison.id.to_string())
        })
        .and_then(|m| m.message_id().map(str::to_owned))
        .unwrap();
    let mut event = SqsEvent::default();
    event.records = received
        .iter()
        .map(|m| {
            let mut record = SqsMessage::default();
            record.message_id = m.message_id().map(str::to_owned);
            record.receipt_handle = m.receipt_handle().map(str::to_owned);
            record.body = m.body().map(str::to_owned);
            record
        })
        .collect();
    let handler = EmailHandler::from_settings(&app.settings, app.db.pool.clone()).await;

    let response = handle_sqs_event(&handler, event).await;

    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, [poison_message_id.as_str()]);
    assert_eq!(
        app.wait_for_emails(&first, 1, Duration::from_secs(5))
            .await
            .len(),
        1
    );
    assert_eq!(
        app.wait_for_emails(&second, 1, Duration::from_secs(5))
            .await
            .len(),
        1
    );
}
