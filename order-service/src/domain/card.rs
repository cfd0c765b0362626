//! Card tokens as the simulated payment gateway understands them.

/// A card token: `tok_` followed by 1 to 60 of a-z, 0-9 and `_`.
/// Which token approves or declines is the gateway's business, not the parser's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardToken(String);

impl CardToken {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let rest = raw
            .strip_prefix("tok_")
            .ok_or("must be a card token such as `tok_visa`")?;
        let valid = !rest.is_empty()
            && rest.len() <= 60
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err("must be `tok_` followed by 1 to 60 of a-z, 0-9 and `_`");
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_need_the_prefix_and_a_plain_body() {
        assert!(CardToken::parse("tok_visa").is_ok());
        assert!(CardToken::parse("tok_insufficient_funds").is_ok());
        assert!(CardToken::parse("4242424242424242").is_err());
        assert!(CardToken::parse("tok_").is_err());
        assert!(CardToken::parse("tok_VISA").is_err());
        assert!(CardToken::parse("tok_visa'; --").is_err());
    }
}
