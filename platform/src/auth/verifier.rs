//! Token verification against a JWKS: algorithm pinned to EdDSA, iss/aud/exp
//! checked, keys cached for the JWKS's `Cache-Control: max-age` and refetched
//! then (a key removed at the issuer stops being trusted), and at once for an
//! unknown `kid` (a new key is trusted as soon as it is published).

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, RwLock};

use super::{
    claims::Claims,
    keys::{decoding_keys, Jwks},
};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("the token is invalid: {0}")]
    Invalid(String),
    #[error("the token has expired")]
    Expired,
    #[error("the signing keys could not be fetched")]
    KeysUnavailable(#[source] anyhow::Error),
}

enum KeySource {
    /// The issuer verifies its own tokens with its own keys.
    Static,
    /// Everyone else fetches the issuer's JWKS.
    Remote { url: String, http: reqwest::Client },
}

/// The keys trusted now, and until when.
struct KeySet {
    keys: HashMap<String, DecodingKey>,
    /// When the last successful fetch ended (`None`: never fetched).
    fetched_at: Option<Instant>,
    /// The JWKS's `max-age`: how long these keys may be trusted unfetched.
    max_age: Duration,
}

impl KeySet {
    fn is_stale(&self) -> bool {
        self.fetched_at
            .is_none_or(|at| at.elapsed() >= self.max_age)
    }
}

pub struct TokenVerifier {
    issuer: String,
    audience: String,
    source: KeySource,
    keys: RwLock<KeySet>,
    /// Held by the one caller fetching the JWKS; holds when the last failed
    /// fetch ended.
    fetching: Mutex<Option<Instant>>,
    /// Tokens already verified, by the SHA-256 of their exact bytes, with the
    /// `kid` that signed them, until their `exp` or until that key is gone
    /// from the JWKS: checking an Ed25519 signature is most of what a cheap
    /// request costs (a flash-sale claim), and clients send the same token
    /// for its whole 15 minutes.
    verified: std::sync::Mutex<HashMap<[u8; 32], (String, Claims)>>,
}

/// An unknown `kid` triggers at most one JWKS fetch per this interval after
/// a successful fetch (a burst of forged `kid`s cannot hammer the issuer,
/// and a newly published key is trusted within it).
const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// After a failed fetch, the next may start this much later.
const FAILED_FETCH_RETRY: Duration = Duration::from_secs(1);

/// Keys are refetched after the JWKS's `max-age`, within these bounds (and
/// after the default when the issuer sends none).
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);
const MIN_MAX_AGE: Duration = Duration::from_secs(1);
const MAX_MAX_AGE: Duration = Duration::from_secs(3600);

/// Verified tokens remembered at most (a few hundred bytes each, so about
/// 15 MB when full): more than the buyers of a large flash sale, which
/// take turns with their tokens. A full cache forgets expired tokens, then
/// about half of the rest, never everything at once.
const VERIFIED_CACHE_SIZE: usize = 50_000;

impl TokenVerifier {
    pub fn from_jwks(issuer: &str, audience: &str, jwks: &Jwks) -> Self {
        Self::new(
            issuer,
            audience,
            KeySource::Static,
            KeySet {
                keys: decoding_keys(jwks).into_iter().collect(),
                fetched_at: Some(Instant::now()),
                max_age: Duration::MAX,
            },
        )
    }

    /// `user_agent` names the verifying service on its JWKS fetches.
    pub fn remote(
        issuer: &str,
        audience: &str,
        jwks_url: &str,
        user_agent: &str,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(Duration::from_secs(3))
            .build()?;
        let source = KeySource::Remote {
            url: jwks_url.to_owned(),
            http,
        };
        let keys = KeySet {
            keys: HashMap::new(),
            fetched_at: None,
            max_age: DEFAULT_MAX_AGE,
        };
        Ok(Self::new(issuer, audience, source, keys))
    }

