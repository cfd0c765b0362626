//! What an order about to be made costs: its lines and subtotal, priced by
//! the catalog now (a cart) or at the sale price (a flash-sale claim).

use axum::http::StatusCode;
use futures::future::join_all;
use platform::{ApiError, Problem};
use uuid::Uuid;

use super::problem;
use crate::{
    clients::{CallError, HoldStatus},
    repo::{cart, orders::ItemRow},
    routes::cart::catalog_unavailable,
    state::AppState,
};

/// The lines and subtotal of an order about to be made.
pub struct Priced {
    pub items: Vec<ItemRow>,
    pub subtotal_cents: i64,
    pub reservation_id: Option<Uuid>,
}

/// Prices the cart from the catalog now.
pub async fn price_cart(
    state: &AppState,
    customer: Uuid,
    request_id: &str,
) -> Result<Priced, ApiError> {
    let lines = {
        let mut conn = state.pool.acquire().await?;
        cart::lines(&mut conn, customer).await?
    };
    if lines.is_empty() {
        return Err(problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty-cart",
            "The cart is empty",
            "put products in the cart (PUT /cart/items/{product_id}) before ordering from it",
        ));
    }
    let catalog = &state.deps.catalog;
    let products = join_all(
        lines
            .iter()
            .map(|l| catalog.product(l.product_id, request_id)),
    )
    .await;
    let mut items = Vec::with_capacity(lines.len());
    let mut unavailable = Vec::new();
    for (i, (line, product)) in lines.into_iter().zip(products).enumerate() {
        match product.map_err(|e| catalog_unavailable(&e))? {
            Some(p) if p.active && p.currency == *state.shop_currency => items.push(ItemRow {
                line: i as i32 + 1,
                product_id: Some(p.id),
                sku: p.sku,
                name: p.name,
                quantity: line.quantity,
                unit_price_cents: p.price_cents,
            }),
            _ => unavailable.push(line.product_id.to_string()),
        }
    }
    if !unavailable.is_empty() {
        return Err(ApiError::Custom(Box::new(
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "products-unavailable",
                "Products no longer sold",
            )
            .detail(format!(
                "the cart holds products that are no longer sold: {}; remove them and order again",
                unavailable.join(", ")
            ))
            .extension("product_ids", serde_json::json!(unavailable)),
        )));
    }
    let subtotal_cents = subtotal(&items);
    Ok(Priced {
        items,
        subtotal_cents,
        reservation_id: None,
    })
}

/// Prices a flash-sale reservation at its sale price, after checking the
/// caller owns it.
pub async fn price_reservation(
    state: &AppState,
    customer: Uuid,
    reservation_id: Uuid,
    request_id: &str,
) -> Result<Priced, ApiError> {
    let inventory = &state.deps.inventory;
    let unavailable = |e: CallError| {
        tracing::warn!(error = %e, "the inventory could not be reached");
        ApiError::Unavailable("the inventory".to_owned())
    };
    let not_found = || {
        problem(
            StatusCode::NOT_FOUND,
            "unknown-reservation",
            "Unknown reservation",
            format!("you hold no reservation {reservation_id}"),
        )
    };
    let reservation = inventory
        .reservation(reservation_id, request_id)
        .await
        .map_err(unavailable)?
        .filter(|r| r.owner_id == customer)
        .ok_or_else(not_found)?;
    if reservation.flash_sale_id.is_none() {
        return Err(ApiError::validation(
            "reservation_id",
            "only a flash-sale claim can be checked out by its reservation_id",
        ));
    }
    match reservation.status {
        HoldStatus::Held => {}
        HoldStatus::Committed => {
            return Err(problem(
                StatusCode::CONFLICT,
                "reservation-used",
                "Reservation already checked out",
                "this reservation was already bought",
            ))
        }
        HoldStatus::Released | HoldStatus::Expired | HoldStatus::Returned => {
            return Err(ApiError::validation(
                "reservation_id",
                "this reservation has expired or was released; claim again",
            ))
        }
    }
    let mut items = Vec::with_capacity(reservation.items.len());
    for (i, item) in reservation.items.iter().enumerate() {
        let product = state
            .deps
            .catalog
            .product_by_sku(&item.sku, request_id)
            .await
            .map_err(|e| catalog_unavailable(&e))?;
        items.push(ItemRow {
            line: i as i32 + 1,
            product_id: product.as_ref().map(|p| p.id),
            name: product.map_or_else(|| item.sku.clone(), |p| p.name),
            sku: item.sku.clone(),
            quantity: item.quantity,
            unit_price_cents: item.unit_price_cents.unwrap_or(0),
        });
    }
    let subtotal_cents = subtotal(&items);
    Ok(Priced {
        items,
        subtotal_cents,
        reservation_id: Some(reservation_id),
    })
}

/// The lines' sum, saturating (a check constraint refuses the absurd).
fn subtotal(items: &[ItemRow]) -> i64 {
    items
        .iter()
        .map(|i| i.unit_price_cents.saturating_mul(i64::from(i.quantity)))
        .fold(0i64, i64::saturating_add)
}
