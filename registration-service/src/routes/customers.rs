//! `POST /customers` (register), `GET` and `PATCH /customers/me`, and
//! `POST /customers/me/password`.

use axum::{extract::State, http::StatusCode};
use platform::{
    auth::{Caller, Role},
    events::{payloads::CustomerRegistered, NewEvent},
    http::{ClientIp, RequestId},
    outbox, ApiError, Json, JsonObject,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    domain::{NewCustomer, Password, PersonName, RegisterRequest},
    repo::{
        customers::{self, CustomerRow},
        refresh_tokens,
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(me, update_me))
        .routes(routes!(change_password))
}

/// The person behind a token; services have no profile.
fn person(claims: &platform::auth::Claims) -> Result<Uuid, ApiError> {
    if claims.role == Role::Service {
        return Err(ApiError::NotFound);
    }
    claims.sub.parse().map_err(|_| ApiError::NotFound)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"first_name": "Ada", "last_name": "King"}))]
pub struct ProfilePatch {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// Change the caller's own name
///
/// Fields left out keep their value. The email and the marketing choice are
/// not changed here (they need confirming by email).
#[utoipa::path(
    patch,
    path = "/customers/me",
    tag = "customers",
    security(("bearer" = [])),
    request_body = ProfilePatch,
    responses(
        (status = 200, description = "The profile as it is now", body = Customer),
        (status = 401, description = "No valid token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The account no longer exists (or the caller is a service)", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn update_me(
    State(state): State<AppState>,
    Caller(claims): Caller,
    JsonObject(body): JsonObject<ProfilePatch>,
) -> Result<Json<Customer>, ApiError> {
    let id = person(&claims)?;
    let mut conn = state.pool.acquire().await?;
    let current = customers::find_by_id(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut errors = Vec::new();
    let mut name = |field: &str, given: Option<&str>, current: &str| {
        PersonName::parse(given.unwrap_or(current))
            .map_err(|m| errors.push(platform::FieldError::new(field, m)))
            .ok()
    };
    let first = name(
        "first_name",
        body.first_name.as_deref(),
        &current.first_name,
    );
    let last = name("last_name", body.last_name.as_deref(), &current.last_name);
    let (Some(first), Some(last)) = (first, last) else {
        return Err(ApiError::Validation(errors));
    };
    let row = customers::update_names(&mut conn, id, first.as_ref(), last.as_ref())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(row.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "correct horse battery", "new_password": "a new long passphrase"}))]
pub struct PasswordChange {
    #[schema(value_type = String, format = Password)]
    pub current_password: SecretString,
    #[schema(value_type = String, format = Password)]
    pub new_password: SecretString,
}

/// Change the caller's password
///
/// Needs the current one. Every refresh token of the customer is revoked, so
/// every other sign-in ends; sign in again with the new password.
#[utoipa::path(
    post,
    path = "/customers/me/password",
    tag = "customers",
    security(("bearer" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; every sign-in has ended"),
        (status = 401, description = "No valid token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The account no longer exists (or the caller is a service)", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The current password is wrong, or the new one is too short or too long", body = platform::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong current passwords for this account", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn change_password(
    State(state): State<AppState>,
    Caller(claims): Caller,
    JsonObject(body): JsonObject<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let id = person(&claims)?;
    let limit = state.rate_limits.login_per_account;
    let key = id.to_string();
    state
        .limiter
        .check_failures("password-change-failures", &key, limit)
        .await?;
    let new =
        Password::parse(body.new_password).map_err(|m| ApiError::validation("new_password", &m))?;
    let mut conn = state.pool.acquire().await?;
    let current = customers::find_by_id(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    drop(conn);
    if !state
        .hasher
        .verify(&body.current_password, Some(&current.password_hash))
        .await?
    {
        state
            .limiter
            .record_failure("password-change-failures", &key, limit)
            .await;
        return Err(ApiError::validation(
            "current_password",
            "is not your current password",
        ));
    }
    let hash = state.hasher.hash(new.secret()).await?;
    let mut tx = state.pool.begin().await?;
    if !customers::set_password_hash(&mut tx, id, &hash).await? {
        return Err(ApiError::NotFound);
    }
    let revoked = refresh_tokens::revoke_customer(&mut tx, id).await?;
    tx.commit().await?;
    tracing::info!(customer_id = %id, revoked, "password changed; sign-ins ended");
    Ok(StatusCode::NO_CONTENT)
}

/// A customer as clients see it: never the password hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct Customer {
    pub id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub postal_code: Option<String>,
    pub marketing_opt_in: bool,
    #[schema(value_type = String, example = "customer")]
    pub role: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<CustomerRow> for Customer {
    fn from(row: CustomerRow) -> Self {
        Self {
            id: row.id,
            email: row.email,
            first_name: row.first_name,
            last_name: row.last_name,
            phone: row.phone,
            city: row.city,
            province: row.province,
            postal_code: row.postal_code,
            marketing_opt_in: row.marketing_opt_in,
            role: row.role,
            created_at: row.created_at,
        }
    }
}

/// Register a customer
///
/// Emits `customer.registered` through the outbox, in the same transaction.
#[utoipa::path(
    post,
    path = "/customers",
    tag = "customers",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered", body = Customer),
        (status = 409, description = "The email is already registered", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = platform::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many registrations from this client address", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn register(
    State(state): State<AppState>,
    request_id: RequestId,
    ClientIp(client): ClientIp,
    Json(body): Json<RegisterRequest>,
) -> Result<(StatusCode, Json<Customer>), ApiError> {
    // Per client address: a 409 tells whether an email is registered.
    state
        .limiter
        .check("registration", &client, state.rate_limits.registration)
        .await?;
    let customer = NewCustomer::try_from(body).map_err(ApiError::Validation)?;
    // A known email costs no hash (the insert below still catches a race).
    let mut conn = state.pool.acquire().await?;
    let taken = customers::email_exists(&mut conn, customer.email.as_ref()).await?;
    drop(conn);
    if taken {
        return Err(ApiError::Conflict(
            "this email is already registered".to_owned(),
        ));
    }
    // Hash before opening the transaction: no connection is held for 40 ms.
    let hash = state.hasher.hash(customer.password.secret()).await?;
    let mut tx = state.pool.begin().await?;
    let row = customers::insert(&mut tx, &customer, &hash)
        .await
        .map_err(|e| ApiError::from_db(e, "this email is already registered"))?;
    outbox::enqueue(&mut tx, registered_event(&row, request_id)).await?;
    tx.commit().await?;
    tracing::info!(customer_id = %row.id, "customer registered");
    Ok((StatusCode::CREATED, Json(row.into())))
}

fn registered_event(row: &CustomerRow, request_id: RequestId) -> NewEvent {
    let registered = CustomerRegistered {
        customer_id: row.id,
        email: row.email.clone(),
        first_name: row.first_name.clone(),
        last_name: row.last_name.clone(),
        marketing_opt_in: row.marketing_opt_in,
        registered_at: row.created_at,
    };
    NewEvent::new(
        &registered,
        row.id.to_string(),
        row.version,
        Some(request_id.0),
    )
}

/// The caller's own profile
#[utoipa::path(
    get,
    path = "/customers/me",
    tag = "customers",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's profile", body = Customer),
        (status = 401, description = "No valid token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The account no longer exists (or the caller is a service)", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn me(
    State(state): State<AppState>,
    Caller(claims): Caller,
) -> Result<Json<Customer>, ApiError> {
    let id = person(&claims)?;
    let mut conn = state.pool.acquire().await?;
    let row = customers::find_by_id(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(row.into()))
}
