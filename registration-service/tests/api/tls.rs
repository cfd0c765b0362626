//! The service binary against TLS-only Postgres and Redis, as RDS and
//! ElastiCache run in AWS (docs/deploy.md, "TLS"): the server certificate is
//! verified against the CA the deployment names, never merely accepted.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use platform::testing::{
    eventually,
    private::{PrivatePostgres, PrivateRedis},
    tls::TestCa,
    unique_prefix,
};
use serde_json::{json, Value};

use crate::helpers::{registration, unique_email};

/// `verify-full`: the certificate must chain to `ca` and name the host.
fn verified_url(postgres: &PrivatePostgres, database: &str, ca: &Path) -> String {
    format!(
        "postgres://postgres@127.0.0.1:{}/{database}?sslmode=verify-full&sslrootcert={}",
        postgres.port,
        ca.display()
    )
}

/// The registration-service binary, configured from the environment only.
fn start_service(
    database_url: &str,
    redis: &PrivateRedis,
    redis_ca: &Path,
    prefix: &str,
    stderr: Stdio,
) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = Command::new(env!("CARGO_BIN_EXE_registration-service"))
        .env_clear()
        .env("PORT", port.to_string())
        .env("DATABASE_URL", database_url)
        .env("REDIS_URL", redis.url())
        .env("REDIS_CA_FILE", redis_ca)
        .env("REDIS_KEY_PREFIX", prefix)
        .env(
            "JWT_SIGNING_KEYS",
            platform::auth::keys::generate_signing_keys_json("tls-test-1"),
        )
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("starting the service binary");
    (child, format!("http://127.0.0.1:{port}"))
}

async fn readiness(client: &reqwest::Client, base: &str) -> Option<Value> {
    let response = client
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .ok()?;
    response.status().is_success().then_some(())?;
    response.json().await.ok()
}

/// The keys under `prefix`, read over TLS verified against `ca`.
async fn keys_under(redis: &PrivateRedis, ca: &Path, prefix: &str) -> Vec<String> {
    let certificates = redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(std::fs::read(ca).unwrap()),
    };
    let client = redis::Client::build_with_tls(redis.url(), certificates).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_service_given_verify_full_and_rediss_urls_becomes_ready_on_tls_only_servers_and_writes_to_both(
) {
    platform::tls::install_crypto_provider();
    let ca = TestCa::new();
    let postgres = PrivatePostgres::start_tls_only(&ca);
    let redis = PrivateRedis::start_tls_only(&ca);
    let admin_url = verified_url(&postgres, "postgres", &ca.ca_file());
    platform::db::ensure_database(&admin_url, "registration")
        .await
        .expect("creating the database over TLS");
    let database_url = verified_url(&postgres, "registration", &ca.ca_file());
    let prefix = unique_prefix();

    let (mut child, base) =
        start_service(&database_url, &redis, &ca.ca_file(), &prefix, Stdio::null());
    let client = reqwest::Client::new();
    let ready = eventually(Duration::from_secs(30), || async {
        readiness(&client, &base)
            .await
            .filter(|body| body["status"] == "ok")
    })
    .await;
    let email = unique_email();
    let registered = client
        .post(format!("{base}/customers"))
        .json(&registration(&email))
        .send()
        .await
        .unwrap()
        .status();
    let checked = client
        .post(format!("{base}/customers/verification"))
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    let checked_status = checked.status();
    let checked_body: Value = checked.json().await.unwrap();
    let _ = child.kill();
    let _ = child.wait();

    let ready = ready.expect("ready with postgres ok and redis ok over TLS");
    assert_eq!(ready["checks"]["postgres"], "ok");
    assert_eq!(ready["checks"]["redis"], "ok");
    assert_eq!(registered.as_u16(), 201);
    assert_eq!(checked_status.as_u16(), 200);
    assert_eq!(checked_body["registered"], true);
    let pool = sqlx::PgPool::connect(&database_url).await.unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM customers WHERE email = $1")
        .bind(&email)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 1, "the customer was written to Postgres over TLS");
    let keys = keys_under(&redis, &ca.ca_file(), &prefix).await;
    assert!(
        !keys.is_empty(),
        "the verification's rate-limit counter was written to Redis over TLS"
    );
}

#[tokio::test]
async fn a_service_given_the_wrong_ca_for_postgres_fails_start_up_naming_certificate_verification()
{
    platform::tls::install_crypto_provider();
    let ca = TestCa::new();
    let other_ca = TestCa::new();
    let postgres = PrivatePostgres::start_tls_only(&ca);
    let redis = PrivateRedis::start_tls_only(&ca);
    let database_url = verified_url(&postgres, "postgres", &other_ca.ca_file());

    let (child, _) = start_service(
        &database_url,
        &redis,
        &ca.ca_file(),
        &unique_prefix(),
        Stdio::piped(),
    );
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "start-up fails: {stderr}");
    assert!(
        stderr.contains("invalid peer certificate"),
        "the error names the failed certificate verification: {stderr}"
    );
}

#[tokio::test]
async fn redis_whose_certificate_the_service_cannot_verify_is_reported_degraded_never_trusted() {
    platform::tls::install_crypto_provider();
    let ca = TestCa::new();
    let other_ca = TestCa::new();
    let postgres = PrivatePostgres::start_tls_only(&ca);
    let redis = PrivateRedis::start_tls_only(&ca);
    let database_url = verified_url(&postgres, "postgres", &ca.ca_file());

    let (mut child, base) = start_service(
        &database_url,
        &redis,
        &other_ca.ca_file(),
        &unique_prefix(),
        Stdio::null(),
    );
    let client = reqwest::Client::new();
    let ready = eventually(Duration::from_secs(30), || async {
        readiness(&client, &base).await
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();

    let ready = ready.expect("ready: Postgres is reachable");
    assert_eq!(ready["checks"]["postgres"], "ok");
    assert_eq!(
        ready["checks"]["redis"], "degraded",
        "a certificate from a CA it was not given is refused"
    );
}
