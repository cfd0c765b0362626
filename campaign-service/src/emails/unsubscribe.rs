//! Signed unsubscribe tokens: `<customer id>.<HMAC-SHA256>`, so a link can
//! only turn off marketing for the customer it was sent to.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &SecretString, customer_id: Uuid) -> HmacSha256 {
    // HMAC takes keys of any length.
    let mut mac = HmacSha256::new_from_slice(secret.expose_secret().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(b"unsubscribe:");
    mac.update(customer_id.as_bytes());
    mac
}

pub fn token(secret: &SecretString, customer_id: Uuid) -> String {
    let signature = mac(secret, customer_id).finalize().into_bytes();
    format!(
        "{}.{}",
        customer_id.simple(),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// The customer a token was issued for, if its signature holds (checked in constant time).
pub fn verify(secret: &SecretString, token: &str) -> Option<Uuid> {
    let (id, signature) = token.split_once('.')?;
    let customer_id = Uuid::try_parse(id).ok()?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    mac(secret, customer_id).verify_slice(&signature).ok()?;
    Some(customer_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_for_its_customer_only() {
        let secret = SecretString::from("s3cret");
        let id = Uuid::new_v4();
        let t = token(&secret, id);
        assert_eq!(verify(&secret, &t), Some(id));
        let other = Uuid::new_v4();
        let forged = format!("{}.{}", other.simple(), t.split_once('.').unwrap().1);
        assert_eq!(verify(&secret, &forged), None);
        assert_eq!(verify(&SecretString::from("other"), &t), None);
        assert_eq!(verify(&secret, "garbage"), None);
    }
}
