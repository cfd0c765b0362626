//! A flash sale: its countdown, the claim button and the claim's checkout.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{html, Visit};
use crate::{
    api::Failure,
    pages::{self, sale::ClaimOutcome},
    state::AppState,
};

pub async fn show(
    State(state): State<AppState>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return pages::errors::status_page(StatusCode::NOT_FOUND);
    };
    if let Err(e) = visit.maybe_signed_in(&state).await {
        return e.into_response();
    }
    let sale = match state.api.flash_sale(&visit.ctx, id).await {
        Ok(Some(sale)) => sale,
        Ok(None) => return pages::errors::status_page(StatusCode::NOT_FOUND),
        Err(e) => return e.into_response(),
    };
    let product = state
        .api
        .product_by_sku(&visit.ctx, &sale.sku)
        .await
        .ok()
        .flatten();
    let claims = match visit.ctx.token {
        Some(_) => state.api.my_claims(&visit.ctx, id).await.ok(),
        None => None,
    };
    let outcome = visit.session.take_claim_outcome();
    html(pages::sale::page(
        &visit.chrome(),
        &sale,
        product.as_ref(),
        visit.ctx.token.is_some(),
        &claims.unwrap_or_default(),
        outcome.as_ref(),
        OffsetDateTime::now_utc(),
    ))
}

pub async fn claim(
    State(state): State<AppState>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return pages::errors::status_page(StatusCode::NOT_FOUND);
    };
    let back = format!("/sales/{id}");
    if let Err(to_sign_in) = visit.signed_in_then(&state, &back).await {
        return to_sign_in;
    }
    let outcome = match state.api.claim(&visit.ctx, id).await {
        Ok(claim) => ClaimOutcome::Reserved {
            reservation_id: claim.reservation_id,
            expires_at: claim.expires_at,
        },
        Err(Failure::Refused(p)) if p.kind.ends_with("sold-out") => ClaimOutcome::SoldOut,
        Err(Failure::Refused(p)) if p.kind.ends_with("claim-limit-reached") => {
            ClaimOutcome::LimitReached
        }
        Err(Failure::Refused(p)) if p.status == 404 => {
            return pages::errors::status_page(StatusCode::NOT_FOUND)
        }
        Err(Failure::Refused(p)) => ClaimOutcome::Refused(p.message().to_owned()),
        Err(down) => return down.into_response(),
    };
    visit.session.set_claim_outcome(outcome);
    Redirect::to(&back).into_response()
}
