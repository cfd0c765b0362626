//! The service token from registration-service's client-credentials grant,
//! cached until shortly before it expires and fetched once for many callers.

use std::{
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{
    transport::{backoff, error_chain, http_client},
    ClientError, ClientSettings,
};

/// The dependency named in errors when no token can be had.
const ISSUER: &str = "registration";

/// A token is refreshed this long before it expires, or at half its lifetime
/// when that comes sooner.
const REFRESH_MARGIN: Duration = Duration::from_secs(30);

pub struct TokenSource {
    url: String,
    client_id: String,
    client_secret: SecretString,
    settings: ClientSettings,
    user_agent: String,
    http: reqwest::Client,
    cache: Mutex<Cache>,
    /// Held by the one caller fetching; the others wait and share its result.
    in_flight: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Cache {
    token: Option<(String, Instant)>,
    /// The last failed fetch and when it ended, for callers that waited on it.
    failure: Option<(Instant, String)>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: i64,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// `registration_url` is the base URL (`REGISTRATION_URL`); the token
    /// endpoint is `/auth/token` below it. `user_agent` names the calling
    /// service (`CommonSettings::user_agent`) on every request it and the
    /// clients using its tokens send.
    pub fn new(
        registration_url: &str,
        client_id: String,
        client_secret: SecretString,
        settings: ClientSettings,
        user_agent: &str,
    ) -> Self {
        Self {
            url: format!("{}/auth/token", registration_url.trim_end_matches('/')),
            client_id,
            client_secret,
            settings,
            user_agent: user_agent.to_owned(),
            http: http_client(&settings, user_agent),
            cache: Mutex::new(Cache::default()),
            in_flight: tokio::sync::Mutex::new(()),
        }
    }

    /// What the calling service calls itself.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// A valid service token, from the cache or fetched (once for all the
    /// callers asking at the same time, who share its result, failure included).
    pub async fn token(&self) -> Result<String, ClientError> {
        let asked_at = Instant::now();
        if let Some(token) = self.cached() {
            return Ok(token);
        }
        let _flight = self.in_flight.lock().await;
        if let Some(token) = self.cached() {
            return Ok(token);
        }
        if let Some(detail) = self.failure_since(asked_at) {
            return Err(unavailable(detail));
        }
        let fetched_at = Instant::now();
        let result = self.fetch().await;
        let mut cache = self.lock();
        match result {
            Ok(response) => {
                let lifetime = Duration::from_secs(response.expires_in.max(0).unsigned_abs());
                cache.token = Some((
                    response.access_token.clone(),
                    fetched_at + refresh_after(lifetime),
                ));
                cache.failure = None;
                Ok(response.access_token)
            }
            Err(detail) => {
                tracing::warn!(client_id = %self.client_id, detail, "fetching the service token failed");
                cache.failure = Some((Instant::now(), detail.clone()));
                Err(unavailable(detail))
            }
        }
    }

    /// Forgets the cached token (a dependency answered 401), so the next call
    /// fetches a fresh one.
    pub fn invalidate(&self) {
        self.lock().token = None;
    }

    /// Forgets the cached token only if it is still `token`: when many calls
    /// get a 401 for the same token, one fresh token serves them all.
    pub(super) fn invalidate_if_current(&self, token: &str) {
        let mut cache = self.lock();
        if cache.token.as_ref().is_some_and(|(t, _)| t == token) {
            cache.token = None;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn cached(&self) -> Option<String> {
        let cache = self.lock();
        let (token, refresh_at) = cache.token.as_ref()?;
        (Instant::now() < *refresh_at).then(|| token.clone())
    }

    fn failure_since(&self, asked_at: Instant) -> Option<String> {
        let cache = self.lock();
        let (at, detail) = cache.failure.as_ref()?;
        (*at >= asked_at).then(|| detail.clone())
    }

    /// Retries transport errors and 502/503/504; a refusal (401, 429, ...) is final.
    async fn fetch(&self) -> Result<TokenResponse, String> {
        let body = serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret.expose_secret(),
        });
        let mut attempt = 0;
        loop {
            let result = async {
                let response = self.http.post(&self.url).json(&body).send().await?;
                let status = response.status();
                response.bytes().await.map(|body| (status, body))
            }
            .await;
            let transient = match result {
                Ok((status, body)) if status.is_success() => {
                    return serde_json::from_slice(&body)
                        .map_err(|e| format!("the token response could not be decoded: {e}"));
                }
                Ok((status, _))
                    if matches!(status.as_u16(), 502..=504)
                        && attempt < self.settings.max_retries =>
                {
                    format!("status {status}")
                }
                Ok((status, body)) => {
                    return Err(format!(
                        "the token endpoint answered {status}: {}",
                        String::from_utf8_lossy(&body)
                    ))
                }
                Err(e) if attempt < self.settings.max_retries => error_chain(&e),
                Err(e) => return Err(error_chain(&e)),
            };
            tracing::debug!(
                attempt,
                detail = transient,
                "retrying the service token fetch"
            );
            tokio::time::sleep(backoff(self.settings.backoff_base, attempt)).await;
            attempt += 1;
        }
    }
}

fn unavailable(detail: String) -> ClientError {
    ClientError::Unavailable {
        dependency: ISSUER,
        detail,
    }
}

/// How long a token with this lifetime is used before a new one is fetched.
fn refresh_after(lifetime: Duration) -> Duration {
    lifetime - REFRESH_MARGIN.min(lifetime / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_used_until_30_seconds_before_it_expires_or_half_its_life() {
        let cases = [(900, 870_000), (60, 30_000), (40, 20_000), (1, 500), (0, 0)];
        for (lifetime_secs, used_for_ms) in cases {
            assert_eq!(
                refresh_after(Duration::from_secs(lifetime_secs)),
                Duration::from_millis(used_for_ms),
                "a token living {lifetime_secs} s"
            );
        }
    }
}
