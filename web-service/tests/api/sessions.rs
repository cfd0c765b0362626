//! Signing in and out, staying signed in (refresh tokens), carts that
//! survive signing in, and rate limits that apply to each shopper.

use std::time::Duration;

use platform::ratelimit::RateLimit;
use redis::AsyncCommands;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{email, spawn_shop, spawn_shop_with, Options, Shop};

/// The one session the test's shoppers made, as stored in Redis.
async fn only_session(shop: &Shop) -> (String, Value) {
    let client = redis::Client::open(platform::testing::redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = conn
        .keys(format!("{}:web:session:*", shop.env_prefix))
        .await
        .unwrap();
    let keys: Vec<String> = keys
        .into_iter()
        .filter(|k| !k.ends_with(":refresh-lock"))
        .collect();
    assert_eq!(keys.len(), 1, "one session: {keys:?}");
    let raw: String = conn.get(&keys[0]).await.unwrap();
    (keys[0].clone(), serde_json::from_str(&raw).unwrap())
}

/// Makes the session's access token look expired, as 15 minutes later.
async fn expire_access_token(shop: &Shop) -> String {
    let (key, mut session) = only_session(shop).await;
    session["shopper"]["access_expires_at"] = json!(0);
    let client = redis::Client::open(platform::testing::redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = conn.set_ex(&key, session.to_string(), 3600).await.unwrap();
    session["shopper"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_page_for_signed_in_shoppers_sends_a_guest_to_sign_in_and_back() {
    let shop = spawn_shop().await;
    let mut shopper = shop.shopper();
    let response = shopper.get_once("/account/orders").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        "/sign-in?next=%2Faccount%2Forders"
    );

    let address = email();
    shopper.sign_up(&address, "/").await;
    shopper.get("/").await;
    shopper
        .submit("/sign-out", &[])
        .await
        .assert_shows("You are signed out");
    let page = shopper
        .sign_in(&address, "correct horse battery", "/account/orders")
        .await;
    assert_eq!(page.path, "/account/orders");
    page.assert_shows("Your orders")
        .assert_shows("No orders yet");
}

#[tokio::test]
async fn a_wrong_password_is_refused_on_the_sign_in_page() {
    let shop = spawn_shop().await;
    let mut shopper = shop.shopper();
    let address = email();
    shopper.sign_up(&address, "/").await;
    shopper.get("/").await;
    shopper.submit("/sign-out", &[]).await;
    let page = shopper
        .sign_in(&address, "not my password at all", "/")
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    page.assert_shows("The email or password is not right")
        .assert_shows(&address);
}

#[tokio::test]
async fn a_guests_cart_is_merged_into_the_customers_on_sign_up() {
    let shop = spawn_shop().await;
    let (mug, _) = shop.product("Blue Enamel Mug", 1250, 10).await;
    let mut shopper = shop.shopper();
    shopper
        .add_to_cart(mug, "2")
        .await
        .assert_shows("Blue Enamel Mug")
        .assert_shows("$25.00");

    let page = shopper.sign_up(&email(), "/basket").await;
    assert_eq!(page.path, "/basket");
    page.assert_shows("Welcome, Ada!")
        .assert_shows("Blue Enamel Mug")
        .assert_shows("value=\"2\"");
    page.assert_shows("$25.00");
    // It is order-service's cart now, not the session's.
    let (_, session) = only_session(&shop).await;
    assert_eq!(session["cart"], json!([]));
    assert_eq!(session["cart_count"], 2);
}

#[tokio::test]
async fn sign_up_errors_are_shown_beside_their_fields() {
    let shop = spawn_shop().await;
    let mut shopper = shop.shopper();
    shopper.get("/sign-up").await;
    let page = shopper
        .submit(
            "/sign-up",
            &[
                ("first_name", "Ada"),
                ("last_name", ""),
                ("email", "not-an-email"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    page.assert_shows("id=\"email-error\"")
        .assert_shows("id=\"password-error\"")
        .assert_shows("value=\"Ada\"");
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_and_a_reused_refresh_token_ends_the_sign_in() {
    let shop = spawn_shop().await;
    let mut shopper = shop.shopper();
    shopper.sign_up(&email(), "/").await;

    let first = expire_access_token(&shop).await;
    shopper.get("/account").await.assert_shows("Your account");
    let (_, session) = only_session(&shop).await;
    let second = session["shopper"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(first, second, "rotated on use");

    // Many pages at once with an expired token: one refresh, not a reuse.
    expire_access_token(&shop).await;
    let loads = (0..5).map(|_| shopper.get_once("/account"));
    for response in futures::future::join_all(loads).await {
        assert_eq!(response.status(), StatusCode::OK);
    }
    let (_, session) = only_session(&shop).await;
    let third = session["shopper"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(third, second);

    // The old token used again (stolen, say) is reuse: registration revokes
    // the family, and the shop's next refresh finds the sign-in over.
    let reused = reqwest::Client::new()
        .post(shop.registration.url("/auth/token"))
        .json(&json!({"grant_type": "refresh_token", "refresh_token": second}))
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
    expire_access_token(&shop).await;
    let response = shopper.get_once("/account").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/sign-in?next=%2Faccount");
    shopper
        .get("/sign-in")
        .await
        .assert_shows("Your session has ended");
}

#[tokio::test]
async fn signing_out_revokes_the_refresh_token_at_registration() {
    let shop = spawn_shop().await;
    let mut shopper = shop.shopper();
    shopper.sign_up(&email(), "/").await;
    let (_, session) = only_session(&shop).await;
    let refresh = session["shopper"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    shopper.get("/").await;
    shopper
        .submit("/sign-out", &[])
        .await
        .assert_shows("Sign in");
    let refused = reqwest::Client::new()
        .post(shop.registration.url("/auth/token"))
        .json(&json!({"grant_type": "refresh_token", "refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn two_shoppers_behind_web_service_are_rate_limited_by_their_own_addresses() {
    let mut limits = registration_service::testing::relaxed_limits();
    limits.login_per_client = RateLimit {
        max: 3,
        window: Duration::from_secs(60),
    };
    let shop = spawn_shop_with(Options {
        rate_limits: Some(limits),
    })
    .await;
    let address = email();
    let mut bob = shop.shopper_from("203.0.113.20");
    bob.sign_up(&address, "/").await;
    bob.get("/").await;
    bob.submit("/sign-out", &[]).await;

    let mut mallory = shop.shopper_from("203.0.113.10");
    for _ in 0..3 {
        let page = mallory.sign_in(&address, "guessing wrong", "/").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let blocked = mallory
        .sign_in(&address, "correct horse battery", "/")
        .await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    blocked.assert_shows("Too many attempts");

    // Bob's address has no failures: he signs in.
    let page = bob
        .sign_in(&address, "correct horse battery", "/account")
        .await;
    assert_eq!(page.path, "/account");
    page.assert_shows("Your account");
}

#[tokio::test]
async fn the_account_page_changes_the_name_and_the_password_and_ends_other_sign_ins() {
    let shop = spawn_shop().await;
    let address = email();
    let mut phone = shop.shopper_from("198.51.100.30");
    phone.sign_up(&address, "/").await;
    let mut laptop = shop.shopper_from("198.51.100.31");
    laptop
        .sign_in(&address, "correct horse battery", "/account")
        .await;

    let page = laptop
        .submit(
            "/account",
            &[("first_name", "Augusta"), ("last_name", "King")],
        )
        .await;
    page.assert_shows("Your name is saved")
        .assert_shows("value=\"Augusta\"")
        .assert_shows(">Augusta</a>");
    let refused = laptop
        .submit("/account", &[("first_name", " "), ("last_name", "King")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_shows("id=\"first_name-error\"");

    let wrong = laptop
        .submit(
            "/account/password",
            &[
                ("current_password", "not it at all"),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    wrong.assert_shows("id=\"current_password-error\"");
    let changed = laptop
        .submit(
            "/account/password",
            &[
                ("current_password", "correct horse battery"),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.path, "/account");
    changed.assert_shows("Your password is changed");
    laptop.get("/account").await.assert_shows("Your account");

    // The phone's sign-in ended with the change: its next refresh is refused.
    let client = redis::Client::open(platform::testing::redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = conn
        .keys(format!("{}:web:session:*", shop.env_prefix))
        .await
        .unwrap();
    for key in keys.iter().filter(|k| !k.ends_with(":refresh-lock")) {
        let raw: String = conn.get(key).await.unwrap();
        let mut session: Value = serde_json::from_str(&raw).unwrap();
        if session["shopper"].is_object() {
            session["shopper"]["access_expires_at"] = json!(0);
            let _: () = conn.set_ex(key, session.to_string(), 3600).await.unwrap();
        }
    }
    let response = phone.get_once("/account").await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the phone must sign in again"
    );
    laptop.get("/account").await.assert_shows("Your account");
}
