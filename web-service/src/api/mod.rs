//! The five services as the web shop calls them: server-side, through
//! `platform::client` (timeouts, retries, breaker, request id), with the
//! shopper's own access token and address (docs/architecture.md, "The web shop").

pub mod admin;
pub mod calls;
pub mod types;

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use moka::future::Cache;

use http::Method;
use platform::client::{Call, ClientError, ClientMetrics, ClientSettings, ServiceClient};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::config::Upstreams;

#[derive(Clone)]
pub struct Api {
    pub registration: ServiceClient,
    pub campaign: ServiceClient,
    pub catalog: ServiceClient,
    pub inventory: ServiceClient,
    pub order: ServiceClient,
    /// Public reads (see [`Api::public`]), by service and path.
    public: Cache<String, Bytes>,
}

/// How long a public read is reused: a shop under load asks each service
/// once a second for its home page and each product, not once a page.
pub const PUBLIC_READ_TTL: Duration = Duration::from_secs(1);

/// Who a call is made for: the shopper's token (none for a guest), address
/// and the request id of the page being rendered.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub token: Option<String>,
    pub address: String,
    pub request_id: String,
}

/// Why a call gave no answer the page can use.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The service is down, failing or its answer unreadable: the page
    /// degrades the part it fed ("search is unavailable right now").
    #[error("{0} is unavailable")]
    Down(&'static str),
    /// The service refused, with its problem+json.
    #[error("refused with {}: {}", .0.status, .0.title)]
    Refused(Problem),
}

impl Failure {
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Refused(p) => Some(p.status),
            Self::Down(_) => None,
        }
    }
}

/// A problem+json answer, as the pages show it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Problem {
    #[serde(default)]
    pub status: u16,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default)]
    pub errors: Vec<FieldError>,
    #[serde(default, rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl Problem {
    /// The message for `field`, when the service named it.
    pub fn field(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// What to tell the shopper: the detail, or the title.
    pub fn message(&self) -> &str {
        self.detail.as_deref().unwrap_or(&self.title)
    }
}

impl Api {
    pub fn new(
        upstreams: &Upstreams,
        user_agent: &str,
        settings: ClientSettings,
        metrics: &Arc<ClientMetrics>,
    ) -> Self {
        let client = |dependency: &'static str, url: &str| {
            ServiceClient::for_callers(dependency, url, user_agent, settings, metrics.clone())
        };
        Self {
            registration: client("registration", &upstreams.registration),
            campaign: client("campaign", &upstreams.campaign),
            catalog: client("catalog", &upstreams.catalog),
            inventory: client("inventory", &upstreams.inventory),
            order: client("order", &upstreams.order),
            public: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(PUBLIC_READ_TTL)
                .build(),
        }
    }
}

/// One call: the body (if any) as JSON, an idempotency key (if any); a 2xx
/// decoded as `T`, anything else a [`Failure`].
async fn send<T: DeserializeOwned>(
    client: &ServiceClient,
    ctx: &Ctx,
    method: Method,
    path: &str,
    body: Option<&(impl Serialize + ?Sized)>,
    idempotency_key: Option<&str>,
) -> Result<T, Failure> {
    finish(
        client,
        prepare(client, ctx, method, path, body, idempotency_key),
    )
    .await
}

/// The call [`send`] makes, for a caller that adds to it.
fn prepare<'a>(
    client: &'a ServiceClient,
    ctx: &Ctx,
    method: Method,
    path: &str,
    body: Option<&(impl Serialize + ?Sized)>,
    idempotency_key: Option<&str>,
) -> Call<'a> {
    let safe = method == Method::GET;
    let mut call = client
        .call(method, path)
        .on_behalf_of(ctx.token.as_deref())
        .forwarded_for(&ctx.address)
        .request_id(&ctx.request_id);
    if safe {
        call = call.idempotent();
    }
    if let Some(body) = body {
        call = call.json(body);
    }
    if let Some(key) = idempotency_key {
        call = call.header("idempotency-key", key).idempotent();
    }
    call
}

/// Sends `call`: a 2xx decoded as `T`, anything else a [`Failure`].
async fn finish<T: DeserializeOwned>(client: &ServiceClient, call: Call<'_>) -> Result<T, Failure> {
    let body = fetch(call).await?;
    decode(client, &body)
}

/// A 2xx answer as JSON; a 204's empty body reads as JSON null.
fn decode<T: DeserializeOwned>(client: &ServiceClient, body: &[u8]) -> Result<T, Failure> {
    let body = if body.is_empty() {
        b"null".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        tracing::warn!(dependency = client.dependency(), error = %e, "a service's answer could not be read");
        Failure::Down(client.dependency())
    })
}

/// Sends `call`: a 2xx's body, anything else a [`Failure`].
async fn fetch(call: Call<'_>) -> Result<Bytes, Failure> {
    let response = call.send().await.map_err(|e| down(&e))?;
    if response.is_success() {
        return Ok(response.body);
    }
    let mut problem: Problem = serde_json::from_slice(&response.body).unwrap_or_default();
    problem.status = response.status.as_u16();
    if problem.title.is_empty() {
        problem.title = response
            .status
            .canonical_reason()
            .unwrap_or("Refused")
            .to_owned();
    }
    Err(Failure::Refused(problem))
}

impl Api {
    /// A read every visitor gets the same answer to (the catalog, running
    /// campaigns, flash sales, stock), made anonymously and reused for
    /// [`PUBLIC_READ_TTL`]. Concurrent misses of one path wait for one call;
    /// failures are not kept.
    async fn public<T: DeserializeOwned>(
        &self,
        client: &ServiceClient,
        ctx: &Ctx,
        path: &str,
    ) -> Result<T, Failure> {
        let anonymous = Ctx {
            token: None,
            ..ctx.clone()
        };
        let key = format!("{}{path}", client.dependency());
        let body = self
            .public
            .try_get_with(key, async {
                fetch(prepare(
                    client,
                    &anonymous,
                    Method::GET,
                    path,
                    calls::NO_BODY,
                    None,
                ))
                .await
            })
            .await
            .map_err(|shared| match &*shared {
                Failure::Down(dependency) => Failure::Down(dependency),
                Failure::Refused(problem) => Failure::Refused(problem.clone()),
            })?;
        decode(client, &body)
    }
}

fn down(err: &ClientError) -> Failure {
    tracing::warn!(error = %err, "a service the page needs did not answer");
    Failure::Down(err.dependency())
}
