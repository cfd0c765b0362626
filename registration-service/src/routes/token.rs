//! `POST /auth/token`: the password grant (people), the refresh-token grant
//! (people staying signed in, `sessions`) and the client-credentials grant
//! (services); `POST /auth/revoke`: logging out.

use axum::{extract::State, http::StatusCode};
use platform::{
    auth::{claims::TOKEN_TTL_SECS, Claims, Role},
    http::ClientIp,
    ApiError, Json,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    repo::customers,
    sessions::{self, Refused},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token))
        .routes(routes!(revoke))
}

#[derive(Deserialize, ToSchema)]
#[serde(tag = "grant_type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TokenRequest {
    /// A customer or admin logging in.
    #[schema(example = json!({"grant_type": "password", "email": "ada@example.com", "password": "correct horse battery"}))]
    Password {
        email: String,
        #[schema(value_type = String, format = Password)]
        password: SecretString,
    },
    /// A signed-in customer or admin renewing their access token with the
    /// refresh token of their last answer; the answer carries the next one.
    #[schema(example = json!({"grant_type": "refresh_token", "refresh_token": "q3XhT0n1m5Vb8r2kZ9yWc4pLs7dFg6aJ-eHu0iKo_Qw"}))]
    RefreshToken {
        #[schema(value_type = String, format = Password)]
        refresh_token: SecretString,
    },
    /// Another Storefront service.
    ClientCredentials {
        client_id: String,
        #[schema(value_type = String, format = Password)]
        client_secret: SecretString,
    },
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
    /// For people (not services): exchange it for the next access token
    /// before this one expires. Single use; valid for 30 days (by default)
    /// from when it was issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// Get an access token
