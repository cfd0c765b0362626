//! A certificate authority a test makes, and server certificates it signs,
//! for the TLS-only private servers in [`super::private`].

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SanType,
};

pub struct TestCa {
    dir: PathBuf,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A server's certificate and key, as PEM files.
pub struct ServerCertificate {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

impl TestCa {
    /// A new CA, its certificate written to [`TestCa::ca_file`].
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("ca-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("making the CA's directory");
        let mut params = CertificateParams::default();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Storefront test CA");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("a CA key");
        let issuer = CertifiedIssuer::self_signed(params, key).expect("the CA certificate");
        std::fs::write(dir.join("ca.pem"), issuer.pem()).expect("writing the CA certificate");
        Self { dir, issuer }
    }

    /// The CA certificate (PEM), what a client verifies servers against.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A certificate for `127.0.0.1` and `localhost`, signed by this CA,
    /// written into `dir` (the key readable by its owner only, as Postgres
    /// requires).
    pub fn server_certificate(&self, dir: &Path) -> ServerCertificate {
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned()]).expect("server names");
        params
            .subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        params
            .distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        let key = KeyPair::generate().expect("a server key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("signing the server certificate");
        let certificate = ServerCertificate {
            cert_file: dir.join("server.crt"),
            key_file: dir.join("server.key"),
        };
        std::fs::write(&certificate.cert_file, cert.pem()).expect("writing the certificate");
        std::fs::write(&certificate.key_file, key.serialize_pem()).expect("writing the key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                &certificate.key_file,
                std::fs::Permissions::from_mode(0o600),
            )
            .expect("making the key private");
        }
        certificate
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
