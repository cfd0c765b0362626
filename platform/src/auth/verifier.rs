//! Token verification against a JWKS: algorithm pinned to EdDSA, iss/aud/exp
//! checked, keys cached for the JWKS's `Cache-Control: max-age` and refetched
//! then (a key removed at the issuer stops being trusted), and at once for an
//! unknown `kid` (a new key is trusted as soon as it is published).

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use jsonwebtoken::{Algorithm, Validation};
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, RwLock};

use super::{
    claims::Claims,
    keys::{decoding_keys, Jwks},
};

mod key_set;
#[cfg(test)]
mod tests;

use key_set::{KeySet, KeySource, DEFAULT_MAX_AGE};

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
