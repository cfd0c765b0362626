//! Lists as `{"items": [...], "next_cursor": "..." | null}` with opaque cursors.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::Serialize;
use uuid::Uuid;

use crate::error::ApiError;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Encodes the last id of a page as an opaque cursor.
pub fn encode_cursor(last: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{last}"))
}

/// Decodes a cursor made by `encode_cursor`; anything else is a 400.
pub fn decode_cursor(cursor: Option<&str>) -> Result<Option<Uuid>, ApiError> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let bad = || ApiError::BadRequest("the cursor is not one this API issued".to_owned());
    let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let id = text.strip_prefix("v1:").ok_or_else(bad)?;
    Uuid::try_parse(id).map(Some).map_err(|_| bad())
}

/// Encodes the last key of a page ordered by a text key (a SKU) as an
/// opaque cursor.
pub fn encode_key_cursor(last: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("k1:{last}"))
}

/// Decodes a cursor made by `encode_key_cursor`; anything else is a 400.
pub fn decode_key_cursor(cursor: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    let bad = || ApiError::BadRequest("the cursor is not one this API issued".to_owned());
    let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    text.strip_prefix("k1:")
        .map(str::to_owned)
        .map(Some)
        .ok_or_else(bad)
}

/// A page size between 1 and 100 (default 20).
pub fn page_size(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit {
        None => Ok(20),
        Some(n) if (1..=100).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::validation("limit", "must be between 1 and 100")),
    }
}

/// Builds a page from up to `limit + 1` rows (the extra one says there is more).
pub fn page<R, T>(
    mut rows: Vec<R>,
    limit: i64,
    id_of: impl Fn(&R) -> Uuid,
    map: impl Fn(R) -> T,
) -> Page<T> {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|r| encode_cursor(id_of(r)))
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(map).collect(),
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_tampered_ones_are_refused() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(Some(&encode_cursor(id))).unwrap(), Some(id));
        assert!(decode_cursor(Some("not-a-cursor")).is_err());
        assert!(decode_cursor(Some(&URL_SAFE_NO_PAD.encode("v2:x"))).is_err());
    }
}
