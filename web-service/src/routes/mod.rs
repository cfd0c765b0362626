//! The shop's routes. Paths stay clear of the services' API prefixes
//! (`/products`, `/cart`, `/orders`, ...), which the load balancer sends to
//! the services; everything else comes here.

mod auth;
mod basket;
mod checkout;
mod orders;
mod sales;
mod shop;

use axum::{
    extract::{FromRequestParts, OriginalUri},
    http::request::Parts,
    middleware,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use platform::http::{ClientIp, RequestId};
use utoipa_axum::router::OpenApiRouter;

use crate::{
    api::{Ctx, Failure},
    pages::Chrome,
    session::{Session, Shopper},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/", get(shop::home))
        .route("/shop", get(shop::catalog))
        .route("/shop/{id}", get(shop::product))
        .route("/basket", get(basket::show))
        .route("/basket/items", post(basket::add))
        .route("/basket/items/{id}", post(basket::change))
        .route("/basket/items/{id}/remove", post(basket::remove))
        .route("/checkout", get(checkout::form).post(checkout::place))
        .route("/account", get(auth::account).post(auth::update_account))
        .route("/account/password", post(auth::change_password))
        .route("/account/marketing", post(auth::change_marketing))
        .route("/account/orders", get(orders::list))
        .route("/account/orders/{id}", get(orders::detail))
        .route("/account/orders/{id}/cancel", post(orders::cancel))
        .route("/sales/{id}", get(sales::show))
        .route("/sales/{id}/claim", post(sales::claim))
        .route("/sign-in", get(auth::sign_in_form).post(auth::sign_in))
        .route("/sign-up", get(auth::sign_up_form).post(auth::sign_up))
        .route("/sign-out", post(auth::sign_out))
        .route("/assets/{name}", get(crate::assets::serve))
        .merge(crate::admin::router())
}

/// The kit's hook: sessions around the CSRF check around the routes, and
/// the security headers on everything.
pub fn wrap(routes: axum::Router, state: &AppState) -> axum::Router {
    routes
        .layer(middleware::from_fn(crate::csrf::layer))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::session::layer,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::security::layer,
        ))
}

/// One page view: the session, and who the services are called for.
pub struct Visit {
    pub session: Session,
    pub ctx: Ctx,
    /// The path and query asked for, where sign-in sends the shopper back.
    pub here: String,
}

impl FromRequestParts<AppState> for Visit {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = Session::from_request_parts(parts, state).await?;
        let Ok(ClientIp(address)) = ClientIp::from_request_parts(parts, state).await;
        let Ok(RequestId(request_id)) = RequestId::from_request_parts(parts, state).await;
        let here = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.clone(), |u| u.0.clone())
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned());
        Ok(Visit {
            session,
            ctx: Ctx {
                token: None,
                address,
                request_id,
            },
            here,
        })
    }
}

impl Visit {
    /// The page's header: who is signed in, the cart, and a one-time notice.
    pub fn chrome(&self) -> Chrome {
        let shopper = self.session.shopper();
        let cart_count = match &shopper {
            Some(_) => self.session.cart_count(),
            None => self.session.guest_cart().iter().map(|l| l.quantity).sum(),
        };
        Chrome {
            shopper_name: shopper.map(|s| s.customer.first_name),
            cart_count,
            session: Some(self.session.clone()),
            notice: self.session.take_notice(),
            search: String::new(),
        }
    }

    /// Calls made for the signed-in shopper from now on carry their token;
    /// a guest (or an ended sign-in) is sent to sign in and back here.
    pub async fn signed_in(&mut self, state: &AppState) -> Result<Shopper, Response> {
        self.signed_in_then(state, &self.here.clone()).await
    }

    /// As [`Visit::signed_in`], coming back to `next` after signing in.
    pub async fn signed_in_then(
        &mut self,
        state: &AppState,
        next: &str,
    ) -> Result<Shopper, Response> {
        let token = self
            .session
            .access_token(&state.api, &self.ctx)
            .await
            .map_err(IntoResponse::into_response)?;
        match (token, self.session.shopper()) {
            (Some(token), Some(shopper)) => {
                self.ctx.token = Some(token);
                Ok(shopper)
            }
            _ => Err(sign_in_redirect(next)),
        }
    }

    /// The shopper's token when signed in; a guest stays a guest.
    pub async fn maybe_signed_in(&mut self, state: &AppState) -> Result<Option<Shopper>, Failure> {
        let token = self.session.access_token(&state.api, &self.ctx).await?;
        self.ctx.token = token;
        Ok(self.ctx.token.as_ref().and(self.session.shopper()))
    }
}

pub fn sign_in_redirect(next: &str) -> Response {
    let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    Redirect::to(&format!("/sign-in?next={next}")).into_response()
}

/// Only a path of this site is a place to go back to (no open redirect):
/// `/` then printable ASCII, no second `/` or `\` (a browser reads `//`,
/// `/\` and `/<tab>/` as another host), no spaces or control characters
/// (which would also break the `Location` header).
pub fn safe_next(next: Option<&str>) -> String {
    let local = |n: &str| {
        n.starts_with('/')
            && !matches!(n.as_bytes().get(1), Some(b'/'))
            && n.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'\\')
    };
    match next {
        Some(n) if local(n) => n.to_owned(),
        _ => "/".to_owned(),
    }
}

/// A page rendered as HTML.
pub fn html(page: maud::Markup) -> Response {
    page.into_response()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_a_local_path_is_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/checkout")), "/checkout");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        // Still encoded, it is a path of this site.
        assert_eq!(safe_next(Some("/%09/evil.example")), "/%09/evil.example");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/");
        assert_eq!(safe_next(Some("/shop\r\nSet-Cookie: x=1")), "/");
        assert_eq!(safe_next(Some("/a\\b")), "/");
        assert_eq!(safe_next(Some("/shop?q=mug&page=2")), "/shop?q=mug&page=2");
        assert_eq!(safe_next(Some("")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
