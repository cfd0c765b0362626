//! `POST /auth/token`: the password grant (people) and the
//! client-credentials grant (services).

use axum::extract::State;
use platform::{
    auth::{claims::TOKEN_TTL_SECS, Claims, Role},
    http::ClientIp,
    ApiError, Json,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{repo::customers, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(token))
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
}

/// Get an access token
#[utoipa::path(
    post,
    path = "/auth/token",
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "A signed EdDSA JWT", body = TokenResponse),
        (status = 401, description = "Wrong credentials", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown grant type or missing fields", body = platform::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts from this client address, for this account or in all", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn token(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Json(body): Json<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let limits = &state.rate_limits;
    // Only failures count, and only against the address that made them: a
    // right password from an address that has not failed is never refused
    // because someone elsewhere guessed (a client id is public, an email
    // often is).
    let (account, secret, is_service) = match &body {
        TokenRequest::Password { email, password } => {
            (email.trim().to_lowercase(), password, false)
        }
        TokenRequest::ClientCredentials {
            client_id,
            client_secret,
        } => (format!("client:{client_id}"), client_secret, true),
    };
    let account_key = format!("{account}|{client}");
    state
        .limiter
        .check_failures("login-failures-client", &client, limits.login_per_client)
        .await?;
    state
        .limiter
        .check_failures("login-failures", &account_key, limits.login_per_account)
        .await?;
    let verified = if is_service {
        verify_service(&state, &account, secret).await?
    } else {
        verify_person(&state, &account, secret).await?
    };
    let Some(claims) = verified else {
        state
            .limiter
            .record_failure("login-failures-client", &client, limits.login_per_client)
            .await;
        state
            .limiter
            .record_failure("login-failures", &account_key, limits.login_per_account)
            .await;
        return Err(wrong_credentials());
    };
    let access_token = state.signing_keys.sign(&claims)?;
    Ok(Json(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: TOKEN_TTL_SECS,
    }))
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
    Ok(row.map(|row| {
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
    }))
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
