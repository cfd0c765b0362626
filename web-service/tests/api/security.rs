//! CSRF tokens, security headers and the session cookie.

use reqwest::StatusCode;

use crate::helpers::spawn_shop;

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused_with_a_403_page_and_changes_nothing() {
    let shop = spawn_shop().await;
    let (mug, _) = shop.product("Blue Enamel Mug", 1250, 10).await;
    let mut shopper = shop.shopper();
    shopper.get(&format!("/shop/{mug}")).await;
    let product_id = mug.to_string();

    let missing = shopper
        .submit_raw(
            "/basket/items",
            &[("product_id", &product_id), ("quantity", "1")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.is_html());
    missing.assert_shows("This form has expired");

    let wrong = shopper
        .submit_raw(
            "/basket/items",
            &[
                ("csrf", "not-the-token"),
                ("product_id", &product_id),
                ("quantity", "1"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);

    let cart = shopper.get("/basket").await;
    cart.assert_shows("Your cart is empty");

    // With the page's token, the same form works.
    let added = shopper.add_to_cart(mug, "1").await;
    added
        .assert_shows("Added to your cart")
        .assert_shows("Blue Enamel Mug");
}

#[tokio::test]
async fn a_token_from_another_session_is_refused() {
    let shop = spawn_shop().await;
    let (mug, _) = shop.product("Blue Enamel Mug", 1250, 10).await;
    let mut alice = shop.shopper();
    alice.get(&format!("/shop/{mug}")).await;
    let mut mallory = shop.shopper();
    mallory.get(&format!("/shop/{mug}")).await;
    let stolen = mallory.csrf.clone().unwrap();
    let page = alice
        .submit_raw(
            "/basket/items",
            &[
                ("csrf", &stolen),
                ("product_id", &mug.to_string()),
                ("quantity", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn pages_carry_a_strict_csp_and_the_session_cookie_is_httponly_and_samesite() {
    let shop = spawn_shop().await;
    let (mug, _) = shop.product("Blue Enamel Mug", 1250, 10).await;
    let shopper = shop.shopper();
    let response = shopper.get_once(&format!("/shop/{mug}")).await;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let csp = header("content-security-policy");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header("referrer-policy"), "strict-origin-when-cross-origin");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("cache-control"), "no-store");
    // Plain HTTP in tests: no HSTS, no Secure flag (both come with SECURE_COOKIES).
    assert_eq!(header("strict-transport-security"), "");
    let cookie = header("set-cookie");
    assert!(cookie.starts_with("sf_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    let body = response.text().await.unwrap();
    assert!(
        !body.contains("<style") && !body.contains(" style="),
        "no inline styles"
    );
    assert!(!body.contains("<script>"), "no inline scripts");
}

#[tokio::test]
async fn assets_have_hashed_names_and_are_cached_for_a_year() {
    let shop = spawn_shop().await;
    let mut shopper = shop.shopper();
    let home = shopper.get("/").await;
    let start = home.body.find("/assets/shop.").unwrap();
    let end = home.body[start..].find(".css").unwrap() + start + 4;
    let css = &home.body[start..end];
    let response = shopper.get_once(css).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let stale = shopper.get_once("/assets/shop.000000000000.css").await;
    assert_eq!(stale.status(), StatusCode::NOT_FOUND);
}