    fn new(issuer: &str, audience: &str, source: KeySource, keys: KeySet) -> Self {
        Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            source,
            keys: RwLock::new(keys),
            fetching: Mutex::new(None),
            verified: std::sync::Mutex::default(),
        }
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        self.refresh_if_stale().await;
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if let Ok(mut verified) = self.verified.lock() {
            match verified.get(&digest) {
                Some((_, claims)) if claims.exp > now => return Ok(claims.clone()),
                Some(_) => {
                    verified.remove(&digest);
                }
                None => {}
            }
        }
        let (kid, claims) = self.verify_signature(token).await?;
        if let Ok(mut verified) = self.verified.lock() {
            if verified.len() >= VERIFIED_CACHE_SIZE {
                verified.retain(|_, (_, c)| c.exp > now);
                if verified.len() >= VERIFIED_CACHE_SIZE {
                    let mut kept = false;
                    verified.retain(|_, _| {
                        kept = !kept;
                        kept
                    });
                }
            }
            verified.insert(digest, (kid, claims.clone()));
        }
        Ok(claims)
    }

    async fn verify_signature(&self, token: &str) -> Result<(String, Claims), AuthError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| AuthError::Invalid(format!("malformed header: {e}")))?;
        if header.alg != Algorithm::EdDSA {
            return Err(AuthError::Invalid(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| AuthError::Invalid("the token names no key (kid)".to_owned()))?;
        // Bound first: a guard in the match scrutinee would live through the refresh.
        let cached = self.keys.read().await.keys.get(&kid).cloned();
        let key = match cached {
            Some(key) => key,
            None => self.refresh_for(&kid).await?,
        };
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map(|data| (kid, data.claims))
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                kind => AuthError::Invalid(format!("{kind:?}")),
            })
    }

    /// Refetches the JWKS once its max-age has passed. A failure keeps the
    /// keys it has (the issuer may be restarting) and is retried soon.
    async fn refresh_if_stale(&self) {
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

    async fn refresh_for(&self, kid: &str) -> Result<DecodingKey, AuthError> {
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

/// Where a service gets the issuer's public keys.
#[derive(Debug, Clone)]
pub enum JwksSource {
    /// `JWKS_URL`, fetched and cached.
    Url(String),
    /// Keys given in code (tests; the issuer itself).
    Static(Jwks),
}

impl TokenVerifier {
    pub fn from_source(
        issuer: &str,
        audience: &str,
        source: &JwksSource,
        user_agent: &str,
    ) -> anyhow::Result<Self> {
        match source {
            JwksSource::Url(url) => Self::remote(issuer, audience, url, user_agent),
            JwksSource::Static(jwks) => Ok(Self::from_jwks(issuer, audience, jwks)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{
        claims::Role,
        keys::{generate_signing_keys_json, SigningKeys},
    };

    fn claims(exp_in: i64) -> Claims {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        Claims {
            iss: "iss".to_owned(),
            aud: "aud".to_owned(),
            sub: "someone".to_owned(),
            exp: now + exp_in,
            iat: now,
            role: Role::Customer,
            email: None,
            name: None,
        }
    }

    #[tokio::test]
    async fn a_verified_token_is_served_from_the_cache_and_a_tampered_one_is_not() {
        let keys = SigningKeys::from_json(&generate_signing_keys_json("k1")).unwrap();
        let verifier = TokenVerifier::from_jwks("iss", "aud", &keys.jwks());
        let token = keys.sign(&claims(600)).unwrap();
        assert_eq!(verifier.verify(&token).await.unwrap().sub, "someone");
        assert_eq!(verifier.verified.lock().unwrap().len(), 1);
        assert_eq!(verifier.verify(&token).await.unwrap().sub, "someone");
        // One character of the signature changed: a different token, checked afresh.
        let mut tampered = token.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(verifier.verify(&tampered).await.is_err());
        assert_eq!(verifier.verified.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_cached_token_past_its_expiry_is_checked_again_and_refused() {
        let keys = SigningKeys::from_json(&generate_signing_keys_json("k1")).unwrap();
        let verifier = TokenVerifier::from_jwks("iss", "aud", &keys.jwks());
        // Expired a minute ago (beyond the 30 s leeway), planted as if cached.
        let token = keys.sign(&claims(-60)).unwrap();
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        verifier
            .verified
            .lock()
            .unwrap()
            .insert(digest, ("k1".to_owned(), claims(-60)));
        assert!(matches!(
            verifier.verify(&token).await,
            Err(AuthError::Expired)
        ));
        assert!(verifier.verified.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_full_cache_forgets_the_expired_first_then_half_the_rest_never_everything() {
        let keys = SigningKeys::from_json(&generate_signing_keys_json("k1")).unwrap();
        let verifier = TokenVerifier::from_jwks("iss", "aud", &keys.jwks());
        let fill = |expired_every: u64| {
            let mut verified = verifier.verified.lock().unwrap();
            let mut n = 0u64;
            while verified.len() < VERIFIED_CACHE_SIZE {
                let mut digest = [0xff; 32];
                digest[..8].copy_from_slice(&n.to_le_bytes());
                let expired = expired_every > 0 && n % expired_every == 0;
                let exp_in = if expired { -60 } else { 600 };
                verified.insert(digest, ("k1".to_owned(), claims(exp_in)));
                n += 1;
            }
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();

        fill(10);
        let first = keys.sign(&claims(600)).unwrap();
        assert_eq!(verifier.verify(&first).await.unwrap().sub, "someone");
        {
            let verified = verifier.verified.lock().unwrap();
            assert_eq!(
                verified.len(),
                VERIFIED_CACHE_SIZE * 9 / 10 + 1,
                "only the expired went"
            );
            assert!(verified.values().all(|(_, c)| c.exp > now));
        }

        fill(0);
        let mut second_claims = claims(600);
        second_claims.sub = "someone else".to_owned();
        let second = keys.sign(&second_claims).unwrap();
        assert_eq!(verifier.verify(&second).await.unwrap().sub, "someone else");
        let len = verifier.verified.lock().unwrap().len();
        assert_eq!(
            len,
            VERIFIED_CACHE_SIZE / 2 + 1,
            "about half stayed, and the new one"
        );
    }
}
