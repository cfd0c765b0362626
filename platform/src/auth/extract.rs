//! Extractors for the caller's identity and role.

use std::sync::Arc;

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{header, request::Parts},
};

use super::{
    claims::{Claims, Role},
    verifier::{AuthError, TokenVerifier},
};
use crate::error::ApiError;

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::KeysUnavailable(cause) => {
                tracing::warn!(error = format!("{cause:#}"), "JWKS unavailable");
                ApiError::Unavailable("the token issuer".to_owned())
            }
            other => ApiError::Unauthorized(other.to_string()),
        }
    }
}

fn bearer(parts: &Parts) -> Result<&str, AuthError> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or(AuthError::Missing)?
        .to_str()
        .map_err(|_| AuthError::Invalid("the Authorization header is not text".to_owned()))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| AuthError::Invalid("expected `Authorization: Bearer <token>`".to_owned()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::Invalid(
            "expected `Authorization: Bearer <token>`".to_owned(),
        ));
    }
    Ok(token.trim())
}

async fn claims_of<S>(parts: &Parts, state: &S) -> Result<Claims, ApiError>
where
    Arc<TokenVerifier>: FromRef<S>,
{
    let verifier = Arc::<TokenVerifier>::from_ref(state);
    Ok(verifier.verify(bearer(parts)?).await?)
}

/// Any authenticated caller (customer, admin or service).
#[derive(Debug, Clone)]
pub struct Caller(pub Claims);

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    Arc<TokenVerifier>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        claims_of(parts, state).await.map(Caller)
    }
}

/// An admin; anyone else gets 403.
#[derive(Debug, Clone)]
pub struct AdminUser(pub Claims);

impl<S> FromRequestParts<S> for AdminUser
where
    S: Send + Sync,
    Arc<TokenVerifier>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let claims = claims_of(parts, state).await?;
        match claims.role {
            Role::Admin => Ok(AdminUser(claims)),
            _ => Err(ApiError::Forbidden),
        }
    }
}

/// Another Storefront service (client-credentials token); anyone else gets 403.
#[derive(Debug, Clone)]
pub struct ServiceCaller(pub Claims);

impl<S> FromRequestParts<S> for ServiceCaller
where
    S: Send + Sync,
    Arc<TokenVerifier>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let claims = claims_of(parts, state).await?;
        match claims.role {
            Role::Service => Ok(ServiceCaller(claims)),
            _ => Err(ApiError::Forbidden),
        }
    }
}

/// The caller if a token was sent (it must then be valid), or `None` for an
/// anonymous request.
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Claims>);

impl<S> FromRequestParts<S> for MaybeCaller
where
    S: Send + Sync,
    Arc<TokenVerifier>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(MaybeCaller(None));
        }
        claims_of(parts, state).await.map(|c| MaybeCaller(Some(c)))
    }
}

impl MaybeCaller {
    pub fn is_admin(&self) -> bool {
        self.0.as_ref().is_some_and(|c| c.role == Role::Admin)
    }
}
