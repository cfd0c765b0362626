//! The shopper's orders: history, one order, cancel until shipped.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{html, Visit};
use crate::{api::Failure, pages, state::AppState};

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    mut visit: Visit,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    if let Err(to_sign_in) = visit.signed_in(&state).await {
        return to_sign_in;
    }
    match state.api.orders(&visit.ctx, query.cursor.as_deref()).await {
        Ok(page) => html(pages::orders::list(&visit.chrome(), &page)),
        Err(e) => e.into_response(),
    }
}

pub async fn detail(
    State(state): State<AppState>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Response {
    if let Err(to_sign_in) = visit.signed_in(&state).await {
        return to_sign_in;
    }
    let Ok(id) = Uuid::parse_str(&id) else {
        return pages::errors::status_page(StatusCode::NOT_FOUND);
    };
    match state.api.order(&visit.ctx, id).await {
        Ok(Some(order)) => html(pages::orders::detail(&visit.chrome(), &order)),
        // Someone else's order is not found either.
        Ok(None) | Err(Failure::Refused(_)) => pages::errors::status_page(StatusCode::NOT_FOUND),
        Err(e) => e.into_response(),
    }
}

pub async fn cancel(
    State(state): State<AppState>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return pages::errors::status_page(StatusCode::NOT_FOUND);
    };
    let back = format!("/account/orders/{id}");
    if let Err(to_sign_in) = visit.signed_in_then(&state, &back).await {
        return to_sign_in;
    }
    let notice = match state.api.cancel_order(&visit.ctx, id).await {
        Ok(_) => "Your order is cancelled. Any payment is refunded.".to_owned(),
        Err(Failure::Refused(problem)) if problem.status == 404 => {
            return pages::errors::status_page(StatusCode::NOT_FOUND)
        }
        Err(Failure::Refused(problem)) => {
            format!("The order could not be cancelled: {}", problem.message())
        }
        Err(down) => return down.into_response(),
    };
    visit.session.notify(notice);
    Redirect::to(&back).into_response()
}
