//! Checkout: `POST /orders` behind its `Idempotency-Key` (docs/architecture.md,
//! "Errors and input"). The key is claimed, the order priced and written
//! with its lines and the key's link in one transaction, then the saga
//! driven within the checkout budget; the answer is stored for replay once
//! it is final.

mod pricing;

use axum::{
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use platform::{
    auth::Claims,
    idempotency::{self, Claim},
    ApiError, Problem,
};
use uuid::Uuid;

use crate::{
    domain::{NewOrder, OrderRequest, OrderSource, OrderStatus, Source, Step, StockStatus},
    repo::orders::{self, NewOrderRow},
    routes::{
        cart::shopper,
        view::{self, Order},
    },
    saga::Outcome,
    state::AppState,
};
use pricing::Priced;

pub(crate) fn problem(
    status: StatusCode,
    slug: &str,
    title: &str,
    detail: impl Into<String>,
) -> ApiError {
    ApiError::Custom(Box::new(Problem::new(status, slug, title).detail(detail)))
}

/// The idempotency scope and key of one checkout request.
struct Request<'a> {
    state: &'a AppState,
    claims: &'a Claims,
    scope: String,
    key: &'a str,
    request_id: &'a str,
}

/// Places the order `raw` asks for, or replays the answer given to the
/// first request with this key.
pub async fn place(
    state: &AppState,
    claims: &Claims,
    key: &str,
    request_id: &str,
    raw: serde_json::Value,
) -> Result<Response, ApiError> {
    let customer = shopper(claims)?;
    let hash = idempotency::request_hash("POST /orders", &raw);
    let body: OrderRequest = platform::extract::parse_value(raw)?;
    let new = NewOrder::try_from(&body).map_err(ApiError::Validation)?;
    let request = Request {
        state,
        claims,
        scope: customer.to_string(),
        key,
        request_id,
    };
    match idempotency::claim(&state.pool, &request.scope, key, &hash, state.key_lock).await? {
        Claim::Claimed => {}
        Claim::Replay { status, body } => {
            let content_type = if status.is_success() {
                "application/json"
            } else {
                platform::error::PROBLEM_JSON
            };
            return Ok(json_response(status, body, content_type));
        }
        Claim::Deferred { resource_id } => {
            let order = current(state, resource_id).await?;
            let (status, body) = order_response(&order, StatusCode::OK)?;
            return Ok(json_response(status, body, "application/json"));
        }
        Claim::InProgress => {
            return Err(problem(
                StatusCode::CONFLICT,
                "request-in-progress",
                "Request in progress",
                "a request with this Idempotency-Key is still running; retry shortly",
            ))
        }
        Claim::Mismatch => {
            return Err(problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                "this Idempotency-Key was used with another request body; use a new key",
            ))
        }
    }
    let id = match make(&request, customer, &new).await {
        Ok(id) => id,
        Err(err) => return request.refused(err).await,
    };
    request.drive(id).await
}

impl Request<'_> {
    /// Nothing was made. A client error is this key's final answer, stored
    /// for replay; any other failure may pass, so the key is freed.
    async fn refused(&self, err: ApiError) -> Result<Response, ApiError> {
        let pool = &self.state.pool;
        let problem = err.problem();
        let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::BAD_REQUEST);
        if !status.is_client_error() {
            idempotency::release(pool, &self.scope, self.key).await?;
            return Ok(err.into_response());
        }
        let body = serde_json::to_vec(&problem).map_err(anyhow::Error::from)?;
        idempotency::complete(pool, &self.scope, self.key, status, &body).await?;
        Ok(json_response(status, body, platform::error::PROBLEM_JSON))
    }

    /// Drives the new order within the checkout budget, in its own task so
    /// a client that hangs up does not stop it, and answers with where it
    /// got: final (stored) or pending (202, the key deferred to the order).
    async fn drive(&self, id: Uuid) -> Result<Response, ApiError> {
        let state = self.state;
        let saga = state.saga.clone();
        let driving = tokio::spawn(async move { saga.drive(id).await });
        match tokio::time::timeout(state.checkout_budget, driving).await {
            Ok(Ok(Ok(Outcome::Ended | Outcome::Waiting | Outcome::Busy))) => {}
            Ok(Ok(Err(err))) => {
                tracing::warn!(order_id = %id, error = format!("{err:#}"), "driving the order failed; the resumer goes on");
            }
            Ok(Err(err)) => tracing::warn!(order_id = %id, error = %err, "the saga task failed"),
            Err(_) => tracing::info!(order_id = %id, "checkout budget spent; answering 202"),
        }
        let order = current(state, id).await?;
        let (status, body) = order_response(&order, StatusCode::CREATED)?;
        if status == StatusCode::ACCEPTED {
            idempotency::defer(&state.pool, &self.scope, self.key).await?;
        } else {
            idempotency::complete(&state.pool, &self.scope, self.key, status, &body).await?;
        }
        Ok(json_response(status, body, "application/json"))
    }
}

async fn make(request: &Request<'_>, customer: Uuid, new: &NewOrder) -> Result<Uuid, ApiError> {
    let (state, request_id) = (request.state, request.request_id);
    let priced = match new.source {
        OrderSource::Cart => pricing::price_cart(state, customer, request_id).await?,
        OrderSource::Reservation(id) => {
            pricing::price_reservation(state, customer, id, request_id).await?
        }
    };
    insert(request, customer, new, priced).await
}

/// Writes the order, its lines and the key's link to it in one transaction.
async fn insert(
    request: &Request<'_>,
    customer: Uuid,
    new: &NewOrder,
    priced: Priced,
) -> Result<Uuid, ApiError> {
    let state = request.state;
    let id = Uuid::now_v7();
    let (source, step, stock_status) = match new.source {
        OrderSource::Cart => (Source::Cart, Step::Reserve, StockStatus::None),
        OrderSource::Reservation(_) => (Source::Reservation, Step::Redeem, StockStatus::Held),
    };
    let email = request.claims.email.clone().unwrap_or_default();
    let name = request.claims.name.clone().unwrap_or_default();
    let row = NewOrderRow {
        id,
        customer_id: customer,
        customer_email: &email,
        customer_name: &name,
        step,
        source,
        reservation_id: priced.reservation_id,
        stock_status,
        promo_code: new.promo_code.as_deref(),
        card_token: new.card.as_str(),
        subtotal_cents: priced.subtotal_cents,
        currency: &state.shop_currency,
        shipping_address: serde_json::to_value(&new.address).unwrap_or_default(),
        correlation_id: request.request_id,
        resume_after: state.checkout_budget,
    };
    let mut tx = state.pool.begin().await?;
    orders::insert(&mut tx, &row).await.map_err(|e| {
        ApiError::from_db(
            e,
            "this reservation is already being checked out by another order",
        )
    })?;
    for item in &priced.items {
        orders::insert_item(&mut tx, id, item).await?;
    }
    idempotency::attach(&mut tx, &request.scope, request.key, id).await?;
    tx.commit().await?;
    Ok(id)
}

fn json_response(status: StatusCode, body: Vec<u8>, content_type: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// The order as it now is.
pub(crate) async fn current(state: &AppState, id: Uuid) -> Result<Order, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let row = orders::find(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    view::load(&mut conn, row).await
}

/// An order's state as a response: 202 while the saga is still running.
fn order_response(order: &Order, done: StatusCode) -> Result<(StatusCode, Vec<u8>), ApiError> {
    let status = if order.status == OrderStatus::Pending {
        StatusCode::ACCEPTED
    } else {
        done
    };
    let body = serde_json::to_vec(order).map_err(anyhow::Error::from)?;
    Ok((status, body))
}
