use unicode_segmentation::UnicodeSegmentation;

/// A first or last name: trimmed, 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("is required".to_owned());
        }
        if name.graphemes(true).count() > 100 || name.chars().count() > 100 {
            return Err("must be at most 100 characters".to_owned());
        }
        if name.chars().any(char::is_control) {
            return Err("must not contain control characters".to_owned());
        }
        Ok(Self(name.to_owned()))
    }
}

impl AsRef<str> for PersonName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// An optional free-text field with a length bound; blank becomes `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionalText(Option<String>);

impl OptionalText {
    pub fn parse(raw: Option<&str>, max_chars: usize) -> Result<Self, String> {
        let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(Self(None));
        };
        if text.chars().count() > max_chars {
            return Err(format!("must be at most {max_chars} characters"));
        }
        if text.chars().any(char::is_control) {
            return Err("must not contain control characters".to_owned());
        }
        Ok(Self(Some(text.to_owned())))
    }

    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("  Ada ").unwrap().as_ref(), "Ada");
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"a".repeat(101)).is_err());
        assert!(PersonName::parse("Ada\u{0}").is_err());
        assert_eq!(
            PersonName::parse("O'Brien; DROP TABLE customers")
                .unwrap()
                .as_ref(),
            "O'Brien; DROP TABLE customers"
        );
    }

    #[test]
    fn blank_optional_text_is_absent() {
        assert_eq!(
            OptionalText::parse(Some("  "), 10).unwrap().as_deref(),
            None
        );
        assert!(OptionalText::parse(Some("12345678901"), 10).is_err());
    }

    proptest! {
        #[test]
        fn any_accepted_name_is_trimmed_and_short(raw in "\\PC{0,120}") {
            if let Ok(name) = PersonName::parse(&raw) {
                prop_assert!(name.as_ref().chars().count() <= 100);
                prop_assert_eq!(name.as_ref(), name.as_ref().trim());
            }
        }
    }
}
