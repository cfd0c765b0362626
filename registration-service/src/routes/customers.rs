//! `POST /customers` (register) and `GET /customers/me`.

use axum::{extract::State, http::StatusCode};
use platform::{
    auth::{Caller, Role},
    events::{payloads::CustomerRegistered, NewEvent},
    http::{ClientIp, RequestId},
    outbox, ApiError, Json,
};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    domain::{NewCustomer, RegisterRequest},
    repo::customers::{self, CustomerRow},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(me))
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
    if claims.role == Role::Service {
        return Err(ApiError::NotFound);
    }
    let id: Uuid = claims.sub.parse().map_err(|_| ApiError::NotFound)?;
    let mut conn = state.pool.acquire().await?;
    let row = customers::find_by_id(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(row.into()))
}
