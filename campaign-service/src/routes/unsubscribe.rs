//! The unsubscribe link of marketing emails, under `/emails/` (a prefix the
//! load balancer routes here, so links work in AWS). GET only shows a page
//! whose button POSTs: mail scanners follow links, and a GET that changed
//! state unsubscribed people who never asked. POST is also the RFC 8058
//! one-click variant mail clients send. The old `GET /unsubscribe` link
//! redirects to the page (docs/services.md).

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{Html, IntoResponse},
};
use platform::{ApiError, Query};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{emails::unsubscribe, repo::emails, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(confirmation_page, unsubscribe_now))
        .routes(routes!(legacy_link))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeQuery {
    /// The signed token from the email's link.
    pub token: String,
}

fn customer_of(state: &AppState, token: &str) -> Result<Uuid, ApiError> {
    unsubscribe::verify(&state.unsubscribe_secret, token)
        .ok_or_else(|| ApiError::validation("token", "is not a valid unsubscribe token"))
}

/// The signed token only holds base64url characters and a dot; anything
/// else was refused by [`customer_of`], so it is safe in an attribute, but
/// it is escaped all the same.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// Asks to confirm (the link in emails); changes nothing
#[utoipa::path(
    get, path = "/emails/unsubscribe", tag = "emails", params(UnsubscribeQuery),
    responses(
        (status = 200, description = "A page whose button unsubscribes (POST)", content_type = "text/html"),
        (status = 422, description = "The token is not valid", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn confirmation_page(
    State(state): State<AppState>,
    Query(q): Query<UnsubscribeQuery>,
) -> Result<impl IntoResponse, ApiError> {
    customer_of(&state, &q.token)?;
    let token = escape(&q.token);
    Ok(Html(format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Unsubscribe</title>\
         <h1>Unsubscribe from Storefront marketing emails?</h1>\
         <p>Order and account emails keep coming.</p>\
         <form method=\"post\" action=\"/emails/unsubscribe?token={token}\">\
         <button type=\"submit\">Unsubscribe</button></form></html>"
    )))
}

/// Turns marketing emails off (the page's button; RFC 8058 one-click)
#[utoipa::path(
    post, path = "/emails/unsubscribe", tag = "emails", params(UnsubscribeQuery),
    responses(
        (status = 200, description = "Unsubscribed", content_type = "text/html"),
        (status = 422, description = "The token is not valid", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn unsubscribe_now(
    State(state): State<AppState>,
    Query(q): Query<UnsubscribeQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let customer_id = customer_of(&state, &q.token)?;
    let mut conn = state.pool.acquire().await?;
    emails::unsubscribe(&mut conn, customer_id).await?;
    tracing::info!(%customer_id, "customer unsubscribed from marketing");
    Ok(Html(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Unsubscribed</title>\
         <p>You will no longer receive marketing emails from Storefront.</p></html>",
    ))
}

/// The link of emails sent before `/emails/unsubscribe`: redirects to its page
#[utoipa::path(
    get, path = "/unsubscribe", tag = "emails", params(UnsubscribeQuery),
    responses(
        (status = 308, description = "To `/emails/unsubscribe` with the same token"),
        (status = 422, description = "The token is not valid", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn legacy_link(
    State(state): State<AppState>,
    Query(q): Query<UnsubscribeQuery>,
) -> Result<impl IntoResponse, ApiError> {
    customer_of(&state, &q.token)?;
    let location = format!("/emails/unsubscribe?token={}", q.token);
    Ok((
        StatusCode::PERMANENT_REDIRECT,
        [(header::LOCATION, location)],
    ))
}
