//! Background work of registration-service.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::{config::AdminAccount, domain::Email, repo::customers, state::AppState};

/// Ensures the configured admin exists, retrying while Postgres is unreachable.
pub async fn ensure_admin(state: AppState, admin: AdminAccount, stop: CancellationToken) {
    let email = match Email::parse(&admin.email) {
        Ok(email) => email,
        Err(problem) => {
            tracing::error!(
                problem,
                "ADMIN_EMAIL is not a valid email; no admin ensured"
            );
            return;
        }
    };
    let hash = match state.hasher.hash(&admin.password).await {
        Ok(hash) => hash,
        Err(err) => {
            tracing::error!(
                error = format!("{err:#}"),
                "hashing the admin password failed"
            );
            return;
        }
    };
    let mut delay = Duration::from_millis(200);
    while !stop.is_cancelled() {
        let result = async {
            let mut conn = state.pool.acquire().await?;
            customers::upsert_admin(&mut conn, email.as_ref(), &hash).await
        }
        .await;
        match result {
            Ok(()) => {
                tracing::info!(email = %email, "admin account ensured");
                return;
            }
            Err(err) => tracing::warn!(error = %err, "ensuring the admin failed; retrying"),
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = stop.cancelled() => return,
        }
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

/// Deletes refresh tokens a day after they expired (spent ones too: until
/// then a spent token presented again is caught as a reuse).
pub async fn delete_expired_refresh_tokens(pool: &sqlx::PgPool) -> anyhow::Result<u64> {
    let mut conn = pool.acquire().await?;
    Ok(crate::repo::refresh_tokens::delete_expired(&mut conn, 86_400.0).await?)
}
