//! `/campaigns`: admins write; anyone may list the active ones.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use platform::{
    auth::{AdminUser, MaybeCaller},
    pagination::{decode_cursor, page, page_size, Page},
    ApiError, FieldError, Json, Query,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    domain::{campaign, CampaignPatch, CampaignRequest, NewCampaign, Offer, OfferRequest},
    repo::campaigns::{self, CampaignRow},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get_one, update, delete))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromoCodeView {
    pub code: String,
    pub max_redemptions: Option<i32>,
    pub per_customer_limit: Option<i32>,
    pub min_order_cents: i64,
    /// Active (unreleased) redemptions so far.
    pub redeemed_count: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Campaign {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub offer: OfferRequest,
    pub currency: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    /// Whether the campaign is running now.
    pub active: bool,
    pub promo_code: Option<PromoCodeView>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<CampaignRow> for Campaign {
    fn from(row: CampaignRow) -> Self {
        Self {
            offer: row.offer().to_request(),
            active: row.is_active_at(OffsetDateTime::now_utc()),
            promo_code: row.code.clone().map(|code| PromoCodeView {
                code,
                max_redemptions: row.max_redemptions,
                per_customer_limit: row.per_customer_limit,
                min_order_cents: row.min_order_cents.unwrap_or_default(),
                redeemed_count: row.redeemed_count.unwrap_or_default(),
            }),
            id: row.id,
            name: row.name,
            description: row.description,
            currency: row.currency,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            created_at: row.created_at,
        }
    }
}

/// Create a campaign (admin)
#[utoipa::path(
    post, path = "/campaigns", tag = "campaigns", security(("bearer" = [])),
    request_body = CampaignRequest,
    responses(
        (status = 201, description = "Created", body = Campaign),
        (status = 401, description = "No valid token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = platform::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The promo code is taken", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn create(
    State(state): State<AppState>,
    _admin: AdminUser,
    Json(body): Json<CampaignRequest>,
) -> Result<(StatusCode, Json<Campaign>), ApiError> {
    let campaign = NewCampaign::try_from(body).map_err(ApiError::Validation)?;
    let mut tx = state.pool.begin().await?;
    let id = campaigns::insert(&mut tx, &campaign, &state.shop_currency)
        .await
        .map_err(|e| ApiError::from_db(e, "this promo code is already used by another campaign"))?;
    let row = campaigns::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only campaigns running now (anyone may ask); without it, admins only.
    pub active: Option<bool>,
    pub cursor: Option<String>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// List campaigns
#[utoipa::path(
    get, path = "/campaigns", tag = "campaigns", params(ListParams),
    responses(
        (status = 200, description = "A page of campaigns", body = Page<Campaign>),
        (status = 400, description = "A tampered cursor", body = platform::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Listing all campaigns needs an admin token", body = platform::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn list(
    State(state): State<AppState>,
    caller: MaybeCaller,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<Campaign>>, ApiError> {
    let active_only = params.active.unwrap_or(false);
    if !active_only && !caller.is_admin() {
        return Err(match caller.0 {
            None => ApiError::Unauthorized(
                "listing every campaign needs an admin token; use ?active=true".to_owned(),
            ),
            Some(_) => ApiError::Forbidden,
        });
    }
    let limit = page_size(params.limit)?;
    let after = decode_cursor(params.cursor.as_deref())?;
    let mut conn = state.pool.acquire().await?;
    let rows = campaigns::list(&mut conn, active_only, after, limit + 1).await?;
    Ok(Json(page(rows, limit, |r| r.id, Campaign::from)))
}

/// Get a campaign (running ones for anyone; any for admins)
#[utoipa::path(
    get, path = "/campaigns/{id}", tag = "campaigns",
    responses(
        (status = 200, description = "The campaign", body = Campaign),
        (status = 404, description = "No such campaign", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_one(
    State(state): State<AppState>,
    caller: MaybeCaller,
    Path(id): Path<Uuid>,
) -> Result<Json<Campaign>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let row = campaigns::find(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !caller.is_admin() && !row.is_active_at(OffsetDateTime::now_utc()) {
        return Err(ApiError::NotFound);
    }
    Ok(Json(row.into()))
}

/// Change a campaign (admin)
#[utoipa::path(
    patch, path = "/campaigns/{id}", tag = "campaigns", security(("bearer" = [])),
    request_body = CampaignPatch,
    responses(
        (status = 200, description = "The changed campaign", body = Campaign),
        (status = 404, description = "No such campaign", body = platform::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn update(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(patch): Json<CampaignPatch>,
) -> Result<Json<Campaign>, ApiError> {
    let mut tx = state.pool.begin().await?;
    let current = campaigns::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut errors: Vec<FieldError> = Vec::new();
    let name = campaign::check_name(patch.name.as_deref().unwrap_or(&current.name), &mut errors);
    let description = campaign::check_description(
        patch.description.as_deref().unwrap_or(&current.description),
        &mut errors,
    );
    let offer = match &patch.offer {
        Some(request) => Offer::parse(request).map_err(|e| errors.push(e)).ok(),
        None => Some(current.offer()),
    };
    let starts_at = patch.starts_at.unwrap_or(current.starts_at);
    let ends_at = patch.ends_at.unwrap_or(current.ends_at);
    campaign::check_window(starts_at, ends_at, &mut errors);
    let (Some(offer), true) = (offer, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    campaigns::update(&mut tx, id, &name, &description, offer, starts_at, ends_at).await?;
    let row = campaigns::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(row.into()))
}

/// Delete a campaign (admin); its promo code stops applying
#[utoipa::path(
    delete, path = "/campaigns/{id}", tag = "campaigns", security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such campaign", body = platform::Problem, content_type = "application/problem+json"),
    )
)]
async fn delete(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let mut conn = state.pool.acquire().await?;
    if campaigns::soft_delete(&mut conn, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
