//! Token verification against a JWKS: algorithm pinned to EdDSA, iss/aud/exp
//! checked, keys cached and refreshed when an unknown `kid` shows up.

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

pub struct TokenVerifier {
    issuer: String,
    audience: String,
    source: KeySource,
    keys: RwLock<HashMap<String, DecodingKey>>,
    last_fetch: Mutex<Option<Instant>>,
    /// Tokens already verified, by the SHA-256 of their exact bytes, until
    /// their `exp`: checking an Ed25519 signature is most of what a cheap
    /// request costs (a flash-sale claim), and clients send the same token
    /// for its whole 15 minutes.
    verified: std::sync::Mutex<HashMap<[u8; 32], Claims>>,
}

/// An unknown `kid` triggers at most one JWKS fetch per this interval.
const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(10);

/// Verified tokens remembered at most (a few hundred bytes each, so about
/// 15 MB when full): more than the buyers of a large flash sale, which
/// take turns with their tokens. A full cache forgets expired tokens, then
/// about half of the rest, never everything at once.
const VERIFIED_CACHE_SIZE: usize = 50_000;

impl TokenVerifier {
    pub fn from_jwks(issuer: &str, audience: &str, jwks: &Jwks) -> Self {
        Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            source: KeySource::Static,
            keys: RwLock::new(decoding_keys(jwks).into_iter().collect()),
            last_fetch: Mutex::new(None),
            verified: std::sync::Mutex::default(),
        }
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
        Ok(Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            source: KeySource::Remote {
                url: jwks_url.to_owned(),
                http,
            },
            keys: RwLock::new(HashMap::new()),
            last_fetch: Mutex::new(None),
            verified: std::sync::Mutex::default(),
        })
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if let Ok(mut verified) = self.verified.lock() {
            match verified.get(&digest) {
                Some(claims) if claims.exp > now => return Ok(claims.clone()),
                Some(_) => {
                    verified.remove(&digest);
                }
                None => {}
            }
        }
        let claims = self.verify_signature(token).await?;
        if let Ok(mut verified) = self.verified.lock() {
            if verified.len() >= VERIFIED_CACHE_SIZE {
                verified.retain(|_, c| c.exp > now);
                if verified.len() >= VERIFIED_CACHE_SIZE {
                    let mut kept = false;
                    verified.retain(|_, _| {
                        kept = !kept;
                        kept
                    });
                }
            }
            verified.insert(digest, claims.clone());
        }
        Ok(claims)
    }

    async fn verify_signature(&self, token: &str) -> Result<Claims, AuthError> {
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
        let cached = self.keys.read().await.get(&kid).cloned();
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
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                kind => AuthError::Invalid(format!("{kind:?}")),
            })
    }

    async fn refresh_for(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        let unknown = || AuthError::Invalid("the token was signed by an unknown key".to_owned());
        let KeySource::Remote { url, http } = &self.source else {
            return Err(unknown());
        };
        let mut last = self.last_fetch.lock().await;
        // Someone else may have fetched while we waited for the lock.
        if let Some(key) = self.keys.read().await.get(kid) {
            return Ok(key.clone());
        }
        if last.is_some_and(|at| at.elapsed() < MIN_REFRESH_INTERVAL) {
            return Err(unknown());
        }
        *last = Some(Instant::now());
        let jwks: Jwks = async { http.get(url).send().await?.error_for_status()?.json().await }
            .await
            .map_err(|e| AuthError::KeysUnavailable(anyhow::Error::new(e)))?;
        let fresh: HashMap<String, DecodingKey> = decoding_keys(&jwks).into_iter().collect();
        let found = fresh.get(kid).cloned();
        *self.keys.write().await = fresh;
        found.ok_or_else(unknown)
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
            .insert(digest, claims(-60));
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
                verified.insert(digest, claims(if expired { -60 } else { 600 }));
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
            assert!(verified.values().all(|c| c.exp > now));
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
