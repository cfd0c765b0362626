//! One method per call a page makes.

use http::Method;
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use std::time::Duration;

use super::{finish, prepare, send, types::*, Api, Ctx, Failure};

pub(super) const NO_BODY: Option<&Value> = None;

/// How long placing an order may take: above order-service's checkout
/// budget (`CHECKOUT_BUDGET_MS`, 5 s), after which it answers 202 with the
/// order pending. Cut shorter, the call would be retried while the first is
/// still working and come back "in progress".
const PLACE_ORDER_LIMIT: Duration = Duration::from_secs(10);

/// A query string of the pairs that have a value.
pub(super) fn query(pairs: &[(&str, Option<String>)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        if let Some(value) = value {
            out.append_pair(name, value);
        }
    }
    out.finish()
}

#[derive(Debug, Default, Clone)]
pub struct ProductQuery {
    pub q: Option<String>,
    pub category: Option<Uuid>,
    pub min_price_cents: Option<i64>,
    pub max_price_cents: Option<i64>,
    pub cursor: Option<String>,
    pub limit: u32,
}

#[derive(Debug, Serialize)]
pub struct Registration<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub marketing_opt_in: bool,
}

#[derive(Debug, Serialize)]
pub struct Checkout<'a> {
    /// `"cart"`, or none with a `reservation_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<&'a str>,
    pub shipping_address: &'a Address,
    pub payment: Payment<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promo_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservation_id: Option<Uuid>,
}

#[derive(Debug, Serialize)]
pub struct Payment<'a> {
    pub card_token: &'a str,
}

impl Api {
    // catalog

    pub async fn products(&self, ctx: &Ctx, q: &ProductQuery) -> Result<Page<Product>, Failure> {
        let qs = query(&[
            ("q", q.q.clone()),
            ("category", q.category.map(|c| c.to_string())),
            ("min_price", q.min_price_cents.map(|c| c.to_string())),
            ("max_price", q.max_price_cents.map(|c| c.to_string())),
            ("cursor", q.cursor.clone()),
            ("limit", Some(q.limit.max(1).to_string())),
        ]);
        let path = format!("/products?{qs}");
        self.public(&self.catalog, ctx, &path).await
    }

    /// `None` when the catalog does not sell it (unknown or inactive).
    pub async fn product(&self, ctx: &Ctx, id: Uuid) -> Result<Option<Product>, Failure> {
        let path = format!("/products/{id}");
        not_found_is_none(self.public(&self.catalog, ctx, &path).await)
    }

    pub async fn product_by_sku(&self, ctx: &Ctx, sku: &str) -> Result<Option<Product>, Failure> {
        let path = format!("/products?{}", query(&[("sku", Some(sku.to_owned()))]));
        let page: Page<Product> = self.public(&self.catalog, ctx, &path).await?;
        Ok(page.items.into_iter().next())
    }

    pub async fn categories(&self, ctx: &Ctx) -> Result<Vec<Category>, Failure> {
        let page: Page<Category> = self
            .public(&self.catalog, ctx, "/categories?limit=100")
            .await?;
        Ok(page.items)
    }

    // inventory

    pub async fn stock(&self, ctx: &Ctx, sku: &str) -> Result<Option<Stock>, Failure> {
        let path = format!("/inventory/{}", url_segment(sku));
        not_found_is_none(self.public(&self.inventory, ctx, &path).await)
    }

    pub async fn flash_sales(&self, ctx: &Ctx) -> Result<Vec<FlashSale>, Failure> {
        let page: Page<FlashSale> = self
            .public(&self.inventory, ctx, "/flash-sales?limit=100")
            .await?;
        Ok(page.items)
    }

    pub async fn flash_sale(&self, ctx: &Ctx, id: Uuid) -> Result<Option<FlashSale>, Failure> {
        let path = format!("/flash-sales/{id}");
        not_found_is_none(send(&self.inventory, ctx, Method::GET, &path, NO_BODY, None).await)
    }

    pub async fn claim(&self, ctx: &Ctx, sale: Uuid) -> Result<Claim, Failure> {
        let path = format!("/flash-sales/{sale}/claims");
        send(
            &self.inventory,
            ctx,
            Method::POST,
            &path,
            Some(&json!({})),
            None,
        )
        .await
    }

    pub async fn my_claims(&self, ctx: &Ctx, sale: Uuid) -> Result<Vec<Claim>, Failure> {
        let path = format!("/flash-sales/{sale}/claims/mine");
        let page: Page<Claim> =
            send(&self.inventory, ctx, Method::GET, &path, NO_BODY, None).await?;
        Ok(page.items)
    }

    // campaign

    pub async fn running_campaigns(&self, ctx: &Ctx) -> Result<Vec<Campaign>, Failure> {
        let page: Page<Campaign> = self
            .public(&self.campaign, ctx, "/campaigns?active=true&limit=5")
            .await?;
        Ok(page.items)
    }

    /// `None` when there is no such code.
    pub async fn promo_check(
        &self,
        ctx: &Ctx,
        code: &str,
        subtotal_cents: i64,
    ) -> Result<Option<PromoCheck>, Failure> {
        let path = format!(
            "/promo-codes/{}?subtotal_cents={subtotal_cents}",
            url_segment(code)
        );
        not_found_is_none(send(&self.campaign, ctx, Method::GET, &path, NO_BODY, None).await)
    }

    // registration

