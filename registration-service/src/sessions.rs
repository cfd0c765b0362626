//! Refresh tokens (docs/services.md, "registration-service"), after the
//! OAuth 2.0 Security BCP (RFC 9700, 4.14): a password sign-in starts a
//! family; every use of a refresh token rotates it (the old one is spent, a
//! new one is issued in the same family), so a shopper stays signed in for
//! `ttl` of activity while access tokens stay short. Presenting a token that
//! was already rotated means two parties hold it, so the whole family is
//! revoked; logging out revokes it too. Only the SHA-256 of a token is
//! stored: a copy of the table signs nobody in.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::{rngs::OsRng, RngCore};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::repo::refresh_tokens;

/// Why a refresh token was not exchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No such token (never issued, or deleted after it expired).
    Unknown,
    Expired,
    /// Its family was revoked (logout, or a reuse found earlier).
    Revoked,
    /// It was already rotated: its family is revoked now.
    Reused,
}

/// A new refresh token and the customer it signs in.
#[derive(Debug)]
pub struct Rotated {
    pub customer_id: Uuid,
    pub token: String,
}

/// A fresh token (256 random bits, base64url) and its hash.
fn new_token() -> (String, [u8; 32]) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&token);
    (token, hash)
}

pub fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Starts a family for a sign-in; returns its first token.
pub async fn start(
    pool: &PgPool,
    customer_id: Uuid,
    ttl: std::time::Duration,
) -> Result<String, sqlx::Error> {
    let (token, hash) = new_token();
    let mut conn = pool.acquire().await?;
    let expires_at = OffsetDateTime::now_utc() + ttl;
    refresh_tokens::insert(&mut conn, Uuid::now_v7(), customer_id, &hash, expires_at).await?;
    Ok(token)
}

/// Spends `token` for a new one of the same family, or says why not. A
/// reuse revokes the family before it answers.
pub async fn rotate(
    pool: &PgPool,
    token: &str,
    ttl: std::time::Duration,
) -> Result<Result<Rotated, Refused>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(row) = refresh_tokens::find_for_update(&mut tx, &hash(token)).await? else {
        return Ok(Err(Refused::Unknown));
    };
    let now = OffsetDateTime::now_utc();
    if row.revoked_at.is_some() {
        return Ok(Err(Refused::Revoked));
    }
    if row.rotated_at.is_some() {
        let revoked = refresh_tokens::revoke_family(&mut tx, row.family_id).await?;
        tx.commit().await?;
        tracing::warn!(
            family_id = %row.family_id,
            customer_id = %row.customer_id,
            revoked,
            "a rotated refresh token was used again; its family is revoked"
        );
        return Ok(Err(Refused::Reused));
    }
    if row.expires_at <= now {
        return Ok(Err(Refused::Expired));
    }
    refresh_tokens::mark_rotated(&mut tx, row.id).await?;
    let (next, next_hash) = new_token();
    refresh_tokens::insert(
        &mut tx,
        row.family_id,
        row.customer_id,
        &next_hash,
        now + ttl,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(Rotated {
        customer_id: row.customer_id,
        token: next,
    }))
}

/// Revokes the family of `token`; false when there is no such token.
pub async fn revoke(pool: &PgPool, token: &str) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(row) = refresh_tokens::find_for_update(&mut tx, &hash(token)).await? else {
        return Ok(false);
    };
    refresh_tokens::revoke_family(&mut tx, row.family_id).await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_is_256_random_bits_in_base64url_and_hashes_to_its_hash() {
        let (a, a_hash) = new_token();
        let (b, _) = new_token();
        assert_eq!(a.len(), 43);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(a, b);
        assert_eq!(hash(&a), a_hash);
    }
}
