//! Dependencies failing while the service keeps running (slow suite; skipped by `--quick`).

use std::{
    collections::HashSet,
    process::{Command, Stdio},
    time::Duration,
};

use futures::future::join_all;
use platform::{
    events::Envelope,
    testing::{aws::VISIBILITY_TIMEOUT, eventually},
};
use serde_json::json;

use crate::helpers::{problem, registration, spawn_app_with, unique_email, Options, TestApp};

async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| {
            line.strip_prefix(name)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("{name} not in metrics:\n{text}"))
}

#[tokio::test]
async fn registrations_succeed_while_sns_is_unreachable_and_every_event_arrives_once_afterwards() {
    let app = spawn_app_with(Options {
        proxy_aws: true,
        ..Options::default()
    })
    .await;
    let proxy = app.aws_proxy.as_ref().unwrap();
    proxy.cut();

    let emails: Vec<String> = (0..20).map(|_| unique_email()).collect();
    let bodies: Vec<_> = emails.iter().map(|e| registration(e)).collect();
    let responses = join_all(bodies.iter().map(|b| app.register(b))).await;
    assert!(
        responses.iter().all(|r| r.status().as_u16() == 201),
        "every registration succeeds"
    );

    assert!(
        metric(&app, "storefront_outbox_backlog").await > 0.0,
        "the outbox holds the events"
    );
    let failures_seen = eventually(Duration::from_secs(10), || async {
        (metric(&app, "storefront_outbox_publish_failures_total").await > 0.0).then_some(())
    })
    .await;
    assert!(failures_seen.is_some(), "the relay saw SNS fail");
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            .await,
        20
    );

    proxy.restore();
    let queue = app.messaging.queue_url("campaign");
    let mut received = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while received.len() < 20 && tokio::time::Instant::now() < deadline {
        received.extend(app.messaging.drain(&queue, Duration::from_secs(1)).await);
    }
    // Anything published twice would show up within a visibility timeout plus a relay cycle.
    received.extend(
        app.messaging
            .drain(&queue, VISIBILITY_TIMEOUT + Duration::from_secs(3))
            .await,
    );

    let envelopes: Vec<Envelope> = received
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
        .collect();
    let ids: HashSet<_> = envelopes.iter().map(|e| e.id).collect();
    let addresses: HashSet<String> = envelopes
        .iter()
        .map(|e| e.data["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(envelopes.len(), 20, "exactly 20 messages");
    assert_eq!(ids.len(), 20, "no event delivered twice");
    assert_eq!(addresses, emails.into_iter().collect::<HashSet<_>>());
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn postgres_unreachable_gives_503s_and_the_service_recovers_without_a_restart() {
    let app = spawn_app_with(Options {
        proxy_postgres: true,
        ..Options::default()
    })
    .await;
    let proxy = app.postgres_proxy.as_ref().unwrap();
    proxy.cut();

    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status().as_u16(), 503);
    let body = problem(app.register(&registration(&unique_email())).await, 503).await;
    assert!(body["detail"].as_str().unwrap().contains("database"));

    proxy.restore();
    let recovered = eventually(Duration::from_secs(10), || async {
        let status = app
            .client
            .get(app.url("/health/ready"))
            .send()
            .await
            .ok()?
            .status();
        status.is_success().then_some(())
    })
    .await;
    assert!(recovered.is_some(), "readiness recovers");
    let email = unique_email();
    assert_eq!(
        app.register(&registration(&email)).await.status().as_u16(),
        201
    );
    assert_eq!(
        app.count("SELECT count(*) FROM customers").await,
        1,
        "only the registration after recovery"
    );
}

#[tokio::test]
async fn redis_unreachable_makes_rate_limits_fail_open_and_counted_and_readiness_degraded_not_failed(
) {
    let app = spawn_app_with(Options {
        proxy_redis: true,
        ..Options::default()
    })
    .await;
    let proxy = app.redis_proxy.as_ref().unwrap();
    proxy.cut();

    let response = app
        .post_json("/customers/verification", &json!({"email": unique_email()}))
        .await;
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 200, "the check still answers");
    assert!(
        app.metrics()
            .degraded_count("redis", "rate_limit_fail_open")
            > 0
    );
    assert_eq!(
        ready.status().as_u16(),
        200,
        "the load balancer keeps a task that works without Redis"
    );
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["status"], "degraded");
    assert_eq!(ready["checks"]["redis"], "degraded");
    assert_eq!(ready["checks"]["postgres"], "ok");
    proxy.restore();
}

