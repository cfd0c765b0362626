//! Every state-changing request (any method but GET and HEAD) carries the
//! session's CSRF token in its form field `csrf`, or is refused with 403 in
//! the shop's style. Checked here, once, so no handler can forget it.

use axum::{
    body::{to_bytes, Body},
    extract::Request,
    http::{Method, StatusCode},
    middleware::Next,
    response::Response,
};

use crate::{pages, session::Session};

/// Forms are small; anything larger is not one of ours.
const FORM_LIMIT: usize = 64 * 1024;

pub const FIELD: &str = "csrf";

pub async fn layer(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    let Some(session) = req.extensions().get::<Session>().cloned() else {
        return pages::errors::status_page(StatusCode::FORBIDDEN);
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
        return pages::errors::status_page(StatusCode::PAYLOAD_TOO_LARGE);
    };
    let given = url::form_urlencoded::parse(&bytes)
        .find(|(name, _)| name == FIELD)
        .map(|(_, value)| value.into_owned());
    if !given.is_some_and(|token| session.csrf_matches(&token)) {
        tracing::info!(path = %parts.uri.path(), "refused a form without its CSRF token");
        return pages::errors::forbidden_page();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
