use clap::Subcommand;
use registration_service::startup::Registration;

#[derive(Subcommand)]
enum Own {
    /// Read a service client's secret on stdin and print its argon2id hash
    /// (for the `secret_hash` of an entry in `SERVICE_CLIENTS`).
    HashSecret,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::service::cli::run::<Registration, Own, _, _>(
        "Storefront registration-service",
        |own| async move {
            match own {
                Own::HashSecret => hash_secret(),
            }
        },
    )
    .await
}

fn hash_secret() -> anyhow::Result<()> {
    let mut secret = String::new();
    std::io::stdin().read_line(&mut secret)?;
    let secret = secret.trim_end_matches(['\r', '\n']);
    anyhow::ensure!(
        secret.len() >= 16,
        "a service secret needs at least 16 characters"
    );
    let hash = platform::auth::password::hash_blocking(secret)?;
    std::io::Write::write_all(&mut std::io::stdout(), format!("{hash}\n").as_bytes())?;
    Ok(())
}
