//! Key rotation as another service sees it: the verifier against a real
//! JWKS endpoint whose keys and `max-age` the test changes.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use axum::{extract::State, http::StatusCode, response::IntoResponse, routing::get, Router};

use super::{
    claims::{Claims, Role},
    keys::{generate_signing_keys_json, Jwks, SigningKeys},
    AuthError, TokenVerifier,
};

struct Published {
    jwks: Mutex<Jwks>,
    max_age: u64,
    failing: AtomicBool,
}

/// The issuer's `/.well-known/jwks.json`, served over HTTP.
struct Issuer {
    url: String,
    published: Arc<Published>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Issuer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn serve(State(published): State<Arc<Published>>) -> axum::response::Response {
    if published.failing.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let jwks = published.jwks.lock().unwrap().clone();
    (
        [(
            http::header::CACHE_CONTROL,
            format!("public, max-age={}", published.max_age),
        )],
        axum::Json(jwks),
    )
        .into_response()
}

impl Issuer {
    async fn start(keys: &SigningKeys, max_age: u64) -> Self {
        let published = Arc::new(Published {
            jwks: Mutex::new(keys.jwks()),
            max_age,
            failing: AtomicBool::new(false),
        });
        let app = Router::new()
            .route("/.well-known/jwks.json", get(serve))
            .with_state(published.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/.well-known/jwks.json",
            listener.local_addr().unwrap()
        );
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url,
            published,
            server,
        }
    }

    fn publish(&self, keys: &SigningKeys) {
        *self.published.jwks.lock().unwrap() = keys.jwks();
    }

    fn verifier(&self) -> TokenVerifier {
        TokenVerifier::remote("iss", "aud", &self.url, "storefront-test/0").unwrap()
    }
}

fn keys(kid: &str) -> SigningKeys {
    SigningKeys::from_json(&generate_signing_keys_json(kid)).unwrap()
}

fn token(keys: &SigningKeys) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    keys.sign(&Claims {
        iss: "iss".to_owned(),
        aud: "aud".to_owned(),
        sub: "someone".to_owned(),
        exp: now + 600,
        iat: now,
        role: Role::Customer,
        email: None,
        name: None,
    })
    .unwrap()
}

#[tokio::test]
async fn a_key_removed_from_the_jwks_stops_verifying_even_a_cached_token_after_one_max_age() {
    let old = keys("old-1");
    let issuer = Issuer::start(&old, 1).await;
    let verifier = issuer.verifier();
    let token = token(&old);
    assert!(verifier.verify(&token).await.is_ok(), "verified and cached");

    issuer.publish(&keys("new-1"));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let after_max_age = verifier.verify(&token).await;

    assert!(
        matches!(after_max_age, Err(AuthError::Invalid(_))),
        "the removed key's token is refused: {after_max_age:?}"
    );
}

#[tokio::test]
async fn a_newly_published_key_is_trusted_without_waiting_for_the_max_age() {
    let old = keys("old-1");
    let issuer = Issuer::start(&old, 300).await;
    let verifier = issuer.verifier();
    assert!(verifier.verify(&token(&old)).await.is_ok());

    let new = keys("new-1");
    issuer.publish(&new);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let with_the_new_key = verifier.verify(&token(&new)).await;

    assert!(
        with_the_new_key.is_ok(),
        "the unknown kid made it fetch: {with_the_new_key:?}"
    );
}

#[tokio::test]
async fn a_failed_fetch_is_not_counted_as_one_so_keys_are_fetched_again_once_the_issuer_answers() {
    let keys = keys("k-1");
    let issuer = Issuer::start(&keys, 300).await;
    let verifier = issuer.verifier();
    issuer.published.failing.store(true, Ordering::SeqCst);

    let while_down = verifier.verify(&token(&keys)).await;
    issuer.published.failing.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let once_up = verifier.verify(&token(&keys)).await;

    assert!(
        matches!(while_down, Err(AuthError::KeysUnavailable(_))),
        "{while_down:?}"
    );
    assert!(once_up.is_ok(), "fetched again: {once_up:?}");
}

#[tokio::test]
async fn the_jwks_is_not_refetched_within_its_max_age() {
    let keys = keys("k-1");
    let issuer = Issuer::start(&keys, 300).await;
    let verifier = issuer.verifier();
    assert!(verifier.verify(&token(&keys)).await.is_ok());

    issuer.published.failing.store(true, Ordering::SeqCst);
    let fresh_token = token(&keys);
    let later = verifier.verify(&fresh_token).await;

    assert!(
        later.is_ok(),
        "the keys it has are still trusted: {later:?}"
    );
}
