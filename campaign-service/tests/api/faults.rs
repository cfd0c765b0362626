//! Failing handlers and the dead-letter queue (slow suite; skipped by `--quick`).

use std::time::Duration;

use platform::testing::eventually;

use crate::helpers::{registered, spawn_app_with, unique_address, Options};

#[tokio::test]
async fn an_email_ses_refuses_is_recorded_retried_dead_lettered_and_sent_after_redrive() {
    let app = spawn_app_with(Options {
        sender_verified: false,
        ..Options::default()
    })
    .await;
    let to = unique_address();
    app.messaging
        .publish("registration", &registered(&to, "Ada", false))
        .await;
    let queue = app.messaging.queue_url("campaign");
    let dlq = platform::messaging::dlq_url_of(&queue);

    let dead = eventually(Duration::from_secs(45), || async {
        (app.messaging.depth(&dlq).await == 1).then_some(())
    })
    .await;

    assert!(
        dead.is_some(),
        "after 5 failed receives the message is in the DLQ"
    );
    let (status, attempts, error): (String, i32, Option<String>) =
        sqlx::query_as("SELECT status, attempts, last_error FROM emails WHERE recipient = $1")
            .bind(&to)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(status, "pending", "the refused email is kept, not dropped");
    assert_eq!(attempts, 5, "one attempt per delivery");
    assert!(error.unwrap_or_default().contains("SES refused"));
    assert!(platform::testing::aws::emails_to(&to).await.is_empty());

    // The cause is fixed (the sender verified), then the dead letter goes back.
    platform::aws::ensure_email_identity(&app.messaging.sdk, &app.sender_domain)
        .await
        .unwrap();
    let sqs = aws_sdk_sqs::Client::new(&app.messaging.sdk);
    let moved = platform::consumer::redrive(&sqs, &dlq, &queue)
        .await
        .unwrap();
    assert_eq!(moved, 1);

    let emails = app.wait_for_emails(&to, 1, Duration::from_secs(15)).await;
    assert_eq!(emails.len(), 1);
    let status: String = sqlx::query_scalar("SELECT status FROM emails WHERE recipient = $1")
        .bind(&to)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "sent");
}

#[tokio::test]
async fn a_poison_message_is_retried_then_dead_lettered_without_an_email() {
    let app = spawn_app_with(Options::default()).await;
    let mut poison = registered(&unique_address(), "Broken", true);
    poison.data = serde_json::json!({"unexpected": "shape"});
    app.messaging.publish("registration", &poison).await;
    let dlq = platform::messaging::dlq_url_of(&app.messaging.queue_url("campaign"));

    let dead = eventually(Duration::from_secs(45), || async {
        (app.messaging.depth(&dlq).await == 1).then_some(())
    })
    .await;

    assert!(dead.is_some());
    assert_eq!(
        app.count("SELECT count(*) FROM inbox").await,
        0,
        "nothing was recorded as handled"
    );
    assert_eq!(app.count("SELECT count(*) FROM emails").await, 0);
    assert!(app
        .state
        .metrics
        .encode()
        .contains("storefront_consumer_failures_total 5"));
}

#[tokio::test]
async fn an_idle_consumer_long_polls_without_errors_and_still_picks_up_the_next_event() {
    let app = spawn_app_with(Options::default()).await;

    // Longer than one long poll plus the SDK's usual per-attempt timeout.
    tokio::time::sleep(Duration::from_secs(16)).await;
    let to = unique_address();
    app.messaging
        .publish("registration", &registered(&to, "Idle", false))
        .await;

    assert_eq!(
        app.wait_for_emails(&to, 1, Duration::from_secs(15))
            .await
            .len(),
        1
    );
    let metrics = app.state.metrics.encode();
    assert!(
        metrics.contains("storefront_consumer_receive_errors_total 0"),
        "{metrics}"
    );
}
