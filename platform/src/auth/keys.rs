//! Signing keys from `JWT_SIGNING_KEYS` and the JWKS they publish.

use anyhow::Context;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use ed25519_dalek::pkcs8::{spki::der::pem::LineEnding, DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::claims::Claims;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeySpec {
    kid: String,
    private_key_pem: SecretString,
}

struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    /// The raw public key, base64url (the JWK `x`).
    x: String,
}

/// The issuer's keys: the first signs, all are published (so keys can rotate).
pub struct SigningKeys {
    keys: Vec<SigningKey>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|k| k.kid.as_str()).collect();
        f.debug_struct("SigningKeys")
            .field("kids", &kids)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub kid: String,
    pub x: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub use_: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl SigningKeys {
    /// Parses `[{"kid": "...", "private_key_pem": "-----BEGIN PRIVATE KEY-----..."}]`.
    pub fn from_json(json: &str) -> anyhow::Result<Self> {
        let specs: Vec<KeySpec> = serde_json::from_str(json)
            .context("JWT_SIGNING_KEYS is not a JSON array of {kid, private_key_pem}")?;
        anyhow::ensure!(!specs.is_empty(), "JWT_SIGNING_KEYS holds no key");
        let keys = specs
            .into_iter()
            .map(|spec| {
                let pem = spec.private_key_pem.expose_secret();
                let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
                    .with_context(|| format!("key {} is not an Ed25519 PKCS#8 PEM", spec.kid))?;
                Ok(SigningKey {
                    encoding: EncodingKey::from_ed_pem(pem.as_bytes())?,
                    x: URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
                    kid: spec.kid,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self { keys })
    }

    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let key = &self.keys[0];
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.encoding).context("signing a token")
    }

    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: self
                .keys
                .iter()
                .map(|k| Jwk {
                    kty: "OKP".to_owned(),
                    crv: "Ed25519".to_owned(),
                    kid: k.kid.clone(),
                    x: k.x.clone(),
                    alg: "EdDSA".to_owned(),
                    use_: "sig".to_owned(),
                })
                .collect(),
        }
    }
}

/// Decoding keys by `kid` from a JWKS document (Ed25519 keys only).
pub fn decoding_keys(jwks: &Jwks) -> Vec<(String, DecodingKey)> {
    jwks.keys
        .iter()
        .filter(|k| k.kty == "OKP" && k.crv == "Ed25519")
        .filter_map(|k| {
            DecodingKey::from_ed_components(&k.x)
                .ok()
                .map(|d| (k.kid.clone(), d))
        })
        .collect()
}

/// A new Ed25519 key as PKCS#8 PEM. Only the local run command and tests use it.
pub fn generate_private_key_pem() -> String {
    let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    key.to_pkcs8_pem(LineEnding::LF)
        .map(|pem| pem.to_string())
        .unwrap_or_default()
}

/// A `JWT_SIGNING_KEYS` value holding one new key.
pub fn generate_signing_keys_json(kid: &str) -> String {
    serde_json::json!([{ "kid": kid, "private_key_pem": generate_private_key_pem() }]).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_publish_their_public_half() {
        let keys = SigningKeys::from_json(&generate_signing_keys_json("k1")).unwrap();
        let jwks = keys.jwks();
        assert_eq!(jwks.keys.len(), 1);
        assert_eq!(jwks.keys[0].kid, "k1");
        assert_eq!(URL_SAFE_NO_PAD.decode(&jwks.keys[0].x).unwrap().len(), 32);
    }

    #[test]
    fn debug_output_never_shows_key_material() {
        let json = generate_signing_keys_json("k1");
        let keys = SigningKeys::from_json(&json).unwrap();
        let debug = format!("{keys:?}");
        assert!(debug.contains("k1"));
        assert!(!debug.contains("PRIVATE"));
    }

    #[test]
    fn an_empty_key_list_is_refused() {
        assert!(SigningKeys::from_json("[]").is_err());
    }
}
