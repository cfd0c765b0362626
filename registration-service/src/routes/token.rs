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

use crate::{repo::customers, startup::AppState};

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
        (status = 429, description = "Too many attempts for this account or client", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn token(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Json(body): Json<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let limits = &state.rate_limits;
    state
        .limiter
        .check("login-client", &client, limits.login_per_client)
        .await?;
    let claims = match body {
        TokenRequest::Password { email, password } => {
            let account = email.trim().to_lowercase();
            state
                .limiter
                .check("login-account", &account, limits.login_per_account)
                .await?;
            let mut conn = state.pool.acquire().await?;
            let row = customers::find_by_email(&mut conn, &account).await?;
            drop(conn);
            // An unknown email costs a hash too, so timing does not reveal membership.
            let hash = row.as_ref().map(|r| r.password_hash.as_str());
            if !state.hasher.verify(&password, hash).await? {
                return Err(wrong_credentials());
            }
            let row = row.ok_or_else(wrong_credentials)?;
            let role = if row.role == "admin" {
                Role::Admin
            } else {
                Role::Customer
            };
            claims(
                &state,
                row.id.to_string(),
                role,
                Some(row.email),
                Some(format!("{} {}", row.first_name, row.last_name)),
            )
        }
        TokenRequest::ClientCredentials {
            client_id,
            client_secret,
        } => {
            state
                .limiter
                .check(
                    "login-account",
                    &format!("client:{client_id}"),
                    limits.login_per_account,
                )
                .await?;
            let known = state
                .service_clients
                .iter()
                .find(|c| c.client_id == client_id);
            let hash = known.map(|c| c.secret_hash.as_str());
            if !state.hasher.verify(&client_secret, hash).await? {
                return Err(wrong_credentials());
            }
            claims(&state, client_id, Role::Service, None, None)
        }
    };
    let access_token = state.signing_keys.sign(&claims)?;
    Ok(Json(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: TOKEN_TTL_SECS,
    }))
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
