//! TLS to Postgres and Redis (docs/deploy.md, "TLS"): one rustls crypto
//! provider, aws-lc-rs, for the whole process.

use std::sync::Once;

/// Installs aws-lc-rs as the process's rustls provider, once. sqlx names its
/// provider itself; the redis crate asks rustls for the process default,
/// which rustls cannot pick alone when more than one provider is built in.
pub fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Fails only when another provider was installed first, which is as good.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}
