//! Setting up a scenario through the services' own APIs, and the tokens to do
//! it with: minted with the run's signing key, so thousands of customers cost
//! no password hash and no login.

use std::time::Duration;

use anyhow::{bail, Context};
use futures::{stream, StreamExt, TryStreamExt};
use platform::auth::{Claims, Role, SigningKeys};
use serde_json::Value;
use uuid::Uuid;

use crate::env::RunEnv;

/// Tokens outlive any run: an hour.
const TOKEN_LIFE_SECS: i64 = 3600;

pub struct Minter {
    keys: SigningKeys,
    issuer: String,
    audience: String,
    now: i64,
}

/// A customer the run made up: an id, an address of its own and a token.
#[derive(Debug, Clone)]
pub struct Customer {
    pub id: Uuid,
    pub email: String,
    pub token: String,
}

impl Minter {
    pub fn new(env: &RunEnv) -> anyhow::Result<Self> {
        Ok(Self {
            keys: SigningKeys::from_json(&env.signing_keys).context("the run's signing keys")?,
            issuer: env.jwt_issuer.clone(),
            audience: env.jwt_audience.clone(),
            now: time::OffsetDateTime::now_utc().unix_timestamp(),
        })
    }

    fn sign(
        &self,
        role: Role,
        sub: String,
        email: Option<String>,
        name: Option<String>,
    ) -> anyhow::Result<String> {
        self.keys.sign(&Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub,
            exp: self.now + TOKEN_LIFE_SECS,
            iat: self.now,
            role,
            email,
            name,
        })
    }

    pub fn admin(&self) -> anyhow::Result<String> {
        self.sign(
            Role::Admin,
            Uuid::new_v4().to_string(),
            Some("bench-admin@storefront.test".to_owned()),
            Some("Bench Admin".to_owned()),
        )
    }

    /// `count` customers with addresses `<label>-<run>-<i>@bench.storefront.test`.
    pub fn customers(&self, label: &str, run: &str, count: usize) -> anyhow::Result<Vec<Customer>> {
        (0..count)
            .map(|i| {
                let id = Uuid::new_v4();
                let email = format!("{label}-{run}-{i}@bench.storefront.test");
                let token = self.sign(
                    Role::Customer,
                    id.to_string(),
                    Some(email.clone()),
                    Some(format!("Bench Customer {i}")),
                )?;
                Ok(Customer { id, email, token })
            })
            .collect()
    }
}

/// A JSON client for setup calls (not for the measured load).
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
}

impl Api {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
        })
    }

    /// Sends `body` (or nothing) and returns the status and the JSON answer (`Null` if none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut request = self.http.request(method.clone(), url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {url}"))?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((status, json))
    }

    /// Like [`Api::call`], failing unless the status is `expected`.
    pub async fn expect(
        &self,
        expected: u16,
        method: reqwest::Method,
        url: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let (status, json) = self.call(method.clone(), url, token, body).await?;
        if status != expected {
            bail!("{method} {url} answered {status}, expected {expected}: {json}");
        }
        Ok(json)
    }

    pub async fn get_text(&self, url: &str) -> anyhow::Result<String> {
        Ok(self
            .http
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?)
    }
}

/// Runs `f` over `items`, `concurrency` at a time, stopping at the first error.
pub async fn for_each_concurrent<T, F, Fut, R>(
    items: Vec<T>,
    concurrency: usize,
    f: F,
) -> anyhow::Result<Vec<R>>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<R>>,
{
    stream::iter(items.into_iter().map(f))
        .buffered(concurrency)
        .try_collect()
        .await
}
