//! What a workload sends and how it judges the answers: the `Request`, the
//! `Answer`, its `Outcome` and the `Workload` trait.

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, StatusCode};

/// One request to send.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    /// Path and query, e.g. `/products?q=oak`.
    pub path: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl Request {
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            path: path.into(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    pub fn post_json(path: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Self {
            method: Method::POST,
            path: path.into(),
            headers: vec![(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body: body.into(),
        }
    }

    pub fn bearer(mut self, token: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
            self.headers.push((http::header::AUTHORIZATION, value));
        }
        self
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((HeaderName::from_static(name), value));
        }
        self
    }
}

/// An answer, for the workload to judge.
pub struct Answer<'a> {
    /// The request's sequence number.
    pub n: u64,
    pub status: StatusCode,
    pub body: &'a [u8],
    /// When the request was due, from the start of the run.
    pub due: Duration,
    pub latency: Duration,
}

/// What an answer counts as, with a label for the tally (`claimed`, `sold-out`, `500`...).
pub enum Outcome {
    Ok(Cow<'static, str>),
    Error(Cow<'static, str>),
}

/// What to send and how to judge the answers.
pub trait Workload: Send + Sync + 'static {
    /// The `n`th request (from 0), or `None` when there is nothing left to send.
    fn request(&self, n: u64) -> Option<Request>;

    /// By default a 2xx is a success and anything else an error.
    fn judge(&self, answer: &Answer<'_>) -> Outcome {
        status_outcome(answer.status)
    }
}

pub fn status_outcome(status: StatusCode) -> Outcome {
    let label = Cow::Owned(status.as_u16().to_string());
    if status.is_success() {
        Outcome::Ok(label)
    } else {
        Outcome::Error(label)
    }
}

/// Whether `body` holds `needle` (for judging answers without parsing them).
pub fn contains(body: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && body.windows(needle.len()).any(|w| w == needle)
}
