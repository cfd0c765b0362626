//! Errors as `application/problem+json` (RFC 9457), mapped in one place.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field's name, or its path for nested fields (`shipping_address.city`).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"type": "https://storefront.dev/problems/validation", "title": "Invalid request", "status": 422, "detail": "2 fields are invalid", "errors": [{"field": "email", "message": "is not a valid email address"}]}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub errors: Vec<FieldError>,
    /// Extra members (e.g. `shortages`), flattened into the document.
    #[serde(flatten, skip_serializing_if = "serde_json::Map::is_empty", default)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, title: &str) -> Self {
        Self {
            kind: format!("https://storefront.dev/problems/{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
            extensions: serde_json::Map::new(),
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn extension(mut self, key: &str, value: serde_json::Value) -> Self {
        self.extensions.insert(key.to_owned(), value);
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
            body,
        )
            .into_response()
    }
}

/// The errors every handler can produce. Route modules either use this
/// directly or convert their own error enum into it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid request")]
    Validation(Vec<FieldError>),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("a dependency is unavailable: {0}")]
    Unavailable(String),
    #[error("custom problem")]
    Custom(Box<Problem>),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ApiError {
    pub fn validation(field: &str, message: &str) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// Maps a database error: unique violations become 409 with `message`,
    /// a pool that cannot reach Postgres becomes 503, anything else is unexpected.
    pub fn from_db(err: sqlx::Error, conflict_message: &str) -> Self {
        if is_unique_violation(&err) {
            return Self::Conflict(conflict_message.to_owned());
        }
        Self::from(err)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        if is_unavailable(&err) {
            Self::Unavailable("the database".to_owned())
        } else {
            Self::Unexpected(anyhow::Error::new(err))
        }
    }
}

/// True when `err` is a Postgres unique-constraint violation (SQLSTATE 23505).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("23505"))
}

/// True when `err` means the database could not be reached, not that the query was wrong.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::Io(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_) => true,
        // A connection closed while asking for TLS: sqlx reads the missing
        // answer byte as 0x00 and reports a protocol error.
        sqlx::Error::Protocol(message) => {
            message.starts_with("unexpected response from SSLRequest")
        }
        _ => false,
    }
}

/// Marker placed on responses for internal errors so the logging middleware
/// can log the cause chain once.
#[derive(Clone)]
pub struct InternalErrorCause(pub std::sync::Arc<String>);

impl ApiError {
    /// The problem document this error answers with (its headers aside).
    pub fn problem(&self) -> Problem {
        match self {
            Self::Validation(errors) => {
                let detail = match errors.as_slice() {
                    [one] => format!("{}: {}", one.field, one.message),
                    many => format!("{} fields are invalid", many.len()),
                };
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "Invalid request",
                )
                .detail(detail);
                p.errors = errors.clone();
                p
            }
            Self::BadRequest(detail) => {
                Problem::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request").detail(detail)
            }
            Self::UnsupportedMediaType => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            )
            .detail("expected a body with Content-Type: application/json"),
            Self::PayloadTooLarge => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            )
            .detail("the request body is larger than this endpoint accepts"),
            Self::Unauthorized(detail) => {
                Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized")
                    .detail(detail)
            }
            Self::Forbidden => Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden")
                .detail("your role does not allow this operation"),
            Self::NotFound => Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found")
                .detail("no such resource"),
            Self::Conflict(detail) => {
                Problem::new(StatusCode::CONFLICT, "conflict", "Conflict").detail(detail)
            }
            Self::TooManyRequests { retry_after_secs } => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
            )
            .detail(format!("try again in {retry_after_secs} s")),
            Self::Unavailable(what) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            )
            .detail(format!("{what} is unavailable; try again shortly")),
            Self::Custom(problem) => (**problem).clone(),
            Self::Unexpected(_) => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal server error",
            )
            .detail(
                "something went wrong on our side; quote the x-request-id header when reporting it",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = self.problem().into_response();
        let headers = res.headers_mut();
        match self {
            Self::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::TooManyRequests { retry_after_secs } => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(retry_after_secs.max(1)),
                );
            }
            Self::Unexpected(err) => {
                res.extensions_mut()
                    .insert(InternalErrorCause(std::sync::Arc::new(format!("{err:#}"))));
            }
            _ => {}
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_problem_is_the_document_the_response_carries() {
        let error = ApiError::validation("email", "is not a valid email address");
        let problem = error.problem();

        let response = error.into_response();

        assert_eq!(response.status().as_u16(), problem.status);
        assert_eq!(problem.status, 422);
        assert_eq!(
            problem.detail.as_deref(),
            Some("email: is not a valid email address")
        );
        assert_eq!(
            problem.errors,
            [FieldError::new("email", "is not a valid email address")]
        );
    }

    #[test]
    fn headers_beyond_the_document_are_added_to_the_response_only() {
        let unauthorized = ApiError::Unauthorized("no token".to_owned()).into_response();
        let limited = ApiError::TooManyRequests {
            retry_after_secs: 0,
        }
        .into_response();

        assert_eq!(unauthorized.headers()[header::WWW_AUTHENTICATE], "Bearer");
        assert_eq!(limited.headers()[header::RETRY_AFTER], "1");
        assert_eq!(
            limited.headers()[header::CONTENT_TYPE],
            PROBLEM_JSON,
            "still a problem document"
        );
    }

    #[test]
    fn an_unexpected_error_keeps_its_cause_out_of_the_document() {
        let error = ApiError::Unexpected(anyhow::anyhow!("connection to 10.0.0.7 refused"));

        let problem = error.problem();
        let response = error.into_response();

        assert_eq!(problem.status, 500);
        assert!(!problem.detail.unwrap().contains("10.0.0.7"));
        let cause = response.extensions().get::<InternalErrorCause>().unwrap();
        assert!(
            cause.0.contains("10.0.0.7"),
            "the cause is kept for the log"
        );
    }
}
