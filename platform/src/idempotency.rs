//! `Idempotency-Key` (IETF httpapi draft semantics, docs/architecture.md, "Errors and
//! input"): the first final response to a key is stored and replayed byte for
//! byte; the same key with another payload is a 422; the same key while the
//! first request still runs is a 409; a request that was answered with 202 is
//! not final, and a replay shows the resource's current state.
//!
//! The table is `platform/sql/idempotency_keys.sql`, linked into the
//! migrations of each service that takes the header.

use std::time::Duration;

use axum::http::{request::Parts, StatusCode};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::ApiError;

/// The canonical SQL each service taking `Idempotency-Key` links into its migrations.
pub const CANONICAL_SQL: &str = include_str!("../sql/idempotency_keys.sql");

pub const HEADER: &str = "idempotency-key";

/// How long keys are kept (docs/architecture.md: deleted after 24 h).
pub const RETENTION: Duration = Duration::from_secs(24 * 3600);

/// The request's `Idempotency-Key`: 1 to 255 visible ASCII characters.
/// Missing or malformed → 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let value = parts.headers.get(HEADER).ok_or_else(|| {
            ApiError::BadRequest("the Idempotency-Key header is required".to_owned())
        })?;
        parse_key(value.as_bytes()).map(Self)
    }
}

fn parse_key(raw: &[u8]) -> Result<String, ApiError> {
    let bad = || {
        ApiError::BadRequest(
            "the Idempotency-Key header must be 1 to 255 visible ASCII characters".to_owned(),
        )
    };
    let text = std::str::from_utf8(raw).map_err(|_| bad())?;
    // Structured-field strings arrive quoted ("abc"); plain tokens are accepted too.
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    let visible = text.bytes().all(|b| b.is_ascii_graphic());
    if text.is_empty() || text.len() > 255 || !visible {
        return Err(bad());
    }
    Ok(text.to_owned())
}

/// SHA-256 of the canonical JSON of a request (object keys sorted), so the
/// same payload with other whitespace or key order counts as the same.
pub fn request_hash(method_and_path: &str, body: &serde_json::Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method_and_path.as_bytes());
    hasher.update([0]);
    hasher.update(serde_json::to_vec(&sorted(body)).unwrap_or_default());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `value` with every object's keys in sorted order, whether or not
/// serde_json keeps insertion order in this build.
fn sorted(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<_> = map.keys().collect();
            keys.sort();
            serde_json::Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&map[k])))
                    .collect(),
            )
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(sorted).collect())
        }
        other => other.clone(),
    }
}

/// What a key was found to be when a request tried to claim it.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key is ours now: run the request.
    Claimed,
    /// The first request's final response, to replay byte for byte.
    Replay { status: StatusCode, body: Vec<u8> },
    /// The first request was answered 202: show `resource_id`'s current state.
    Deferred { resource_id: Uuid },
    /// The first request is still running.
    InProgress,
    /// The key was used with another payload.
    Mismatch,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    request_hash: String,
    state: String,
    resource_id: Option<Uuid>,
    response_status: Option<i32>,
    response_body: Option<Vec<u8>>,
}

