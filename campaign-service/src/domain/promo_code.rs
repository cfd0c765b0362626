use std::fmt;

/// A promo code: 3 to 32 of A-Z, 0-9, `_` and `-`, upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PromoCode(String);

impl PromoCode {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let code = raw.trim().to_ascii_uppercase();
        if !(3..=32).contains(&code.len()) {
            return Err("must be 3 to 32 characters");
        }
        if !code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-')
        {
            return Err("may contain only letters, digits, `_` and `-`");
        }
        Ok(Self(code))
    }
}

impl AsRef<str> for PromoCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PromoCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::PromoCode;

    #[test]
    fn codes_are_upper_cased_and_checked() {
        assert_eq!(
            PromoCode::parse(" black-friday_26 ").unwrap().as_ref(),
            "BLACK-FRIDAY_26"
        );
        for bad in [
            "",
            "ab",
            "has space",
            "ÜBER10",
            &"X".repeat(33),
            "semi;colon",
        ] {
            assert!(PromoCode::parse(bad).is_err(), "{bad:?}");
        }
    }
}
