//! The pages render with real data, escape what they show, and degrade
//! (never fail) when a service behind them is down.

use reqwest::StatusCode;

use crate::helpers::spawn_shop;

#[tokio::test]
async fn home_catalog_search_and_product_pages_show_real_products() {
    let shop = spawn_shop().await;
    let (mug, _) = shop.product("Blue Enamel Mug", 1250, 2).await;
    shop.product("Walnut Cutting Board", 4500, 40).await;
    let mut shopper = shop.shopper();

    let home = shopper.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.is_html());
    home.assert_shows("Featured products")
        .assert_shows("Blue Enamel Mug")
        .assert_shows("$12.50");

    let results = shopper.get("/shop?q=mug").await;
    results
        .assert_shows("Results for “mug”")
        .assert_shows("Blue Enamel Mug")
        .assert_hides("Walnut Cutting Board");

    let product = shopper.get(&format!("/shop/{mug}")).await;
    assert_eq!(product.status, StatusCode::OK);
    product
        .assert_shows("Blue Enamel Mug")
        .assert_shows("$12.50")
        .assert_shows("Only 2 left")
        .assert_shows("Add to cart");
}

#[tokio::test]
async fn a_sold_out_product_says_so_and_offers_no_add_to_cart() {
    let shop = spawn_shop().await;
    let (id, _) = shop.product("Rare Teapot", 9900, 0).await;
    let page = shop.shopper().get(&format!("/shop/{id}")).await;
    page.assert_shows("Sold out").assert_hides("Add to cart");
}

#[tokio::test]
async fn a_hostile_product_name_is_shown_as_text_never_run() {
    let shop = spawn_shop().await;
    let hostile = r#"Mug <script>alert("owned")</script><img src=x onerror=alert(1)>"#;
    let (id, _) = shop.product(hostile, 100, 5).await;
    let mut shopper = shop.shopper();
    for path in [
        "/".to_owned(),
        format!("/shop/{id}"),
        "/shop?q=mug".to_owned(),
    ] {
        let page = shopper.get(&path).await;
        page.assert_hides("<script>alert")
            .assert_hides("<img src=x");
        page.assert_shows("&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;");
    }
    let search = shopper
        .get("/shop?q=%22%3E%3Cscript%3Ealert(2)%3C/script%3E")
        .await;
    search.assert_hides("<script>alert(2)");
}

#[tokio::test]
async fn an_unknown_page_is_a_404_page_in_the_shops_style() {
    let shop = spawn_shop().await;
    let mut shopper = shop.shopper();
    for path in [
        "/no-such-page",
        "/shop/not-a-uuid",
        "/shop/00000000-0000-0000-0000-000000000000",
    ] {
        let page = shopper.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.is_html(), "{path} is a page");
        page.assert_shows("Page not found")
            .assert_shows("Go to the shop");
    }
}

#[tokio::test]
async fn with_the_catalog_down_the_home_page_still_renders_and_says_what_is_missing() {
    let shop = spawn_shop().await;
    shop.product("Blue Enamel Mug", 1250, 2).await;
    shop.catalog.stop();
    let mut shopper = shop.shopper();
    let home = shopper.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    home.assert_shows("The catalog is unavailable right now")
        .assert_hides("Blue Enamel Mug");
    let search = shopper.get("/shop?q=mug").await;
    assert_eq!(search.status, StatusCode::OK);
    search.assert_shows("Search is unavailable right now");
    // Its readiness is its session store, not the services behind it.
    let ready = reqwest::get(shop.web.url("/health/ready")).await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
}