#[utoipa::path(
    post,
    path = "/auth/token",
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "A signed EdDSA JWT (and, for people, a refresh token)", body = TokenResponse),
        (status = 401, description = "Wrong credentials, or a refresh token that is unknown, expired, revoked or already used", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown grant type or missing fields", body = platform::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts from this client address, for this account or in all", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn token(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Json(body): Json<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let (account, secret, is_service) = match &body {
        TokenRequest::RefreshToken { refresh_token } => {
            return refresh(&state, &client, refresh_token.expose_secret()).await
        }
        TokenRequest::Password { email, password } => {
            (email.trim().to_lowercase(), password, false)
        }
        TokenRequest::ClientCredentials {
            client_id,
            client_secret,
        } => (format!("client:{client_id}"), client_secret, true),
    };
    sign_in(&state, &client, &account, secret, is_service).await
}

/// The password and client-credentials grants. Only failures count, and
/// only against the address that made them: a right password from an
/// address that has not failed is never refused because someone elsewhere
/// guessed (a client id is public, an email often is).
async fn sign_in(
    state: &AppState,
    client: &str,
    account: &str,
    secret: &SecretString,
    is_service: bool,
) -> Result<Json<TokenResponse>, ApiError> {
    let limits = &state.rate_limits;
    let account_key = format!("{account}|{client}");
    state
        .limiter
        .check_failures("login-failures-client", client, limits.login_per_client)
        .await?;
    state
        .limiter
        .check_failures("login-failures", &account_key, limits.login_per_account)
        .await?;
    let verified = if is_service {
        verify_service(state, account, secret).await?
    } else {
        verify_person(state, account, secret).await?
    };
    let Some(claims) = verified else {
        state
            .limiter
            .record_failure("login-failures-client", client, limits.login_per_client)
            .await;
        state
            .limiter
            .record_failure("login-failures", &account_key, limits.login_per_account)
            .await;
        return Err(wrong_credentials());
    };
    let refresh_token = match (is_service, claims.sub.parse()) {
        (false, Ok(customer_id)) => {
            Some(sessions::start(&state.pool, customer_id, state.refresh_token_ttl).await?)
        }
        _ => None,
    };
    answer(state, &claims, refresh_token)
}

/// The refresh-token grant: a rotated refresh token and a new access token
/// with the customer's claims as they are now. Refusals count as failed
/// sign-ins of the client address.
async fn refresh(
    state: &AppState,
    client: &str,
    token: &str,
) -> Result<Json<TokenResponse>, ApiError> {
    let limit = state.rate_limits.login_per_client;
    let limiter = &state.limiter;
    limiter
        .check_failures("login-failures-client", client, limit)
        .await?;
    let refused = match sessions::rotate(&state.pool, token, state.refresh_token_ttl).await? {
        Ok(rotated) => {
            let mut conn = state.pool.acquire().await?;
            let row = customers::find_by_id(&mut conn, rotated.customer_id).await?;
            drop(conn);
            if let Some(row) = row {
                let claims = person_claims(state, row);
                return answer(state, &claims, Some(rotated.token));
            }
            Refused::Unknown
        }
        Err(refused) => refused,
    };
    tracing::info!(?refused, "refresh token refused");
    limiter
        .record_failure("login-failures-client", client, limit)
        .await;
    Err(ApiError::Unauthorized(
        "the refresh token is not valid (expired, revoked or already used); sign in again"
            .to_owned(),
    ))
}

fn answer(
    state: &AppState,
    claims: &Claims,
    refresh_token: Option<String>,
) -> Result<Json<TokenResponse>, ApiError> {
    let access_token = state.signing_keys.sign(claims)?;
    Ok(Json(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: TOKEN_TTL_SECS,
        refresh_token,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// A refresh token of the session to end.
    #[schema(value_type = String, format = Password)]
    pub token: SecretString,
}

/// Log out: revoke a refresh token and every token of its sign-in
///
/// After RFC 7009: the answer is 200 whether or not the token was known, so
/// it tells nothing about tokens. Access tokens already issued stay valid
/// until they expire (15 minutes at most).
#[utoipa::path(
    post,
    path = "/auth/revoke",
    tag = "auth",
    request_body = RevokeRequest,
    responses(
        (status = 200, description = "Revoked (or was not a valid token)"),
        (status = 422, description = "Missing `token`", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn revoke(
    State(state): State<AppState>,
    Json(body): Json<RevokeRequest>,
) -> Result<StatusCode, ApiError> {
    if sessions::revoke(&state.pool, body.token.expose_secret()).await? {
        tracing::info!("refresh token family revoked");
    }
    Ok(StatusCode::OK)
}

/// The claims of the customer or admin `email` when `password` is theirs.
async fn verify_person(
    state: &AppState,
    email: &str,
    password: &SecretString,
) -> Result<Option<Claims>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let row = customers::find_by_email(&mut conn, email).await?;
    drop(conn);
    // An unknown email costs a hash too, so timing does not reveal membership.
    let hash = row.as_ref().map(|r| r.password_hash.as_str());
    if !state.hasher.verify(password, hash).await? {
        return Ok(None);
    }
    Ok(row.map(|row| person_claims(state, row)))
}

/// The claims of a customer or admin, from their row as it is now.
fn person_claims(state: &AppState, row: customers::CustomerRow) -> Claims {
    let role = if row.role == "admin" {
        Role::Admin
    } else {
        Role::Customer
    };
    claims(
        state,
        row.id.to_string(),
        role,
        Some(row.email),
        Some(format!("{} {}", row.first_name, row.last_name)),
    )
}

/// The claims of the service client `account` (`client:<id>`) when `secret` is its own.
async fn verify_service(
    state: &AppState,
    account: &str,
    secret: &SecretString,
) -> Result<Option<Claims>, ApiError> {
    let client_id = account.strip_prefix("client:").unwrap_or(account);
    let known = state
        .service_clients
        .iter()
        .find(|c| c.client_id == client_id);
    let hash = known.map(|c| c.secret_hash.as_str());
    if !state.hasher.verify(secret, hash).await? {
        return Ok(None);
    }
    Ok(Some(claims(
        state,
        client_id.to_owned(),
        Role::Service,
        None,
        None,
    )))
}

fn wrong_credentials() -> ApiError {
    ApiError::Unauthorized("the credentials are not valid".to_owned())
}

fn claims(
    state: &AppState,
    sub: String,
    role: Role,
    email: Option<String>,
    name: Option<String>,
) -> Claims {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    Claims {
        iss: state.jwt.issuer.clone(),
        aud: state.jwt.audience.clone(),
        sub,
        exp: now + TOKEN_TTL_SECS,
        iat: now,
        role,
        email,
        name,
    }
}