/// Claims `key` for `scope`. A `running` claim whose `locked_until` has
/// passed (its process died) is taken over. `lock_for` must outlast the
/// request (the request timeout).
pub async fn claim(
    pool: &PgPool,
    scope: &str,
    key: &str,
    hash: &str,
    lock_for: Duration,
) -> Result<Claim, sqlx::Error> {
    let lock_secs = lock_for.as_secs_f64();
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (scope, key, request_hash, state, locked_until)
         VALUES ($1, $2, $3, 'running', now() + make_interval(secs => $4))
         ON CONFLICT (scope, key) DO NOTHING",
    )
    .bind(scope)
    .bind(key)
    .bind(hash)
    .bind(lock_secs)
    .execute(pool)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::Claimed);
    }
    let row: Option<KeyRow> = sqlx::query_as(
        "SELECT request_hash, state, resource_id, response_status, response_body
         FROM idempotency_keys WHERE scope = $1 AND key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        // Deleted between the two statements (clean-up): try once more.
        return Box::pin(claim(pool, scope, key, hash, lock_for)).await;
    };
    if row.request_hash != hash {
        return Ok(Claim::Mismatch);
    }
    match (row.state.as_str(), row.resource_id) {
        ("done", _) => Ok(Claim::Replay {
            status: row
                .response_status
                .and_then(|s| StatusCode::from_u16(s as u16).ok())
                .unwrap_or(StatusCode::OK),
            body: row.response_body.unwrap_or_default(),
        }),
        ("deferred", Some(resource_id)) => Ok(Claim::Deferred { resource_id }),
        _ => {
            let taken_over = sqlx::query(
                "UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => $3)
                 WHERE scope = $1 AND key = $2 AND state = 'running' AND locked_until < now()",
            )
            .bind(scope)
            .bind(key)
            .bind(lock_secs)
            .execute(pool)
            .await?
            .rows_affected();
            Ok(if taken_over == 1 {
                match row.resource_id {
                    // The abandoned request had already made its resource.
                    Some(resource_id) => {
                        defer(pool, scope, key).await?;
                        Claim::Deferred { resource_id }
                    }
                    None => Claim::Claimed,
                }
            } else {
                Claim::InProgress
            })
        }
    }
}

/// Records what the request created, in the transaction that creates it.
pub async fn attach(
    conn: &mut PgConnection,
    scope: &str,
    key: &str,
    resource_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE idempotency_keys SET resource_id = $3 WHERE scope = $1 AND key = $2")
        .bind(scope)
        .bind(key)
        .bind(resource_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores the final response, to be replayed for this key.
pub async fn complete(
    pool: &PgPool,
    scope: &str,
    key: &str,
    status: StatusCode,
    body: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE idempotency_keys SET state = 'done', response_status = $3, response_body = $4
         WHERE scope = $1 AND key = $2",
    )
    .bind(scope)
    .bind(key)
    .bind(i32::from(status.as_u16()))
    .bind(body)
    .execute(pool)
    .await?;
    Ok(())
}

/// The request was answered 202: later replays show the resource's state.
pub async fn defer(pool: &PgPool, scope: &str, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE idempotency_keys SET state = 'deferred'
         WHERE scope = $1 AND key = $2 AND resource_id IS NOT NULL",
    )
    .bind(scope)
    .bind(key)
    .execute(pool)
    .await?;
    Ok(())
}

/// The request failed before anything was made and not finally (a 503, a
/// 5xx): the key is freed so a retry runs afresh.
pub async fn release(pool: &PgPool, scope: &str, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM idempotency_keys
         WHERE scope = $1 AND key = $2 AND state = 'running' AND resource_id IS NULL",
    )
    .bind(scope)
    .bind(key)
    .execute(pool)
    .await?;
    Ok(())
}

/// Deletes keys older than `retention`, those left `running` by a process
/// that died included (their lock has passed); returns how many.
pub async fn clean_up(pool: &PgPool, retention: Duration) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "DELETE FROM idempotency_keys
         WHERE created_at < now() - make_interval(secs => $1)
           AND (state <> 'running' OR locked_until < now())",
    )
    .bind(retention.as_secs_f64())
    .execute(pool)
    .await?
    .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_of_bounded_length() {
        assert_eq!(parse_key(b"abc-123").unwrap(), "abc-123");
        assert_eq!(parse_key(b"\"quoted\"").unwrap(), "quoted");
        assert!(parse_key(b"").is_err());
        assert!(parse_key(b"has space").is_err());
        assert!(parse_key(&[b'a'; 256]).is_err());
        assert!(parse_key("é".as_bytes()).is_err());
    }

    #[test]
    fn the_hash_ignores_key_order_but_not_values() {
        let a = serde_json::json!({"a": 1, "b": [1, 2]});
        let b: serde_json::Value = serde_json::from_str(r#"{ "b": [1,2], "a": 1 }"#).unwrap();
        let c = serde_json::json!({"a": 2, "b": [1, 2]});
        assert_eq!(
            request_hash("POST /orders", &a),
            request_hash("POST /orders", &b)
        );
        assert_ne!(
            request_hash("POST /orders", &a),
            request_hash("POST /orders", &c)
        );
    }
}
