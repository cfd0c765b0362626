//! The middleware every service wraps its router in.

use std::{sync::Arc, time::Instant};

use axum::{
    extract::{DefaultBodyLimit, MatchedPath, Request},
    http::{header, HeaderName, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Extension, Router,
};
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{Any, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnFailure, TraceLayer},
};
use tracing::Level;

use super::client_ip::TrustedProxyHops;
use crate::{
    config::HttpSettings,
    error::{ApiError, InternalErrorCause, Problem},
    metrics::{LatencyLabels, Metrics, RouteLabels},
};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Wraps `router` in: request id, tracing span (request id and matched
/// route), CORS, metrics, internal-error logging, problem+json for bare
/// errors, timeout, a panicking handler answered as a 500 (not a dropped
/// connection) and body size limit.
pub fn apply_layers(router: Router, settings: &HttpSettings, metrics: Arc<Metrics>) -> Router {
    apply_layers_for(router, settings, metrics, Surface::Api)
}

/// What a service answers people with: a JSON API or HTML pages.
#[derive(Debug, Clone, Copy)]
pub enum Surface {
    /// problem+json errors and a Swagger UI at `/docs/<name>/`.
    Api,
    /// The web shop: every error a page of its own (`error_page(status)`),
    /// unknown paths included, and no Swagger UI.
    Pages {
        error_page: fn(StatusCode) -> Response,
    },
}

/// [`apply_layers`] for a service of either [`Surface`].
pub fn apply_layers_for(
    router: Router,
    settings: &HttpSettings,
    metrics: Arc<Metrics>,
    surface: Surface,
) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    let timeout = settings.request_timeout;
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers(Any)
        .expose_headers([request_id.clone(), header::RETRY_AFTER]);
    let router = match surface {
        Surface::Api => router.fallback(fallback),
        Surface::Pages { error_page } => {
            router.fallback(move || async move { error_page(StatusCode::NOT_FOUND) })
        }
    };
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|req: &Request| {
                        let route = req
                            .extensions()
                            .get::<MatchedPath>()
                            .map_or("unmatched", MatchedPath::as_str);
                        let request_id = req
                            .headers()
                            .get(REQUEST_ID_HEADER)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default();
                        tracing::info_span!("request", method = %req.method(), route, request_id)
                    })
                    .on_failure(DefaultOnFailure::new().level(Level::DEBUG)),
            )
            .layer(PropagateRequestIdLayer::new(request_id))
            .layer(cors)
            .layer(Extension(TrustedProxyHops(settings.trusted_proxy_hops)))
            .layer(middleware::from_fn_with_state(metrics, record_metrics))
            .layer(middleware::from_fn(log_internal_errors))
            .layer(middleware::from_fn(
                move |req: Request, next: Next| async move {
                    match surface {
                        Surface::Api => problem_for_bare_errors(req, next).await,
                        Surface::Pages { error_page } => {
                            page_for_errors(req, next, error_page).await
                        }
                    }
                },
            ))
            .layer(middleware::from_fn(
                move |req: Request, next: Next| async move {
                    match tokio::time::timeout(timeout, next.run(req)).await {
                        Ok(res) => res,
                        Err(_) => {
                            ApiError::Unavailable("a timely answer".to_owned()).into_response()
                        }
                    }
                },
            ))
            .layer(CatchPanicLayer::custom(
                |panic: Box<dyn std::any::Any + Send>| panic_response(panic.as_ref()),
            ))
            .layer(DefaultBodyLimit::max(settings.body_limit_bytes)),
    )
}

/// A handler that panicked answers 500 problem+json; the panic message is
/// logged (with the request's span) by `log_internal_errors`.
fn panic_response(panic: &(dyn std::any::Any + Send)) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    ApiError::Unexpected(anyhow::anyhow!("the handler panicked: {message}")).into_response()
}

/// Unknown paths answer 404 problem+json.
pub async fn fallback() -> ApiError {
    ApiError::NotFound
}

async fn record_metrics(
    axum::extract::State(metrics): axum::extract::State<Arc<Metrics>>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let res = next.run(req).await;
    metrics
        .http_requests
        .get_or_create(&RouteLabels {
            method: method.clone(),
            route: route.clone(),
            status: res.status().as_u16(),
        })
        .inc();
    metrics
        .http_latency
        .get_or_create(&LatencyLabels { method, route })
        .observe(started.elapsed().as_secs_f64());
    res
}

/// Internal errors are logged once, here, with their cause chain.
async fn log_internal_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if let Some(cause) = res.extensions().get::<InternalErrorCause>() {
        tracing::error!(error.cause_chain = %cause.0, "request failed");
    } else if res.status().is_server_error() {
        tracing::warn!(
            status = res.status().as_u16(),
            "request answered with a server error"
        );
    }
    res
}

/// Turns axum's own error answers (empty or plain-text 404, 405, 413, path
/// and query rejections) into problem+json, keeping their message for 4xx.
/// An error that is not already a page (a timeout, a panic, a 405 or a
/// rejected form from axum) becomes the service's error page, keeping its headers.
async fn page_for_errors(
    req: Request,
    next: Next,
    error_page: fn(StatusCode) -> Response,
) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    // Bare errors and problems; pages and health's JSON pass as they are.
    let is_bare_or_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("application/problem+json") || v.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !is_bare_or_problem {
        return res;
    }
    let (parts, _) = res.into_parts();
    let mut page = error_page(status);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            page.headers_mut().insert(name.clone(), value.clone());
        }
    }
    page.extensions_mut().extend(parts.extensions);
    page
}

async fn problem_for_bare_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let (slug, title) = match status {
        StatusCode::METHOD_NOT_ALLOWED => ("method-not-allowed", "Method not allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload-too-large", "Payload too large"),
        StatusCode::NOT_FOUND => ("not-found", "Not found"),
        StatusCode::BAD_REQUEST => ("bad-request", "Bad request"),
        _ => ("error", status.canonical_reason().unwrap_or("Error")),
    };
    let (parts, body) = res.into_parts();
    let mut problem = Problem::new(status, slug, title);
    if status.is_client_error() {
        if let Ok(bytes) = axum::body::to_bytes(body, 4096).await {
            let text = String::from_utf8_lossy(&bytes).trim().to_owned();
            if !text.is_empty() {
                problem = problem.detail(text);
            }
        }
    }
    let mut res = problem.into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            res.headers_mut().entry(name).or_insert(value.clone());
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use axum::{body::Body, routing::get};
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_answers_500_problem_json_instead_of_dropping_the_connection() {
        async fn boom() -> &'static str {
            panic!("boom")
        }
        let router = Router::new().route("/boom", get(boom));
        let app = apply_layers(router, &HttpSettings::for_tests(), Metrics::new());
        let request = Request::builder().uri("/boom").body(Body::empty()).unwrap();

        let response = app.oneshot(request).await.unwrap();

        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            crate::error::PROBLEM_JSON
        );
    }
}
