//! What the operations need to exist before Schemathesis can reach a 2xx:
//! generated ids find nothing, so the run gets these through its config
//! (path parameters and body fields of the operations named in `mod.rs`).
//! Deletions need none: they get what `POST` just created through the
//! links Schemathesis infers (its stateful phase).

use serde_json::{json, Value};
use time::{format_description::well_known::Rfc3339, Duration, OffsetDateTime};
use uuid::Uuid;

use crate::helpers::{cart_order, Customer, Platform};

/// The SKU the inventory schema's examples use (`MUG-1`): stocked here so
/// the examples of `POST /reservations` and `POST /flash-sales` succeed.
pub const EXAMPLE_SKU: &str = "MUG-1";
/// A SKU whose stock the run may set and adjust at will.
pub const STOCKED_SKU: &str = "STOCK-1";
/// The SKU of the open flash sale the run claims from.
const SALE_SKU: &str = "FLASH-1";
/// The person the registration schema's token example logs in as.
pub const EXAMPLE_EMAIL: &str = "ada@example.com";
pub const EXAMPLE_PASSWORD: &str = "correct horse battery";
/// The promo code of the order schema's example.
pub const EXAMPLE_PROMO: &str = "WELCOME10";

pub struct Seeded {
    /// A token of a customer registered in registration-service.
    pub registered_token: String,
    /// The customer who owns the cart and orders below.
    pub customer: Customer,
    pub product: Uuid,
    pub unsubscribe_token: String,
    pub flash_sale: Uuid,
    /// Held reservations: one to read, one to commit, one to release; and a committed one to return.
    pub reservation: Uuid,
    pub reservation_to_commit: Uuid,
    pub reservation_to_release: Uuid,
    pub reservation_to_return: Uuid,
    /// Confirmed orders of `customer`: to read, to cancel, to ship; and a shipped one to deliver.
    pub order: Uuid,
    pub order_to_cancel: Uuid,
    pub order_to_ship: Uuid,
    pub order_to_deliver: Uuid,
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

fn id_of(body: &Value) -> Uuid {
    Uuid::parse_str(body["id"].as_str().expect("an id")).unwrap()
}

async fn send(request: reqwest::RequestBuilder, expected: u16, what: &str) -> Value {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(status, expected, "{what}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

pub async fn seed(p: &Platform) -> Seeded {
    let registered_token = registered_customer(p).await;
    let admin = p.tokens.admin();
    let service = p.tokens.service("order-service");
    let now = OffsetDateTime::now_utc();

    let (product, _) = p.product(1500, 10_000).await;
    let stock = json!({"on_hand": 10_000, "low_stock_threshold": 0});
    let inventory = &p.inventory.address;
    for sku in [EXAMPLE_SKU, STOCKED_SKU, SALE_SKU] {
        let put = p.client.put(format!("{inventory}/inventory/{sku}"));
        send(put.bearer_auth(&admin).json(&stock), 200, "stocking a SKU").await;
    }

    p.promo(EXAMPLE_PROMO, 10, None).await;
    let unsubscribe_token =
        campaign_service::emails::unsubscribe::token(&p.unsubscribe_secret, Uuid::new_v4());

    let sale = json!({"sku": SALE_SKU, "quantity": 100, "price_cents": 500,
        "starts_at": rfc3339(now - Duration::minutes(1)), "ends_at": rfc3339(now + Duration::hours(2)),
        "per_customer_limit": 1});
    let post = p.client.post(format!("{inventory}/flash-sales"));
    let flash_sale =
        id_of(&send(post.bearer_auth(&admin).json(&sale), 201, "creating a sale").await);

    let reserve = || async {
        let body = json!({"reference": Uuid::new_v4().to_string(), "owner_id": Uuid::new_v4(),
            "items": [{"sku": EXAMPLE_SKU, "quantity": 1}]});
        let post = p.client.post(format!("{inventory}/reservations"));
        id_of(&send(post.bearer_auth(&service).json(&body), 201, "reserving").await)
    };
    let reservation_to_return = reserve().await;
    let commit = format!("{inventory}/reservations/{reservation_to_return}/commit");
    send(
        p.client.post(commit).bearer_auth(&service),
        200,
        "committing",
    )
    .await;

    let customer = p.customer();
    let mut orders = Vec::new();
    for _ in 0..4 {
        let response = p.add_to_cart(&customer, product, 1).await;
        assert_eq!(response.status().as_u16(), 200, "filling the cart");
        let key = Uuid::new_v4().to_string();
        let response = p
            .place(&customer, &key, &cart_order("tok_visa", None))
            .await;
        assert_eq!(response.status().as_u16(), 201, "placing an order");
        let order: Value = response.json().await.unwrap();
        assert_eq!(order["status"], "confirmed", "placing an order: {order}");
        orders.push(id_of(&order));
    }
    for path in ["ship", "deliver"].map(|step| format!("/orders/{}/{step}", orders[3])) {
        assert_eq!(p.post_admin(&path).await.status().as_u16(), 200, "{path}");
    }
    // A full cart, so that `POST /orders` (from the cart) can succeed.
    assert_eq!(
        p.add_to_cart(&customer, product, 1).await.status().as_u16(),
        200
    );

    Seeded {
        registered_token,
        customer,
        product,
        unsubscribe_token,
        flash_sale,
        reservation: reserve().await,
        reservation_to_commit: reserve().await,
        reservation_to_release: reserve().await,
        reservation_to_return,
        order: orders[0],
        order_to_cancel: orders[1],
        order_to_ship: orders[2],
        order_to_deliver: orders[3],
    }
}

/// Registers the example customer and logs in as them.
async fn registered_customer(p: &Platform) -> String {
    let registration = &p._registration.address;
    let customer = json!({"email": EXAMPLE_EMAIL, "password": EXAMPLE_PASSWORD,
        "first_name": "Ada", "last_name": "Lovelace"});
    let post = p.client.post(format!("{registration}/customers"));
    send(post.json(&customer), 201, "registering").await;
    let login =
        json!({"grant_type": "password", "email": EXAMPLE_EMAIL, "password": EXAMPLE_PASSWORD});
    let post = p.client.post(format!("{registration}/auth/token"));
    let token = send(post.json(&login), 200, "logging in").await;
    token["access_token"].as_str().unwrap().to_owned()
}
