//! The JSON HTTP client the demo loader talks to the services with, and the
//! replies it gets back.

use std::time::Duration;

use anyhow::{bail, Context};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// A JSON HTTP client with the admin's token.
pub(super) struct Api {
    http: reqwest::Client,
    token: Option<String>,
}

pub(super) struct Reply {
    method: Method,
    url: String,
    pub(super) status: StatusCode,
    pub(super) body: Value,
}

impl Reply {
    pub(super) fn expect(self, ok: &[StatusCode], what: &str) -> anyhow::Result<Self> {
        if ok.contains(&self.status) {
            Ok(self)
        } else {
            bail!(self.failure(what))
        }
    }

    pub(super) fn failure(&self, what: &str) -> String {
        let detail = self.body["detail"]
            .as_str()
            .or_else(|| self.body["title"].as_str())
            .map_or_else(|| self.body.to_string(), str::to_owned);
        let errors = match self.body.get("errors") {
            Some(errors) => format!(" {errors}"),
            None => String::new(),
        };
        format!(
            "{what}: {} {} answered {}: {detail}{errors}",
            self.method, self.url, self.status
        )
    }

    pub(super) fn string(&self, field: &str) -> anyhow::Result<String> {
        self.body[field]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("{} {} answered without `{field}`", self.method, self.url))
    }

    pub(super) fn items(&self) -> &[Value] {
        self.body["items"].as_array().map_or(&[], Vec::as_slice)
    }
}

impl Api {
    pub(super) fn new() -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .context("building the HTTP client")?;
        Ok(Self { http, token: None })
    }

    pub(super) async fn log_in(
        &mut self,
        registration: &str,
        email: &str,
        password: &str,
    ) -> anyhow::Result<()> {
        let body = json!({"grant_type": "password", "email": email, "password": password});
        let reply = self
            .send(
                Method::POST,
                &format!("{registration}/auth/token"),
                Some(&body),
            )
            .await?
            .expect(&[StatusCode::OK], "logging in as the admin")?;
        self.token = Some(reply.string("access_token")?);
        Ok(())
    }

    pub(super) async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Reply> {
        let mut request = self.http.request(method.clone(), url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.with_context(|| {
            format!(
                "{method} {url} failed; is the platform running \
                 (`cargo xtask dev`, or `docker compose -f docker/compose.yaml up`)?"
            )
        })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .with_context(|| format!("reading the answer to {method} {url}"))?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok(Reply {
            method,
            url: url.to_owned(),
            status,
            body,
        })
    }

    /// Every item of a paginated list (`{items, next_cursor}`); `url` has a query already.
    pub(super) async fn all_pages(&self, url: &str) -> anyhow::Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page_url = match &cursor {
                Some(c) => format!("{url}&cursor={}", query_escape(c)),
                None => url.to_owned(),
            };
            let reply = self
                .send(Method::GET, &page_url, None)
                .await?
                .expect(&[StatusCode::OK], "listing")?;
            items.extend(reply.items().iter().cloned());
            match reply.body["next_cursor"].as_str() {
                Some(next) if !next.is_empty() => cursor = Some(next.to_owned()),
                _ => return Ok(items),
            }
        }
    }
}

/// Percent-encodes everything but the unreserved characters (RFC 3986).
pub(super) fn query_escape(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_escaped() {
        assert_eq!(
            query_escape("\"Ceramic Mug 350 ml\""),
            "%22Ceramic%20Mug%20350%20ml%22"
        );
        assert_eq!(query_escape("a+b/c=="), "a%2Bb%2Fc%3D%3D");
    }
}
