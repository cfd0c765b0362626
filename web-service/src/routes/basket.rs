//! The cart: a guest's lives in the session, a customer's in order-service;
//! a guest's is merged into the customer's on sign-in or sign-up.

use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use serde::Deserialize;
use uuid::Uuid;

use super::{html, Visit};
use crate::{
    api::{
        types::{Cart, CartLine, PromoCheck},
        Api, Ctx, Failure,
    },
    pages,
    session::{GuestLine, Session},
    state::AppState,
};

/// What order-service allows on one line.
pub const MAX_QUANTITY: i64 = 100;

#[derive(Debug, Deserialize)]
pub struct AddForm {
    product_id: String,
    quantity: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct QuantityForm {
    quantity: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct BasketQuery {
    promo: Option<String>,
}

fn quantity(raw: Option<&str>) -> Option<i64> {
    raw.unwrap_or("1")
        .trim()
        .parse()
        .ok()
        .filter(|q| (1..=MAX_QUANTITY).contains(q))
}

/// The cart as the page shows it: order-service's, or the guest's priced
/// from the catalog now.
pub async fn current_cart(api: &Api, visit: &Visit, state: &AppState) -> Result<Cart, Failure> {
    if visit.ctx.token.is_some() {
        if !visit.session.guest_cart().is_empty() {
            merge_guest_cart(api, visit).await;
        }
        let cart = api.cart(&visit.ctx).await?;
        remember_count(&visit.session, &cart);
        return Ok(cart);
    }
    let lines = visit.session.guest_cart();
    let mut items = Vec::with_capacity(lines.len());
    let mut subtotal = 0i64;
    for line in lines {
        let product = api.product(&visit.ctx, line.product_id).await?;
        let total = product
            .as_ref()
            .map(|p| p.price_cents.saturating_mul(line.quantity));
        subtotal = subtotal.saturating_add(total.unwrap_or(0));
        items.push(CartLine {
            product_id: line.product_id,
            quantity: line.quantity,
            available: product.is_some(),
            name: product.as_ref().map(|p| p.name.clone()),
            unit_price_cents: product.as_ref().map(|p| p.price_cents),
            line_total_cents: total,
        });
    }
    Ok(Cart {
        items,
        subtotal_cents: subtotal,
        currency: state.shop_currency.to_string(),
    })
}

fn remember_count(session: &Session, cart: &Cart) {
    let count = cart.items.iter().map(|l| l.quantity).sum();
    if session.cart_count() != count {
        session.update(|d| d.cart_count = count);
    }
}

pub async fn show(
    State(state): State<AppState>,
    mut visit: Visit,
    query: Result<Query<BasketQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    if let Err(e) = visit.maybe_signed_in(&state).await {
        return e.into_response();
    }
    let cart = current_cart(&state.api, &visit, &state).await;
    let promo_code = query
        .promo
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    let promo = match (&promo_code, &cart) {
        (Some(code), Ok(cart)) => {
            Some(preview(&state.api, &visit.ctx, code, cart.subtotal_cents).await)
        }
        _ => None,
    };
    html(pages::cart::page(
        &visit.chrome(),
        cart.as_ref().ok(),
        promo_code.as_deref(),
        promo.as_ref(),
    ))
}

/// What a code would take off: `Ok(None)` when there is no such code.
pub async fn preview(
    api: &Api,
    ctx: &Ctx,
    code: &str,
    subtotal_cents: i64,
) -> Result<Option<PromoCheck>, Failure> {
    api.promo_check(ctx, code, subtotal_cents).await
}

pub async fn add(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<AddForm>,
) -> Response {
    let (Ok(product_id), Some(quantity)) = (
        Uuid::parse_str(form.product_id.trim()),
        quantity(form.quantity.as_deref()),
    ) else {
        visit
            .session
            .notify(format!("Choose a quantity from 1 to {MAX_QUANTITY}."));
        return Redirect::to("/basket").into_response();
    };
    if let Err(e) = visit.maybe_signed_in(&state).await {
        return e.into_response();
    }
    match set_line(&state.api, &visit, product_id, Change::Add(quantity)).await {
        Ok(()) => {
            visit.session.notify("Added to your cart.");
            Redirect::to("/basket").into_response()
        }
        Err(e) => refused_to_basket(&visit, e),
    }
}

pub async fn change(
    State(state): State<AppState>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<QuantityForm>,
) -> Response {
    let (Ok(product_id), Some(quantity)) =
        (Uuid::parse_str(&id), quantity(form.quantity.as_deref()))
    else {
        visit
            .session
            .notify(format!("Choose a quantity from 1 to {MAX_QUANTITY}."));
        return Redirect::to("/basket").into_response();
    };
    if let Err(e) = visit.maybe_signed_in(&state).await {
        return e.into_response();
    }
    match set_line(&state.api, &visit, product_id, Change::Set(quantity)).await {
        Ok(()) => Redirect::to("/basket").into_response(),
        Err(e) => refused_to_basket(&visit, e),
    }
}

pub async fn remove(
    State(state): State<AppState>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Response {
    let Ok(product_id) = Uuid::parse_str(&id) else {
        return Redirect::to("/basket").into_response();
    };
    if let Err(e) = visit.maybe_signed_in(&state).await {
        return e.into_response();
    }
    let removed = match visit.ctx.token {
        Some(_) => state.api.remove_cart_item(&visit.ctx, product_id).await,
        None => {
            visit
                .session
                .update(|d| d.cart.retain(|l| l.product_id != product_id));
            Ok(())
        }
    };
    match removed {
        Ok(()) => {
            visit.session.notify("Removed from your cart.");
            Redirect::to("/basket").into_response()
        }
        Err(e) => refused_to_basket(&visit, e),
    }
}

#[derive(Debug, Clone, Copy)]
enum Change {
    Add(i64),
    Set(i64),
}

async fn set_line(
    api: &Api,
    visit: &Visit,
    product_id: Uuid,
    change: Change,
) -> Result<(), Failure> {
    if visit.ctx.token.is_some() {
        let quantity = match change {
            Change::Set(q) => q,
            Change::Add(q) => {
                let cart = api.cart(&visit.ctx).await?;
                let had = cart
                    .items
                    .iter()
                    .find(|l| l.product_id == product_id)
                    .map_or(0, |l| l.quantity);
                (had + q).min(MAX_QUANTITY)
            }
        };
        let cart = api.put_cart_item(&visit.ctx, product_id, quantity).await?;
        remember_count(&visit.session, &cart);
        return Ok(());
    }
    // A guest may only put what the catalog sells in the session.
    if api.product(&visit.ctx, product_id).await?.is_none() {
        return Err(Failure::Refused(crate::api::Problem {
            status: 404,
            title: "That product is not sold any more.".to_owned(),
            ..Default::default()
        }));
    }
    visit.session.update(|d| {
        let full = d.cart.len() >= 50;
        match d.cart.iter_mut().find(|l| l.product_id == product_id) {
            Some(line) => {
                line.quantity = match change {
                    Change::Add(q) => (line.quantity + q).min(MAX_QUANTITY),
                    Change::Set(q) => q,
                };
            }
            None if !full => d.cart.push(GuestLine {
                product_id,
                quantity: match change {
                    Change::Add(q) | Change::Set(q) => q,
                },
            }),
            None => d.notice = Some("Your cart is full.".to_owned()),
        }
    });
    Ok(())
}

fn refused_to_basket(visit: &Visit, failure: Failure) -> Response {
    match failure {
        Failure::Refused(problem) => {
            visit.session.notify(problem.message());
            Redirect::to("/basket").into_response()
        }
        down => down.into_response(),
    }
}

/// Puts a guest's lines into the customer's cart (after sign-in or sign-up),
/// adding to what the customer already had. Each line leaves the session
/// once order-service has it, so a merge cut short by a service that is
/// down adds nothing twice: the rest stays and is merged on the next visit
/// to the cart (and signing in still succeeds).
pub async fn merge_guest_cart(api: &Api, visit: &Visit) {
    for line in visit.session.guest_cart() {
        let merged = set_line(api, visit, line.product_id, Change::Add(line.quantity)).await;
        // Merged, or refused for itself (a product no longer sold): it
        // leaves the session, and is never a reason to fail sign-in.
        if !kept_for_later(&merged) {
            visit
                .session
                .update(|d| d.cart.retain(|l| l.product_id != line.product_id));
        } else {
            visit.session.notify(
                "Some items of your cart could not be added to your account yet; \
                 they will be when you next open your cart.",
            );
            return;
        }
    }
    if let Ok(cart) = api.cart(&visit.ctx).await {
        remember_count(&visit.session, &cart);
    }
}

/// A failure that says nothing about the line (a service down, a limit, a
/// token refused): the line waits for the next merge.
fn kept_for_later(merged: &Result<(), Failure>) -> bool {
    match merged {
        Ok(()) => false,
        Err(Failure::Refused(p)) => matches!(p.status, 401 | 429),
        Err(Failure::Down(_)) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::quantity;

    #[test]
    fn a_quantity_is_a_whole_number_from_1_to_100() {
        assert_eq!(quantity(None), Some(1));
        assert_eq!(quantity(Some("2")), Some(2));
        assert_eq!(quantity(Some("0")), None);
        assert_eq!(quantity(Some("101")), None);
        assert_eq!(quantity(Some("2.5")), None);
        assert_eq!(quantity(Some("x")), None);
    }
}
