//! What a cache entry holds, and its encoding in Redis.

/// A cached product (as its JSON body) or the knowledge that there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cached {
    Absent,
    Present {
        version: i64,
        active: bool,
        json: String,
    },
}

impl Cached {
    /// `<version>:<a|i|->:<json>`: the version first, so the CAS script can read it.
    pub(super) fn encode(&self) -> String {
        match self {
            Self::Absent => "0:-:".to_owned(),
            Self::Present {
                version,
                active,
                json,
            } => format!("{version}:{}:{json}", if *active { 'a' } else { 'i' }),
        }
    }

    pub(super) fn decode(raw: &str) -> Option<Self> {
        let (version, rest) = raw.split_once(':')?;
        let (flag, json) = rest.split_once(':')?;
        match flag {
            "-" => Some(Self::Absent),
            "a" | "i" => Some(Self::Present {
                version: version.parse().ok()?,
                active: flag == "a",
                json: json.to_owned(),
            }),
            _ => None,
        }
    }

    pub(super) fn version(&self) -> i64 {
        match self {
            Self::Absent => 0,
            Self::Present { version, .. } => *version,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cached;

    #[test]
    fn entries_round_trip_through_their_encoding() {
        for entry in [
            Cached::Absent,
            Cached::Present {
                version: 7,
                active: false,
                json: r#"{"name":"a:b"}"#.to_owned(),
            },
        ] {
            assert_eq!(Cached::decode(&entry.encode()), Some(entry));
        }
        assert_eq!(Cached::decode("garbage"), None);
    }
}