    pub async fn sign_in(&self, ctx: &Ctx, email: &str, password: &str) -> Result<Tokens, Failure> {
        let body = json!({"grant_type": "password", "email": email, "password": password});
        send(
            &self.registration,
            ctx,
            Method::POST,
            "/auth/token",
            Some(&body),
            None,
        )
        .await
    }

    pub async fn refresh(&self, ctx: &Ctx, refresh_token: &str) -> Result<Tokens, Failure> {
        let body = json!({"grant_type": "refresh_token", "refresh_token": refresh_token});
        send(
            &self.registration,
            ctx,
            Method::POST,
            "/auth/token",
            Some(&body),
            None,
        )
        .await
    }

    pub async fn revoke(&self, ctx: &Ctx, refresh_token: &str) -> Result<(), Failure> {
        let body = json!({"token": refresh_token});
        let _: Value = send(
            &self.registration,
            ctx,
            Method::POST,
            "/auth/revoke",
            Some(&body),
            None,
        )
        .await?;
        Ok(())
    }

    pub async fn register(&self, ctx: &Ctx, form: &Registration<'_>) -> Result<Customer, Failure> {
        send(
            &self.registration,
            ctx,
            Method::POST,
            "/customers",
            Some(form),
            None,
        )
        .await
    }

    pub async fn me(&self, ctx: &Ctx) -> Result<Customer, Failure> {
        send(
            &self.registration,
            ctx,
            Method::GET,
            "/customers/me",
            NO_BODY,
            None,
        )
        .await
    }

    pub async fn update_names(
        &self,
        ctx: &Ctx,
        first_name: &str,
        last_name: &str,
    ) -> Result<Customer, Failure> {
        let body = json!({"first_name": first_name, "last_name": last_name});
        send(
            &self.registration,
            ctx,
            Method::PATCH,
            "/customers/me",
            Some(&body),
            None,
        )
        .await
    }

    /// The shopper's marketing choice, as campaign-service (which sends
    /// the offers) has it.
    pub async fn marketing(&self, ctx: &Ctx) -> Result<bool, Failure> {
        let got: MarketingPreference = send(
            &self.campaign,
            ctx,
            Method::GET,
            "/emails/preferences/me",
            NO_BODY,
            None,
        )
        .await?;
        Ok(got.marketing_opt_in)
    }

    pub async fn set_marketing(&self, ctx: &Ctx, opt_in: bool) -> Result<bool, Failure> {
        let body = MarketingPreference {
            marketing_opt_in: opt_in,
        };
        let got: MarketingPreference = send(
            &self.campaign,
            ctx,
            Method::PUT,
            "/emails/preferences/me",
            Some(&body),
            None,
        )
        .await?;
        Ok(got.marketing_opt_in)
    }

    pub async fn change_password(
        &self,
        ctx: &Ctx,
        current: &str,
        new: &str,
    ) -> Result<(), Failure> {
        let body = json!({"current_password": current, "new_password": new});
        let _: Value = send(
            &self.registration,
            ctx,
            Method::POST,
            "/customers/me/password",
            Some(&body),
            None,
        )
        .await?;
        Ok(())
    }

    // order

    pub async fn cart(&self, ctx: &Ctx) -> Result<Cart, Failure> {
        send(&self.order, ctx, Method::GET, "/cart", NO_BODY, None).await
    }

    pub async fn put_cart_item(
        &self,
        ctx: &Ctx,
        product: Uuid,
        quantity: i64,
    ) -> Result<Cart, Failure> {
        let path = format!("/cart/items/{product}");
        let body = json!({"quantity": quantity});
        send(&self.order, ctx, Method::PUT, &path, Some(&body), None).await
    }

    pub async fn remove_cart_item(&self, ctx: &Ctx, product: Uuid) -> Result<(), Failure> {
        let path = format!("/cart/items/{product}");
        let _: Value = send(&self.order, ctx, Method::DELETE, &path, NO_BODY, None).await?;
        Ok(())
    }

    pub async fn place_order(
        &self,
        ctx: &Ctx,
        checkout: &Checkout<'_>,
        idempotency_key: &str,
    ) -> Result<Order, Failure> {
        let call = prepare(
            &self.order,
            ctx,
            Method::POST,
            "/orders",
            Some(checkout),
            Some(idempotency_key),
        );
        finish(&self.order, call.timeout(PLACE_ORDER_LIMIT)).await
    }

    pub async fn orders(&self, ctx: &Ctx, cursor: Option<&str>) -> Result<Page<Order>, Failure> {
        let path = format!(
            "/orders?{}",
            query(&[
                ("cursor", cursor.map(str::to_owned)),
                ("limit", Some("20".into()))
            ])
        );
        send(&self.order, ctx, Method::GET, &path, NO_BODY, None).await
    }

    pub async fn order(&self, ctx: &Ctx, id: Uuid) -> Result<Option<Order>, Failure> {
        let path = format!("/orders/{id}");
        not_found_is_none(send(&self.order, ctx, Method::GET, &path, NO_BODY, None).await)
    }

    pub async fn cancel_order(&self, ctx: &Ctx, id: Uuid) -> Result<Order, Failure> {
        let path = format!("/orders/{id}/cancel");
        send(&self.order, ctx, Method::POST, &path, NO_BODY, None).await
    }
}

pub(super) fn not_found_is_none<T>(result: Result<T, Failure>) -> Result<Option<T>, Failure> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(Failure::Refused(p)) if p.status == 404 => Ok(None),
        Err(e) => Err(e),
    }
}

/// `raw` as one path segment.
pub(super) fn url_segment(raw: &str) -> String {
    url::form_urlencoded::byte_serialize(raw.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
