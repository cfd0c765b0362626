use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use platform::auth::{Claims, Role, SigningKeys};
use serde_json::{json, Value};

use crate::helpers::{
    problem, registration, spawn_app, spawn_app_with, unique_email, Options, TestApp, AUDIENCE,
    ISSUER, SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET,
};

async fn registered(app: &TestApp) -> String {
    let email = unique_email();
    assert_eq!(
        app.register(&registration(&email)).await.status().as_u16(),
        201
    );
    email
}

fn claims(role: Role, exp_offset: i64) -> Claims {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    Claims {
        iss: ISSUER.to_owned(),
        aud: AUDIENCE.to_owned(),
        sub: uuid::Uuid::new_v4().to_string(),
        exp: now + exp_offset,
        iat: now,
        role,
        email: None,
        name: None,
    }
}

async fn me_status(app: &TestApp, token: &str) -> u16 {
    app.client
        .get(app.url("/customers/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_right_password_gives_a_token_that_verifies_against_the_published_jwks() {
    let app = spawn_app().await;
    let email = registered(&app).await;

    let response = app
        .token_for(&email.to_uppercase(), "correct horse battery")
        .await;

    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let verifier = app.verifier();
    let claims = verifier
        .verify(body["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(claims.role, Role::Customer);
    assert_eq!(claims.email.as_deref(), Some(email.as_str()));
    assert_eq!(claims.name.as_deref(), Some("Ada Lovelace"));
    assert!(claims.exp - claims.iat <= 900);
}

#[tokio::test]
async fn a_wrong_password_or_unknown_email_gets_401() {
    let app = spawn_app().await;
    let email = registered(&app).await;

    problem(app.token_for(&email, "wrong password!!").await, 401).await;
    problem(
        app.token_for(&unique_email(), "correct horse battery")
            .await,
        401,
    )
    .await;
}

#[tokio::test]
async fn services_get_a_service_token_with_client_credentials_and_not_with_a_wrong_secret() {
    let app = spawn_app().await;
    let grant = |secret: &str| json!({"grant_type": "client_credentials", "client_id": SERVICE_CLIENT_ID, "client_secret": secret});

    let ok: Value = app
        .post_json("/auth/token", &grant(SERVICE_CLIENT_SECRET))
        .await
        .json()
        .await
        .unwrap();
    let claims = app
        .state
        .verifier
        .verify(ok["access_token"].as_str().unwrap())
        .await
        .unwrap();

    assert_eq!(claims.role, Role::Service);
    assert_eq!(claims.sub, SERVICE_CLIENT_ID);
    problem(
        app.post_json("/auth/token", &grant("not the secret")).await,
        401,
    )
    .await;
    let unknown =
        json!({"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"});
    problem(app.post_json("/auth/token", &unknown).await, 401).await;
}

#[tokio::test]
async fn an_unknown_grant_type_is_a_422() {
    let app = spawn_app().await;
    let body = json!({"grant_type": "implicit", "email": "a@b.co"});
    problem(app.post_json("/auth/token", &body).await, 422).await;
}

#[tokio::test]
async fn forged_expired_and_misaddressed_tokens_are_rejected_by_the_platform_extractor() {
    let app = spawn_app().await;
    let keys = SigningKeys::from_json(&app.signing_keys_json).unwrap();
    let jwk_x = keys.jwks().keys[0].x.clone();
    let valid = keys.sign(&claims(Role::Customer, 600)).unwrap();
    assert_eq!(
        me_status(&app, &valid).await,
        404,
        "a valid token passes authentication"
    );

    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(Role::Admin, 600)).unwrap());
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"test-key-1"}"#);
    let alg_none = format!("{none_header}.{payload}.");

    let other_key = platform::auth::keys::generate_signing_keys_json("test-key-1");
    let bad_signature = SigningKeys::from_json(&other_key)
        .unwrap()
        .sign(&claims(Role::Admin, 600))
        .unwrap();

    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some("test-key-1".to_owned());
    let hs256_with_public_key = jsonwebtoken::encode(
        &hs_header,
        &claims(Role::Admin, 600),
        &EncodingKey::from_secret(&URL_SAFE_NO_PAD.decode(&jwk_x).unwrap()),
    )
    .unwrap();

    let expired = keys.sign(&claims(Role::Customer, -3600)).unwrap();
    let mut wrong_audience_claims = claims(Role::Customer, 600);
    wrong_audience_claims.aud = "another-platform".to_owned();
    let wrong_audience = keys.sign(&wrong_audience_claims).unwrap();
    let mut wrong_issuer_claims = claims(Role::Customer, 600);
    wrong_issuer_claims.iss = "http://evil.test".to_owned();
    let wrong_issuer = keys.sign(&wrong_issuer_claims).unwrap();

    for (case, token) in [
        ("alg none", alg_none.as_str()),
        ("bad signature", &bad_signature),
        ("HS256 signed with the public key", &hs256_with_public_key),
        ("expired", &expired),
        ("wrong audience", &wrong_audience),
        ("wrong issuer", &wrong_issuer),
        ("garbage", "not.a.token"),
    ] {
        assert_eq!(me_status(&app, token).await, 401, "case: {case}");
    }
    let no_token = app
        .client
        .get(app.url("/customers/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.headers()["www-authenticate"], "Bearer");
    problem(no_token, 401).await;
}

#[tokio::test]
async fn a_brute_forced_login_gets_429() {
    let mut limits = crate::helpers::relaxed_limits();
    limits.login_per_account = "3/300".parse().unwrap();
    let app = spawn_app_with(Options {
        rate_limits: Some(limits),
        ..Options::default()
    })
    .await;
    let email = registered(&app).await;

    for _ in 0..3 {
        problem(app.token_for(&email, "guess guess guess").await, 401).await;
    }
    let blocked = app.token_for(&email, "correct horse battery").await;

    problem(blocked, 429).await;
}
