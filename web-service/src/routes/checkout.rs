//! Checkout: the shipping address, a test card, the promo code; one
//! Idempotency-Key per form, so a double click or a refresh orders once.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use serde::Deserialize;
use uuid::Uuid;

use super::{basket, html, Visit};
use crate::{
    api::{
        calls::{Checkout, Payment},
        types::Address,
        Failure,
    },
    pages::{self, checkout::CheckoutValues},
    state::AppState,
};

#[derive(Debug, Default, Deserialize)]
pub struct CheckoutQuery {
    promo: Option<String>,
    reservation: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CheckoutForm {
    #[serde(default)]
    line1: String,
    #[serde(default)]
    line2: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    province: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    card_token: String,
    #[serde(default)]
    promo_code: String,
    #[serde(default)]
    reservation_id: String,
    #[serde(default)]
    idempotency_key: String,
}

fn optional(raw: &str) -> Option<String> {
    Some(raw.trim().to_owned()).filter(|s| !s.is_empty())
}

pub async fn form(
    State(state): State<AppState>,
    mut visit: Visit,
    query: Result<Query<CheckoutQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    if let Err(to_sign_in) = visit.signed_in(&state).await {
        return to_sign_in;
    }
    let values = CheckoutValues {
        promo_code: query.promo.clone().unwrap_or_default(),
        reservation_id: query
            .reservation
            .as_deref()
            .and_then(|r| Uuid::parse_str(r).ok()),
        card_token: "tok_visa".to_owned(),
        idempotency_key: Uuid::new_v4(),
        ..CheckoutValues::default()
    };
    render(&state, &visit, values, None, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    visit: &Visit,
    values: CheckoutValues,
    problem: Option<crate::api::Problem>,
    status: StatusCode,
) -> Response {
    // A claim is checked out alone, at its sale price (shown by order-service
    // on the confirmation); otherwise the cart.
    let cart = match values.reservation_id {
        Some(_) => None,
        None => match basket::current_cart(&state.api, visit, state).await {
            Ok(cart) if cart.items.is_empty() => return Redirect::to("/basket").into_response(),
            Ok(cart) => Some(cart),
            Err(e) => return e.into_response(),
        },
    };
    let promo = match (&cart, optional(&values.promo_code)) {
        (Some(cart), Some(code)) => {
            Some(basket::preview(&state.api, &visit.ctx, &code, cart.subtotal_cents).await)
        }
        _ => None,
    };
    (
        status,
        html(pages::checkout::page(
            &visit.chrome(),
            &values,
            cart.as_ref(),
            promo.as_ref(),
            problem.as_ref(),
        )),
    )
        .into_response()
}

pub async fn place(
    State(state): State<AppState>,
    mut visit: Visit,
    Form(form): Form<CheckoutForm>,
) -> Response {
    if let Err(to_sign_in) = visit.signed_in_then(&state, "/checkout").await {
        return to_sign_in;
    }
    let reservation_id = Uuid::parse_str(form.reservation_id.trim()).ok();
    // A form without a key of its own (edited by hand) gets a fresh one:
    // it is still one order per submit.
    let idempotency_key =
        Uuid::parse_str(form.idempotency_key.trim()).unwrap_or_else(|_| Uuid::new_v4());
    let address = Address {
        line1: form.line1.trim().to_owned(),
        line2: optional(&form.line2),
        city: form.city.trim().to_owned(),
        province: optional(&form.province),
        postal_code: form.postal_code.trim().to_owned(),
        country: form.country.trim().to_uppercase(),
    };
    let promo_code = optional(&form.promo_code);
    let checkout = Checkout {
        from: reservation_id.is_none().then_some("cart"),
        shipping_address: &address,
        payment: Payment {
            card_token: form.card_token.trim(),
        },
        promo_code: promo_code.as_deref(),
        reservation_id,
    };
    match state
        .api
        .place_order(&visit.ctx, &checkout, &idempotency_key.to_string())
        .await
    {
        Ok(order) => {
            if let Ok(cart) = state.api.cart(&visit.ctx).await {
                let count = cart.items.iter().map(|l| l.quantity).sum();
                visit.session.update(|d| d.cart_count = count);
            }
            Redirect::to(&format!("/account/orders/{}", order.id)).into_response()
        }
        // The first send of this form is still being placed (a double
        // click, or a send the browser repeated): its order will appear in
        // the orders; sending the form again with a new key would order twice.
        Err(Failure::Refused(problem)) if problem.kind.ends_with("request-in-progress") => {
            visit
                .session
                .notify("Your order is being placed: it appears here in a moment.");
            Redirect::to("/account/orders").into_response()
        }
        Err(Failure::Refused(mut problem)) => {
            if problem.kind.ends_with("idempotency-key-reused") {
                // This form was sent before with other details (the browser's
                // back button): the fresh key below makes the next send a new order.
                problem.detail = Some(
                    "This checkout form was already sent with other details. \
                     Check your orders, or send it again to place a new order."
                        .to_owned(),
                );
            }
            let status =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let values = CheckoutValues {
                address,
                card_token: form.card_token,
                promo_code: form.promo_code,
                reservation_id,
                // A refused order was not placed: the next submit is a new attempt.
                idempotency_key: Uuid::new_v4(),
            };
            render(&state, &visit, values, Some(problem), status).await
        }
        Err(down) => down.into_response(),
    }
}
