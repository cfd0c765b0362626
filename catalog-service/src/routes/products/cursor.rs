//! Opaque cursors for `GET /products`: the sort key of the last item seen.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use platform::ApiError;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Where the next page starts: after (rank, id) in a search, after (name, id) when browsing.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchCursor {
    Ranked { rank: f32, id: Uuid },
    Named { name: String, id: Uuid },
}

impl SearchCursor {
    /// base64url of `v1:r:<rank>:<id>` or `v1:n:<id>:<name>`, then `|` and a
    /// short checksum, so an edited cursor is refused rather than silently
    /// paging from somewhere else. `f32`'s `Display` is the shortest text that
    /// parses back to the same value, so the rank compares equal in SQL.
    pub fn encode(&self) -> String {
        let text = match self {
            Self::Ranked { rank, id } => format!("v1:r:{rank}:{id}"),
            Self::Named { name, id } => format!("v1:n:{id}:{name}"),
        };
        URL_SAFE_NO_PAD.encode(format!("{text}|{}", checksum(&text)))
    }

    /// Decodes a cursor made by `encode`; anything else is a 400.
    pub fn decode(cursor: &str) -> Result<Self, ApiError> {
        let bad = || ApiError::BadRequest("the cursor is not one this API issued".to_owned());
        let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
        let signed = String::from_utf8(raw).map_err(|_| bad())?;
        let (text, sum) = signed.rsplit_once('|').ok_or_else(bad)?;
        if sum != checksum(text) {
            return Err(bad());
        }
        let rest = text.strip_prefix("v1:").ok_or_else(bad)?;
        if let Some(ranked) = rest.strip_prefix("r:") {
            let (rank, id) = ranked.split_once(':').ok_or_else(bad)?;
            let rank: f32 = rank.parse().map_err(|_| bad())?;
            if !rank.is_finite() {
                return Err(bad());
            }
            let id = Uuid::try_parse(id).map_err(|_| bad())?;
            return Ok(Self::Ranked { rank, id });
        }
        let named = rest.strip_prefix("n:").ok_or_else(bad)?;
        let (id, name) = named.split_once(':').ok_or_else(bad)?;
        let id = Uuid::try_parse(id).map_err(|_| bad())?;
        Ok(Self::Named {
            name: name.to_owned(),
            id,
        })
    }
}

/// The first 8 bytes of the SHA-256 of `text`, in hex.
fn checksum(text: &str) -> String {
    Sha256::digest(text.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn cursors_round_trip(rank in 0.0f32..1.0, name in "\\PC{0,40}") {
            let id = Uuid::now_v7();
            for cursor in [SearchCursor::Ranked { rank, id }, SearchCursor::Named { name, id }] {
                prop_assert_eq!(SearchCursor::decode(&cursor.encode()).unwrap(), cursor);
            }
        }
    }

    #[test]
    fn tampered_cursors_are_refused() {
        let id = Uuid::now_v7();
        let good = SearchCursor::Ranked { rank: 0.5, id }.encode();
        let unsigned = URL_SAFE_NO_PAD.encode(format!("v1:r:0.5:{id}"));
        let signed_for_another = checksum(&format!("v1:r:0.5:{id}"));
        let wrong_sum = URL_SAFE_NO_PAD.encode(format!("v1:r:0.25:{id}|{signed_for_another}"));
        let mut flipped = good.into_bytes();
        flipped[3] ^= 1;
        for bad in [
            "not-a-cursor".to_owned(),
            URL_SAFE_NO_PAD.encode("v2:r:0.5:x"),
            URL_SAFE_NO_PAD.encode("v1:r:NaN:00000000-0000-0000-0000-000000000000"),
            URL_SAFE_NO_PAD.encode("v1:x:1"),
            String::from_utf8(flipped).unwrap(),
            unsigned,
            wrong_sum,
        ] {
            assert!(SearchCursor::decode(&bad).is_err(), "{bad}");
        }
    }
}
