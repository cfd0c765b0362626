//! argon2id password hashing off the async threads, behind a concurrency limit.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

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
    limit: usize,
    /// Hashes running now, and the most that ever ran at once.
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
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
            limit: concurrency.max(1),
            running: Arc::default(),
            peak: Arc::default(),
            dummy: Arc::new(OnceCell::new()),
        }
    }

    /// How many hashes (and verifications) may run at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The most hashes (and verifications) that ever ran at once.
    pub fn peak_concurrency(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// Hashes (and verifications) running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Runs `work` on the blocking pool holding a permit that moves with it:
    /// a caller that goes away (a client that hung up) cancels its future,
    /// but the permit is only given back when the blocking work ends, so no
    /// more than the limit ever run at once.
    async fn run_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .context("hasher closed")?;
        let (running, peak) = (self.running.clone(), self.peak.clone());
        tokio::task::spawn_blocking(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let result = work();
            running.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
            result
        })
        .await
        .context("hashing task failed")?
    }

    pub async fn hash(&self, password: &SecretString) -> anyhow::Result<String> {
        let password = password.clone();
        self.run_blocking(move || hash_blocking(password.expose_secret()))
            .await
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
        let password = password.clone();
        let matches = self
            .run_blocking(move || {
                let parsed = PasswordHash::new(&hash)
                    .map_err(|e| anyhow::anyhow!("stored hash is malformed: {e}"))?;
                Ok(argon2()
                    .verify_password(password.expose_secret().as_bytes(), &parsed)
                    .is_ok())
            })
            .await?;
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
