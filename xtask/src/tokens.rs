//! `cargo xtask mint-tokens`: a local signing key, its JWKS and tokens for many
//! customers, for load runs (thousands of customers without a password hash each).

use std::{io::Write, path::Path};

use anyhow::Context;
use platform::auth::{
    claims::TOKEN_TTL_SECS, keys::generate_signing_keys_json, Claims, Role, SigningKeys,
};

pub fn run(out_dir: &Path, count: usize, issuer: &str, audience: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let keys = SigningKeys::from_json(&generate_signing_keys_json("load-1"))?;
    std::fs::write(out_dir.join("jwks.json"), serde_json::to_vec(&keys.jwks())?)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    // Load runs outlast one access token's life: these live an hour.
    let claims = |role: Role, sub: String| Claims {
        iss: issuer.to_owned(),
        aud: audience.to_owned(),
        sub,
        exp: now + 4 * TOKEN_TTL_SECS,
        iat: now,
        role,
        email: None,
        name: None,
    };
    let mut tokens = std::io::BufWriter::new(std::fs::File::create(out_dir.join("customers.txt"))?);
    for _ in 0..count {
        writeln!(
            tokens,
            "{}",
            keys.sign(&claims(Role::Customer, uuid::Uuid::new_v4().to_string()))?
        )?;
    }
    tokens.flush()?;
    std::fs::write(
        out_dir.join("admin.txt"),
        keys.sign(&claims(Role::Admin, uuid::Uuid::new_v4().to_string()))?,
    )?;
    println!(
        "wrote {count} customer tokens, an admin token and jwks.json to {}",
        out_dir.display()
    );
    Ok(())
}
