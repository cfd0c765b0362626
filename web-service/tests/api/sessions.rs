//! Signing in and out, staying signed in (refresh tokens), carts that
//! survive signing in, and rate limits that apply to each shopper.

use std::time::Duration;

use platform::ratelimit::RateLimit;
use redis::AsyncCommands;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{email, spawn_shop, spawn_shop_with, Options, Shop};

async fn redis() -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(platform::testing::redis_url()).unwrap();
    client.get_multiplexed_async_connection().await.unwrap()
}

/// The keys of the sessions the test's shoppers made (each one's contents;
/// its shopper is at `<key>:shopper`).
async fn session_keys(shop: &Shop) -> Vec<String> {
    let keys: Vec<String> = redis()
        .await
        .keys(format!("{}:web:session:*", shop.env_prefix))
        .await
        .unwrap();
    keys.into_iter()
        .filter(|k| !k.ends_with(":refresh-lock") && !k.ends_with(":shopper"))
        .collect()
}

/// The one session the test's shoppers made, as stored in Redis.
async fn only_session(shop: &Shop) -> (String, Value) {
    let keys = session_keys(shop).await;
    assert_eq!(keys.len(), 1, "one session: {keys:?}");
    let raw: String = redis().await.get(&keys[0]).await.unwrap();
    (keys[0].clone(), serde_json::from_str(&raw).unwrap())
}

/// The refresh token the one session holds.
async fn refresh_token(shop: &Shop) -> String {
    let (key, _) = only_session(shop).await;
    let raw: String = redis().await.get(format!("{key}:shopper")).await.unwrap();
    let shopper: Value = serde_json::from_str(&raw).unwrap();
    shopper["refresh_token"].as_str().unwrap().to_owned()
}

/// Makes every signed-in session's access token look expired, as 15
/// minutes later.
async fn expire_access_tokens(shop: &Shop) {
    let mut conn = redis().await;
    for key in session_keys(shop).await {
        let key = format!("{key}:shopper");
        let raw: Option<String> = conn.get(&key).await.unwrap();
        if let Some(raw) = raw {
            let mut shopper: Value = serde_json::from_str(&raw).unwrap();
            shopper["access_expires_at"] = json!(0);
            let _: () = conn.set_ex(&key, shopper.to_string(), 3600).await.unwrap();
        }
    }
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
async fn signing_up_while_the_cart_service_is_down_still_signs_in_and_keeps_the_guests_lines() {
    let shop = spawn_shop().await;
    let (mug, _) = shop.product("Blue Enamel Mug", 1250, 10).await;
    let mut shopper = shop.shopper();
    shopper.add_to_cart(mug, "2").await;
    shop.order.stop();

    let page = shopper.sign_up(&email(), "/").await;

    assert_eq!(page.path, "/");
    page.assert_shows("Welcome, Ada!")
        .assert_shows("could not be added to your account yet");
    let (_, session) = only_session(&shop).await;
    assert_eq!(
        session["cart"],
        json!([{"product_id": mug, "quantity": 2}]),
        "kept for the next merge, none of it merged twice"
    );
}

#[tokio::test]
async fn a_token_a_service_refuses_sends_the_shopper_to_sign_in() {
    let shop = spawn_shop().await;
    let mut shopper = shop.shopper();
    shopper.sign_up(&email(), "/").await;
    // A token that is not expired as the shop sees it, but that no service
    // takes (signed by another key, say).
    let (key, _) = only_session(&shop).await;
    let key = format!("{key}:shopper");
    let mut conn = redis().await;
    let raw: String = conn.get(&key).await.unwrap();
    let mut stored: Value = serde_json::from_str(&raw).unwrap();
    stored["access_token"] = json!("not.a.token");
    let _: () = conn.set_ex(&key, stored.to_string(), 3600).await.unwrap();

    let response = shopper.get_once("/account/orders").await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/sign-in");
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

    let first = refresh_token(&shop).await;
    expire_access_tokens(&shop).await;
    shopper.get("/account").await.assert_shows("Your account");
    let second = refresh_token(&shop).await;
    assert_ne!(first, second, "rotated on use");

    // Many pages at once with an expired token: one refresh, not a reuse.
    expire_access_tokens(&shop).await;
    let loads = (0..5).map(|_| shopper.get_once("/account"));
    for response in futures::future::join_all(loads).await {
        assert_eq!(response.status(), StatusCode::OK);
    }
    let third = refresh_token(&shop).await;
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
    expire_access_tokens(&shop).await;
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
    let refresh = refresh_token(&shop).await;
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
    expire_access_tokens(&shop).await;
    let response = phone.get_once("/account").await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the phone must sign in again"
    );
    laptop.get("/account").await.assert_shows("Your account");
}

#[tokio::test]
async fn the_account_page_turns_offers_by_email_on_and_off() {
    let shop = spawn_shop().await;
    let mut shopper = shop.shopper();
    shopper.sign_up(&email(), "/").await;
    let unticked = "name=\"marketing_opt_in\">";
    let ticked = "name=\"marketing_opt_in\" checked>";
    shopper
        .get("/account")
        .await
        .assert_shows("Email me offers and news")
        .assert_shows(unticked);

    let on = shopper
        .submit("/account/marketing", &[("marketing_opt_in", "on")])
        .await;
    assert_eq!(on.path, "/account");
    on.assert_shows("You will get our offers and news by email")
        .assert_shows(ticked);

    let off = shopper.submit("/account/marketing", &[]).await;
    off.assert_shows("You will no longer get offers by email")
        .assert_shows(unticked);
}