/// A free port for a child process (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn sigterm_during_a_slow_request_lets_it_complete_and_exits_zero() {
    let app = spawn_app_with(Options::default()).await;
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_registration-service"))
        .env("PORT", port.to_string())
        .env("DATABASE_URL", &app.db.url)
        .env("REDIS_URL", crate::helpers::redis_url())
        .env(
            "REDIS_KEY_PREFIX",
            format!("{}:registration", app.messaging.prefix),
        )
        .env(
            "AWS_ENDPOINT_URL",
            platform::testing::aws::emulator_endpoint(),
        )
        .env("EVENTS_TOPIC_ARN", app.messaging.topic_arn("registration"))
        .env("JWT_SIGNING_KEYS", &app.signing_keys_json)
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the service binary");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let up = eventually(Duration::from_secs(20), || async {
        client
            .get(format!("{base}/health/ready"))
            .send()
            .await
            .ok()?
            .status()
            .is_success()
            .then_some(())
    })
    .await;
    assert!(up.is_some(), "the binary starts");

    // Hold the email's unique-index slot in an open transaction: the
    // service's insert waits on this row lock.
    let email = unique_email();
    let mut blocker = app.db.pool.begin().await.unwrap();
    sqlx::query("INSERT INTO customers (id, email, password_hash, first_name, last_name) VALUES ($1, $2, '$argon2id$x', 'Held', 'Lock')")
        .bind(uuid::Uuid::now_v7())
        .bind(&email)
        .execute(&mut *blocker)
        .await
        .unwrap();
    let request = tokio::spawn({
        let (client, base) = (client.clone(), base.clone());
        async move {
            client
                .post(format!("{base}/customers"))
                .json(&registration(&email))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    });
    let waiting = eventually(Duration::from_secs(10), || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&app.db.pool)
        .await
        .ok()?;
        (n > 0).then_some(())
    })
    .await;
    assert!(waiting.is_some(), "the request is blocked on the held lock");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the service waits for the in-flight request"
    );
    blocker.rollback().await.unwrap();

    let status = request
        .await
        .unwrap()
        .expect("the in-flight request completes");
    assert_eq!(status, 201);
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(exit.code(), Some(0), "the process exits 0");
}

#[tokio::test]
async fn events_sns_refuses_again_and_again_are_parked_and_no_longer_hold_up_the_ones_behind() {
    let app = spawn_app_with(Options::default()).await;
    // Ten events over SNS's 256 KiB limit, in line before a real one: SNS
    // refuses each entry of the batch on its own (a sender fault).
    let blob = "x".repeat(300 * 1024);
    for n in 0..10 {
        sqlx::query(
            "INSERT INTO outbox (id, event_type, event_version, aggregate_id, sequence, data)
             VALUES ($1, 'customer.registered', 1, $2, 1, jsonb_build_object('blob', $3::text))",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(format!("oversized-{n}"))
        .bind(&blob)
        .execute(&app.db.pool)
        .await
        .unwrap();
    }
    let email = unique_email();
    assert_eq!(
        app.register(&registration(&email)).await.status().as_u16(),
        201
    );

    let queue = app.messaging.queue_url("campaign");
    let mut received = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    while received.is_empty() && tokio::time::Instant::now() < deadline {
        received.extend(app.messaging.drain(&queue, Duration::from_secs(1)).await);
    }
    let parked = app
        .count("SELECT count(*) FROM outbox WHERE parked_at IS NOT NULL")
        .await;
    let gauge = eventually(Duration::from_secs(10), || async {
        let n = metric(&app, "storefront_outbox_parked").await;
        (n > 0.0).then_some(n)
    })
    .await;
    let republished = platform::outbox::republish_parked(&app.db.pool)
        .await
        .unwrap();

    let envelopes: Vec<Envelope> = received
        .iter()
        .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
        .collect();
    assert_eq!(envelopes.len(), 1, "the real event got through");
    assert_eq!(envelopes[0].data["email"], email.as_str());
    assert_eq!(parked, 10, "each refused event was parked");
    assert_eq!(gauge, Some(10.0), "and counted");
    assert_eq!(republished, 10, "the command puts them back in line");
}
