//! The keys a verifier trusts: where they come from (its own, or the
//! issuer's JWKS), how long they are trusted, and refetching the JWKS when
//! they go stale or a token names an unknown `kid`.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use jsonwebtoken::DecodingKey;

use super::{AuthError, TokenVerifier};
use crate::auth::keys::{decoding_keys, Jwks};

pub(super) enum KeySource {
    /// The issuer verifies its own tokens with its own keys.
    Static,
    /// Everyone else fetches the issuer's JWKS.
    Remote { url: String, http: reqwest::Client },
}

/// The keys trusted now, and until when.
pub(super) struct KeySet {
    pub(super) keys: HashMap<String, DecodingKey>,
    /// When the last successful fetch ended (`None`: never fetched).
    pub(super) fetched_at: Option<Instant>,
    /// The JWKS's `max-age`: how long these keys may be trusted unfetched.
    pub(super) max_age: Duration,
}

impl KeySet {
    fn is_stale(&self) -> bool {
        self.fetched_at
            .is_none_or(|at| at.elapsed() >= self.max_age)
    }
}

/// An unknown `kid` triggers at most one JWKS fetch per this interval after
/// a successful fetch (a burst of forged `kid`s cannot hammer the issuer,
/// and a newly published key is trusted within it).
const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// After a failed fetch, the next may start this much later.
const FAILED_FETCH_RETRY: Duration = Duration::from_secs(1);

/// Keys are refetched after the JWKS's `max-age`, within these bounds (and
/// after the default when the issuer sends none).
pub(super) const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);
const MIN_MAX_AGE: Duration = Duration::from_secs(1);
const MAX_MAX_AGE: Duration = Duration::from_secs(3600);

impl TokenVerifier {
    /// Refetches the JWKS once its max-age has passed. A failure keeps the
    /// keys it has (the issuer may be restarting) and is retried soon.
    pub(super) async fn refresh_if_stale(&self) {
        if !matches!(self.source, KeySource::Remote { .. }) || !self.keys.read().await.is_stale() {
            return;
        }
        let mut last_failure = self.fetching.lock().await;
        // Someone else may have fetched while we waited for the lock.
        if !self.keys.read().await.is_stale()
            || last_failure.is_some_and(|at| at.elapsed() < FAILED_FETCH_RETRY)
        {
            return;
        }
        if let Err(err) = self.fetch(&mut last_failure).await {
            tracing::warn!(error = %err, "refreshing the JWKS failed; keeping the keys it had");
        }
    }

    pub(super) async fn refresh_for(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        let unknown = || AuthError::Invalid("the token was signed by an unknown key".to_owned());
        if !matches!(self.source, KeySource::Remote { .. }) {
            return Err(unknown());
        }
        let mut last_failure = self.fetching.lock().await;
        {
            let keys = self.keys.read().await;
            // Someone else may have fetched while we waited for the lock.
            if let Some(key) = keys.keys.get(kid) {
                return Ok(key.clone());
            }
            if keys
                .fetched_at
                .is_some_and(|at| at.elapsed() < MIN_REFRESH_INTERVAL)
            {
                return Err(unknown());
            }
        }
        if last_failure.is_some_and(|at| at.elapsed() < FAILED_FETCH_RETRY) {
            return Err(AuthError::KeysUnavailable(anyhow::anyhow!(
                "the last JWKS fetch failed moments ago"
            )));
        }
        self.fetch(&mut last_failure).await?;
        self.keys
            .read()
            .await
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(unknown)
    }

    /// Fetches the JWKS and replaces the key set with it; tokens verified
    /// with a key that is gone are forgotten. Only a success counts as a
    /// fetch; a failure is recorded in `last_failure`.
    async fn fetch(&self, last_failure: &mut Option<Instant>) -> Result<(), AuthError> {
        let KeySource::Remote { url, http } = &self.source else {
            return Ok(());
        };
        let fetched = async {
            let response = http.get(url).send().await?.error_for_status()?;
            let max_age = max_age(response.headers());
            let jwks: Jwks = response.json().await?;
            Ok::<_, reqwest::Error>((jwks, max_age))
        }
        .await;
        let (jwks, max_age) = match fetched {
            Ok(fetched) => fetched,
            Err(err) => {
                *last_failure = Some(Instant::now());
                return Err(AuthError::KeysUnavailable(anyhow::Error::new(err)));
            }
        };
        *last_failure = None;
        let keys: HashMap<String, DecodingKey> = decoding_keys(&jwks).into_iter().collect();
        if let Ok(mut verified) = self.verified.lock() {
            verified.retain(|_, (kid, _)| keys.contains_key(kid));
        }
        *self.keys.write().await = KeySet {
            keys,
            fetched_at: Some(Instant::now()),
            max_age,
        };
        Ok(())
    }
}

/// `Cache-Control: max-age=N` of a JWKS response, bounded.
fn max_age(headers: &http::HeaderMap) -> Duration {
    headers
        .get_all(http::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|directive| {
            directive
                .trim()
                .strip_prefix("max-age=")?
                .parse::<u64>()
                .ok()
        })
        .map_or(DEFAULT_MAX_AGE, |secs| {
            Duration::from_secs(secs).clamp(MIN_MAX_AGE, MAX_MAX_AGE)
        })
}
