//! The generator against a small local server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::{http::StatusCode, routing::get, Router};

use super::*;

async fn server() -> SocketAddr {
    let app = Router::new()
        .route("/ok", get(|| async { "ok" }))
        .route("/teapot", get(|| async { StatusCode::IM_A_TEAPOT }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

struct Get(&'static str);

impl Workload for Get {
    fn request(&self, _n: u64) -> Option<Request> {
        Some(Request::get(self.0))
    }
}

fn plan(addr: SocketAddr, mode: Mode, millis: u64) -> Plan {
    Plan {
        name: "test".to_owned(),
        target: Target::from_url(&format!("http://{addr}")).unwrap(),
        mode,
        duration: Duration::from_millis(millis),
        timeout: Duration::from_secs(2),
    }
}

#[tokio::test]
async fn a_closed_loop_counts_every_answer_and_its_latency() {
    let addr = server().await;
    let report = run(
        &plan(addr, Mode::Closed { connections: 4 }, 300),
        Arc::new(Get("/ok")),
    )
    .await
    .unwrap();
    assert!(report.requests > 10, "{report:?}");
    assert_eq!(report.ok, report.requests);
    assert_eq!(report.count("200"), report.requests);
    assert_eq!(report.latency.len(), report.requests);
}

#[tokio::test]
async fn statuses_other_than_2xx_are_errors_by_default() {
    let addr = server().await;
    let report = run(
        &plan(addr, Mode::Closed { connections: 2 }, 200),
        Arc::new(Get("/teapot")),
    )
    .await
    .unwrap();
    assert!(report.errors > 0);
    assert_eq!(report.ok, 0);
    assert_eq!(report.count("418"), report.errors);
}

#[tokio::test]
async fn an_open_loop_sends_at_its_rate() {
    let addr = server().await;
    let mode = Mode::Open {
        rate: 200.0,
        connections: 4,
    };
    let report = run(&plan(addr, mode, 500), Arc::new(Get("/ok")))
        .await
        .unwrap();
    assert_eq!(report.requests, 100, "{report:?}");
    assert_eq!(report.errors, 0);
    // Counted from when each request was due, and none is sent early.
    assert!(report.latency.min() > 20, "min {} µs", report.latency.min());
}

/// Sends `limit` requests, then stops.
struct Limited(u64);

impl Workload for Limited {
    fn request(&self, n: u64) -> Option<Request> {
        (n < self.0).then(|| Request::get("/ok"))
    }
}

#[tokio::test]
async fn a_workload_that_runs_out_ends_the_run_early() {
    let addr = server().await;
    let report = run(
        &plan(addr, Mode::Closed { connections: 3 }, 10_000),
        Arc::new(Limited(25)),
    )
    .await
    .unwrap();
    assert_eq!(report.requests, 25);
    assert!(report.elapsed < Duration::from_secs(5));
}

#[tokio::test]
async fn a_target_that_refuses_connections_counts_connection_errors() {
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let report = run(
        &plan(addr, Mode::Closed { connections: 2 }, 200),
        Arc::new(Get("/ok")),
    )
    .await
    .unwrap();
    assert!(report.errors > 0);
    assert_eq!(report.count("connection"), report.errors);
    // Refused connections back off instead of spinning.
    assert!(report.errors < 100, "{} errors", report.errors);
}

#[test]
fn needles_are_found_in_bodies() {
    assert!(contains(
        br#"{"status":"confirmed"}"#,
        br#""status":"confirmed""#
    ));
    assert!(!contains(b"{}", b"sold-out"));
    assert!(!contains(b"abc", b""));
}
