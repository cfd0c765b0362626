//! Tokens for test callers, minted with a test signing key: thousands of
//! customers without hashing a password for each.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::{
    claims::{Claims, Role, TOKEN_TTL_SECS},
    keys::{generate_signing_keys_json, Jwks, SigningKeys},
};

pub struct TestTokens {
    pub keys_json: String,
    pub keys: SigningKeys,
    pub issuer: String,
    pub audience: String,
}

impl TestTokens {
    pub fn new(issuer: &str, audience: &str) -> Self {
        let keys_json = generate_signing_keys_json(&format!("test-{}", Uuid::new_v4().simple()));
        let keys = SigningKeys::from_json(&keys_json).expect("generated keys parse");
        Self {
            keys_json,
            keys,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }
    }

    pub fn jwks(&self) -> Jwks {
        self.keys.jwks()
    }

    pub fn claims(&self, role: Role, sub: &str) -> Claims {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: sub.to_owned(),
            exp: now + TOKEN_TTL_SECS,
            iat: now,
            role,
            email: (role != Role::Service).then(|| format!("{sub}@example.test")),
            name: (role != Role::Service).then(|| "Test Person".to_owned()),
        }
    }

    pub fn sign(&self, claims: &Claims) -> String {
        self.keys.sign(claims).expect("signing a test token")
    }

    pub fn customer(&self) -> (Uuid, String) {
        let id = Uuid::new_v4();
        (id, self.sign(&self.claims(Role::Customer, &id.to_string())))
    }

    pub fn admin(&self) -> String {
        self.sign(&self.claims(Role::Admin, &Uuid::new_v4().to_string()))
    }

    pub fn service(&self, client_id: &str) -> String {
        self.sign(&self.claims(Role::Service, client_id))
    }
}
