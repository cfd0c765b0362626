//! Registration under abuse: clients that hang up mid-request cannot pile up
//! password hashes, and one address cannot probe emails at unbounded rate.

use std::time::Duration;

use futures::{stream, StreamExt};
use platform::testing::eventually;

use crate::helpers::{registration, spawn_app, spawn_app_with, unique_email, Options};

#[tokio::test]
async fn registrations_whose_clients_hang_up_never_run_more_hashes_at_once_than_the_cap() {
    let app = spawn_app().await;
    let hasher = &app.state.hasher;
    // A loop of send-and-hang-up, ten at a time: each client gives up while
    // its 19 MiB, ~40 ms hash is still running.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(15))
        .build()
        .unwrap();

    let sent: Vec<_> = stream::iter(0..80)
        .map(|_| {
            impatient
                .post(app.url("/customers"))
                .json(&registration(&unique_email()))
                .send()
        })
        .buffer_unordered(10)
        .collect()
        .await;
    let settled = eventually(Duration::from_secs(30), || async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        (hasher.running() == 0).then_some(())
    })
    .await;

    assert!(
        sent.iter().filter(|r| r.is_err()).count() > 40,
        "the clients hung up"
    );
    assert!(settled.is_some(), "the hashes finished");
    assert!(hasher.peak_concurrency() > 0, "hashes did run");
    assert!(
        hasher.peak_concurrency() <= hasher.limit(),
        "at most {} hashes at once, saw {}",
        hasher.limit(),
        hasher.peak_concurrency()
    );
}

#[tokio::test]
async fn registrations_are_rate_limited_per_client_address_so_409s_are_no_free_email_oracle() {
    let mut limits = crate::helpers::relaxed_limits();
    limits.registration = "3/60".parse().unwrap();
    let app = spawn_app_with(Options {
        rate_limits: Some(limits),
        trusted_proxy_hops: 1,
        ..Options::default()
    })
    .await;
    let taken = unique_email();
    assert_eq!(
        app.register(&registration(&taken)).await.status().as_u16(),
        201
    );
    let register_from = |address: &'static str, email: String| {
        let request = app
            .client
            .post(app.url("/customers"))
            .header("x-forwarded-for", address)
            .json(&registration(&email));
        async move { request.send().await.unwrap().status().as_u16() }
    };

    let mut probes = Vec::new();
    for _ in 0..5 {
        probes.push(register_from("203.0.113.7", taken.clone()).await);
    }
    let elsewhere = register_from("198.51.100.9", unique_email()).await;

    assert_eq!(probes, [409, 409, 409, 429, 429]);
    assert_eq!(
        elsewhere, 201,
        "another address is not limited by the prober"
    );
}
