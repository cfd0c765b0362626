//! Tokens (Ed25519 JWTs), their verification and the role extractors, and
//! password hashing.

pub mod claims;
pub mod extract;
pub mod keys;
pub mod password;
pub mod verifier;

pub use claims::{Claims, Role};
pub use extract::{AdminUser, Caller, MaybeCaller, ServiceCaller};
pub use keys::SigningKeys;
pub use verifier::{AuthError, JwksSource, TokenVerifier};

#[cfg(test)]
mod rotation_tests;
