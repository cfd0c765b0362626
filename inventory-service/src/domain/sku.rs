use std::fmt;

/// A stock-keeping unit: 1 to 64 of A-Z, 0-9, `_`, `-` (stored upper case).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sku(String);

impl Sku {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let sku = raw.trim().to_ascii_uppercase();
        if sku.is_empty() || sku.len() > 64 {
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

/// A positive unit count of at most 100,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity(i32);

impl Quantity {
    pub fn new(raw: i64) -> Result<Self, &'static str> {
        if (1..=100_000).contains(&raw) {
            Ok(Self(raw as i32))
        } else {
            Err("must be between 1 and 100000")
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn skus_are_upper_cased_and_checked() {
        assert_eq!(Sku::parse(" mug-1 ").unwrap().as_ref(), "MUG-1");
        for bad in ["", "has space", "semi;colon", &"X".repeat(65)] {
            assert!(Sku::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn only_positive_bounded_quantities_exist(raw in any::<i64>()) {
            match Quantity::new(raw) {
                Ok(q) => prop_assert!(q.get() >= 1 && q.get() <= 100_000),
                Err(_) => prop_assert!(!(1..=100_000).contains(&raw)),
            }
        }
    }
}
