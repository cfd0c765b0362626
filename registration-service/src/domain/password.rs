use secrecy::{ExposeSecret, SecretString};

/// A password of acceptable length (NIST 800-63B: at least 10 characters
/// here, at most 128 so hashing cost stays bounded).
pub struct Password(SecretString);

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 128;

impl Password {
    pub fn parse(raw: SecretString) -> Result<Self, String> {
        let chars = raw.expose_secret().chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(format!("must be at least {MIN_PASSWORD_CHARS} characters"));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(format!("must be at most {MAX_PASSWORD_CHARS} characters"));
        }
        Ok(Self(raw))
    }

    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_outside_the_bounds_are_rejected() {
        assert!(Password::parse(SecretString::from("short")).is_err());
        assert!(Password::parse(SecretString::from("x".repeat(129))).is_err());
        assert!(Password::parse(SecretString::from("long enough")).is_ok());
    }

    #[test]
    fn debug_output_hides_the_password() {
        let p = Password::parse(SecretString::from("hunter2hunter2")).unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }
}
