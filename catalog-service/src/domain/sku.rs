use std::fmt;

/// A stock-keeping unit: 1 to 64 of A-Z, 0-9, `_` and `-`, upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sku(String);

impl Sku {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let sku = raw.trim().to_ascii_uppercase();
        if !(1..=64).contains(&sku.len()) {
            return Err("must be 1 to 64 characters");
        }
        if !sku
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-')
        {
            return Err("may contain only letters, digits, `_` and `-`");
        }
        Ok(Self(sku))
    }
}

impl AsRef<str> for Sku {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::Sku;

    #[test]
    fn skus_are_upper_cased_and_checked() {
        assert_eq!(
            Sku::parse(" mug-blue_350 ").unwrap().as_ref(),
            "MUG-BLUE_350"
        );
        for bad in ["", "  ", "has space", "ÜBER", &"X".repeat(65), "semi;colon"] {
            assert!(Sku::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn every_parsed_sku_matches_the_database_check(raw in "\\PC{0,80}") {
            if let Ok(sku) = Sku::parse(&raw) {
                let s = sku.as_ref();
                prop_assert!((1..=64).contains(&s.len()));
                prop_assert!(s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-'));
            }
        }
    }
}
