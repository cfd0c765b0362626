//! `ServiceClient`, one per dependency, and the builder for one call.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::Bytes;
use http::{header, HeaderName, HeaderValue, Method, StatusCode};
use serde::Serialize;
use tracing::Instrument;

use super::{
    breaker::{Breaker, BreakerState},
    metrics::{outcome, ClientMetrics},
    transport::{backoff, error_chain, http_client, snippet},
    ClientError, ClientResponse, ClientSettings, TokenSource,
};
use crate::http::REQUEST_ID_HEADER;

/// A client of one dependency (`inventory`, `catalog`, ...). Clones share the
/// connection pool and the circuit breaker.
#[derive(Clone)]
pub struct ServiceClient {
    inner: Arc<Inner>,
}

struct Inner {
    dependency: &'static str,
    base_url: String,
    /// The service's own token source; `None` for a client that only ever
    /// calls on behalf of its callers ([`ServiceClient::for_callers`]).
    tokens: Option<Arc<TokenSource>>,
    settings: ClientSettings,
    metrics: Arc<ClientMetrics>,
    breaker: Breaker,
    http: reqwest::Client,
}

impl std::fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceClient")
            .field("dependency", &self.inner.dependency)
            .field("base_url", &self.inner.base_url)
            .finish_non_exhaustive()
    }
}

impl ServiceClient {
    pub fn new(
        dependency: &'static str,
        base_url: &str,
        tokens: Arc<TokenSource>,
        settings: ClientSettings,
        metrics: Arc<ClientMetrics>,
    ) -> Self {
        let user_agent = tokens.user_agent().to_owned();
        Self::build(
            dependency,
            base_url,
            Some(tokens),
            &user_agent,
            settings,
            metrics,
        )
    }

    /// A client with no identity of its own: a call carries the caller's
    /// token ([`Call::on_behalf_of`]) or none. The web shop calls the
    /// services this way, as the shopper (docs/architecture.md, "The web shop").
    pub fn for_callers(
        dependency: &'static str,
        base_url: &str,
        user_agent: &str,
        settings: ClientSettings,
        metrics: Arc<ClientMetrics>,
    ) -> Self {
        Self::build(dependency, base_url, None, user_agent, settings, metrics)
    }

    fn build(
        dependency: &'static str,
        base_url: &str,
        tokens: Option<Arc<TokenSource>>,
        user_agent: &str,
        settings: ClientSettings,
        metrics: Arc<ClientMetrics>,
    ) -> Self {
        let breaker = Breaker::new(
            dependency,
            settings.breaker_failure_threshold,
            settings.breaker_open_for,
            metrics.clone(),
        );
        let http = http_client(&settings, user_agent);
        Self {
            inner: Arc::new(Inner {
                dependency,
                base_url: base_url.trim_end_matches('/').to_owned(),
                tokens,
                settings,
                metrics,
                breaker,
                http,
            }),
        }
    }

    pub fn dependency(&self) -> &'static str {
        self.inner.dependency
    }

    pub fn breaker_state(&self) -> BreakerState {
        self.inner.breaker.state()
    }

    /// Builder for one call. `path` starts with '/' and may carry a query.
    pub fn call(&self, method: Method, path: &str) -> Call<'_> {
        let separator = if path.starts_with('/') { "" } else { "/" };
        Call {
            client: &self.inner,
            method,
            url: format!("{}{separator}{path}", self.inner.base_url),
            body: None,
            idempotent: false,
            request_id: None,
            caller_token: None,
            forwarded_for: None,
            headers: Vec::new(),
            timeout: None,
        }
    }
}

/// One call being built; nothing is sent until [`Call::send`].
pub struct Call<'a> {
    client: &'a Inner,
    method: Method,
    url: String,
    body: Option<Result<Bytes, String>>,
    idempotent: bool,
    request_id: Option<HeaderValue>,
    caller_token: Option<String>,
    forwarded_for: Option<HeaderValue>,
    headers: Vec<(HeaderName, HeaderValue)>,
    timeout: Option<Duration>,
}

/// How a call ended without a response for the caller.
enum Ended {
    /// The dependency failed: counts against its breaker.
    Unavailable(String),
    /// No service token: the dependency was not called.
    NoToken(ClientError),
}

