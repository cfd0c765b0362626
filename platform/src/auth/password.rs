//! argon2id password hashing off the async threads, behind a concurrency limit.

use std::sync::Arc;

use anyhow::Context;
use argon2::{
    password_hash::{
        rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString,
    },
    Algorithm, Argon2, Params, Version,
};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{OnceCell, Semaphore};

/// OWASP's argon2id minimum: m = 19456 KiB, t = 2, p = 1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Verified against when the account does not exist, so an unknown email
    /// costs as much time as a wrong password.
    dummy: Arc<OnceCell<String>>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(cores)
    }
}

impl PasswordHasher {
    /// At most `concurrency` hashes run at once; more wait their turn instead
    /// of starving the blocking pool (each hash takes 19 MiB and ~40 ms).
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy: Arc::new(OnceCell::new()),
        }
    }

    pub async fn hash(&self, password: &SecretString) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await.context("hasher closed")?;
        let password = password.clone();
        tokio::task::spawn_blocking(move || hash_blocking(password.expose_secret()))
            .await
            .context("hashing task failed")?
    }

    /// Verifies `password` against `hash`, or against a dummy hash when there
    /// is none (unknown account), in constant time either way.
    pub async fn verify(
        &self,
        password: &SecretString,
        hash: Option<&str>,
    ) -> anyhow::Result<bool> {
        let known = hash.is_some();
        let hash = match hash {
            Some(h) => h.to_owned(),
            None => self.dummy_hash().await?.to_owned(),
        };
        let _permit = self.permits.acquire().await.context("hasher closed")?;
        let password = password.clone();
        let matches = tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&hash)
                .map_err(|e| anyhow::anyhow!("stored hash is malformed: {e}"))?;
            Ok::<_, anyhow::Error>(
                argon2()
                    .verify_password(password.expose_secret().as_bytes(), &parsed)
                    .is_ok(),
            )
        })
        .await
        .context("verifying task failed")??;
        Ok(known && matches)
    }

    async fn dummy_hash(&self) -> anyhow::Result<&str> {
        self.dummy
            .get_or_try_init(|| async {
                tokio::task::spawn_blocking(|| hash_blocking("not-a-real-password"))
                    .await
                    .context("hashing task failed")?
            })
            .await
            .map(String::as_str)
    }
}

/// Hashes on the current thread; for benchmarks and one-off tools.
pub fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hasher = PasswordHasher::new(2);
        let password = SecretString::from("correct horse battery");
        let hash = hasher.hash(&password).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(hasher.verify(&password, Some(&hash)).await.unwrap());
        let wrong = SecretString::from("correct horse battery!");
        assert!(!hasher.verify(&wrong, Some(&hash)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        let hasher = PasswordHasher::new(1);
        let password = SecretString::from("not-a-real-password");
        assert!(!hasher.verify(&password, None).await.unwrap());
    }
}