impl Call<'_> {
    /// Sends `body` as JSON.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        self.body = Some(
            serde_json::to_vec(body)
                .map(Bytes::from)
                .map_err(|e| e.to_string()),
        );
        self
    }

    /// Marks the call safe to repeat; only such calls are retried.
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Sent as `x-request-id`; an empty (or unsendable) id is not sent.
    pub fn request_id(mut self, id: &str) -> Self {
        self.request_id = (!id.is_empty())
            .then(|| HeaderValue::from_str(id).ok())
            .flatten();
        self
    }

    /// Sends the caller's own access token instead of the service's. A 401
    /// is then the caller's answer, handed over without a retry.
    pub fn on_behalf_of(mut self, access_token: Option<&str>) -> Self {
        self.caller_token = access_token.map(str::to_owned);
        self
    }

    /// Sent as the whole of `X-Forwarded-For`: the address of the client this
    /// call is made for, which the service trusts as one proxy hop.
    pub fn forwarded_for(mut self, client_address: &str) -> Self {
        self.forwarded_for = HeaderValue::from_str(client_address).ok();
        self
    }

    /// One more header (`Idempotency-Key`); a value that cannot be sent is dropped.
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((HeaderName::from_static(name), value));
        }
        self
    }

    /// A limit on each attempt of this call other than the client's: for a
    /// call the service is known to answer slowly (a checkout within its
    /// budget), so it is not cut short and retried while still working.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    pub async fn send(self) -> Result<ClientResponse, ClientError> {
        let span = tracing::info_span!(
            "service_call",
            dependency = self.client.dependency,
            method = %self.method,
            url = %self.url,
        );
        self.run().instrument(span).await
    }

    async fn run(mut self) -> Result<ClientResponse, ClientError> {
        let client = self.client;
        let dependency = client.dependency;
        let body = match self.body.take().transpose() {
            Ok(body) => body,
            Err(detail) => {
                return Err(ClientError::Decode {
                    dependency,
                    detail: format!("the request body could not be encoded as JSON: {detail}"),
                })
            }
        };
        let Some(permit) = client.breaker.admit() else {
            client.metrics.record_fast_failure(dependency);
            return Err(ClientError::CircuitOpen { dependency });
        };
        match self.attempts(body).await {
            Ok(response) => {
                permit.success();
                Ok(response)
            }
            Err(Ended::Unavailable(detail)) => {
                permit.failure();
                tracing::debug!(detail, "call failed");
                Err(ClientError::Unavailable { dependency, detail })
            }
            Err(Ended::NoToken(err)) => Err(err),
        }
    }

    /// Attempts until a response for the caller, or a failure that may not
    /// (or may no longer) be retried. One 401 buys a fresh token and one more try.
    async fn attempts(&self, body: Option<Bytes>) -> Result<ClientResponse, Ended> {
        let client = self.client;
        let (dependency, settings) = (client.dependency, &client.settings);
        let mut retries = 0;
        let mut reauthorised = false;
        loop {
            let token = match (&self.caller_token, &client.tokens) {
                (Some(token), _) => Some(token.clone()),
                (None, Some(tokens)) => Some(tokens.token().await.map_err(|err| {
                    client.metrics.record(dependency, outcome::NO_TOKEN);
                    Ended::NoToken(err)
                })?),
                (None, None) => None,
            };
            let started = Instant::now();
            let result = self.attempt(token.as_deref(), body.clone()).await;
            client
                .metrics
                .observe_latency(dependency, started.elapsed().as_secs_f64());
            // Only the service's own token is refreshed on a 401.
            let service_token = match (&client.tokens, &token) {
                (Some(tokens), Some(token)) if self.caller_token.is_none() => Some((tokens, token)),
                _ => None,
            };
            let (detail, retryable) = match result {
                Ok((StatusCode::UNAUTHORIZED, _)) if !reauthorised && service_token.is_some() => {
                    if let Some((tokens, token)) = service_token {
                        tokens.invalidate_if_current(token);
                    }
                    reauthorised = true;
                    client.metrics.record(dependency, outcome::REAUTH);
                    tracing::debug!("401: retrying once with a fresh service token");
                    continue;
                }
                // A 429 to a client calling for its callers is about the
                // caller (a rate limit per shopper), so it is handed over.
                Ok((status, body))
                    if status.is_server_error()
                        || (status == StatusCode::TOO_MANY_REQUESTS && client.tokens.is_some()) =>
                {
                    let retryable = matches!(status.as_u16(), 429 | 502..=504);
                    (format!("status {status}: {}", snippet(&body)), retryable)
                }
                Ok((status, body)) => {
                    client.metrics.record(dependency, outcome::OK);
                    return Ok(ClientResponse {
                        status,
                        body,
                        dependency,
                    });
                }
                Err(e) if e.is_timeout() => (
                    format!(
                        "timed out after {:?}: {}",
                        self.timeout.unwrap_or(settings.timeout),
                        error_chain(&e)
                    ),
                    true,
                ),
                Err(e) => (error_chain(&e), !e.is_builder()),
            };
            if !(retryable && self.idempotent && retries < settings.max_retries) {
                client.metrics.record(dependency, outcome::ERROR);
                return Err(Ended::Unavailable(detail));
            }
            client.metrics.record(dependency, outcome::RETRY);
            let wait = backoff(settings.backoff_base, retries);
            tracing::debug!(retry = retries + 1, ?wait, detail, "retrying");
            tokio::time::sleep(wait).await;
            retries += 1;
        }
    }

    async fn attempt(
        &self,
        token: Option<&str>,
        body: Option<Bytes>,
    ) -> Result<(StatusCode, Bytes), reqwest::Error> {
        let mut request = self
            .client
            .http
            .request(self.method.clone(), &self.url)
            .header(header::ACCEPT, "application/json");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(address) = &self.forwarded_for {
            request = request.header("x-forwarded-for", address.clone());
        }
        for (name, value) in &self.headers {
            request = request.header(name.clone(), value.clone());
        }
        if let Some(body) = body {
            request = request
                .header(header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        if let Some(id) = &self.request_id {
            request = request.header(REQUEST_ID_HEADER, id.clone());
        }
        if let Some(limit) = self.timeout {
            request = request.timeout(limit);
        }
        let response = request.send().await?;
        let status = response.status();
        Ok((status, response.bytes().await?))
    }
}
