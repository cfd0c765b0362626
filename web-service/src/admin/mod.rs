//! The back office, under `/admin`: the shop's admins run the catalog,
//! stock, orders, campaigns and flash sales and read the daily sales here,
//! through the services' own APIs with their own
//! token (the services decide what an admin may do). Anyone else, guest or
//! customer, gets the shop's 404 page: nothing says the area exists. Every
//! write is a form with the session's CSRF token (checked by the shop's
//! middleware); what cannot be undone asks to confirm first. Each feature's
//! handlers and pages are in one file (docs/services.md, "web-service").

mod campaigns;
mod orders;
mod products;
mod reports;
mod sales;
mod stock;
mod times;

use axum::{
    extract::{FromRequestParts, State},
    http::{header, request::Parts, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use maud::{html, Markup, PreEscaped};
use utoipa_axum::router::OpenApiRouter;

use crate::{
    api::{Failure, Problem},
    pages::{self, errors, Chrome},
    routes::Visit,
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/admin", get(dashboard))
        .route("/admin/products", get(products::list))
        .route(
            "/admin/products/new",
            get(products::new_form).post(products::create),
        )
        .route(
            "/admin/products/{id}",
            get(products::edit_form).post(products::update),
        )
        .route(
            "/admin/products/{id}/deactivate",
            get(products::confirm_deactivate).post(products::deactivate),
        )
        .route("/admin/products/{id}/activate", post(products::activate))
        .route("/admin/stock", get(stock::list))
        .route("/admin/stock/{sku}", get(stock::show).post(stock::set))
        .route("/admin/stock/{sku}/adjustments", post(stock::adjust))
        .route("/admin/orders", get(orders::list))
        .route("/admin/orders/{id}", get(orders::show))
        .route(
            "/admin/orders/{id}/ship",
            get(orders::confirm_ship).post(orders::ship),
        )
        .route("/admin/orders/{id}/deliver", post(orders::deliver))
        .route("/admin/campaigns", get(campaigns::list))
        .route(
            "/admin/campaigns/new",
            get(campaigns::new_form).post(campaigns::create),
        )
        .route(
            "/admin/campaigns/{id}/end",
            get(campaigns::confirm_end).post(campaigns::end),
        )
        .route("/admin/sales", get(sales::list))
        .route("/admin/sales/new", get(sales::new_form).post(sales::create))
        .route("/admin/sales/{id}", get(sales::show))
        .route("/admin/reports", get(reports::daily))
}

/// A visit by a signed-in admin; anyone else is shown the 404 page.
pub struct Admin {
    pub visit: Visit,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let mut visit = Visit::from_request_parts(parts, state).await?;
        match visit.maybe_signed_in(state).await {
            Ok(Some(shopper)) if shopper.is_admin() => Ok(Admin { visit }),
            Ok(_) => Err(errors::status_page(StatusCode::NOT_FOUND)),
            Err(down) => Err(down.into_response()),
        }
    }
}

impl Admin {
    pub fn chrome(&self) -> Chrome {
        self.visit.chrome()
    }
}

/// An admin page: the shop's layout with the back office's menu, never
/// kept by a shared cache.
pub fn page(title: &str, chrome: &Chrome, status: StatusCode, body: Markup) -> Response {
    let markup = pages::layout(
        title,
        chrome,
        html! {
            nav.admin-menu aria-label="Back office" {
                a href="/admin" { "Back office" }
                a href="/admin/products" { "Products" }
                a href="/admin/stock" { "Stock" }
                a href="/admin/orders" { "Orders" }
                a href="/admin/campaigns" { "Campaigns" }
                a href="/admin/sales" { "Flash sales" }
                a href="/admin/reports" { "Daily sales" }
            }
            (PreEscaped(body.into_string()))
        },
    );
    let mut response = (status, markup).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

/// What the service said when it refused, for the admin to read in the page.
pub fn refusal(problem: Option<&Problem>) -> Markup {
    html! {
        @if let Some(problem) = problem {
            div.form-error role="alert" {
                p { strong { (problem.title) } @if let Some(detail) = &problem.detail { ": " (detail) } }
                @if !problem.errors.is_empty() {
                    ul { @for e in &problem.errors { li { code { (e.field) } " " (e.message) } } }
                }
            }
        }
    }
}

/// What `id` names, through `lookup`: the 404 page for a malformed id or
/// one the service does not know, the failed call's page otherwise.
pub async fn found<T, Fut>(id: &str, lookup: impl FnOnce(uuid::Uuid) -> Fut) -> Result<T, Response>
where
    Fut: std::future::Future<Output = Result<Option<T>, Failure>>,
{
    let not_found = || errors::status_page(StatusCode::NOT_FOUND);
    let id = uuid::Uuid::parse_str(id).map_err(|_| not_found())?;
    match lookup(id).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(not_found()),
        Err(e) => Err(e.into_response()),
    }
}

/// A field the form could not read, worded as the services word theirs.
pub fn invalid(field: &str, message: &str) -> Problem {
    Problem {
        status: 422,
        title: "Invalid fields".to_owned(),
        errors: vec![crate::api::FieldError {
            field: field.to_owned(),
            message: message.to_owned(),
        }],
        ..Problem::default()
    }
}

/// A number as typed, sent as a number when it is one (so the service's
/// own field error names a bad one) or as the text typed.
pub fn number(raw: &str) -> serde_json::Value {
    raw.trim().parse::<i64>().map_or_else(
        |_| serde_json::Value::from(raw.trim()),
        serde_json::Value::from,
    )
}

/// The status a refusal is shown with (the service's own, as a page).
pub fn status_of(problem: &Problem) -> StatusCode {
    StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
}

/// A failed call: a refusal is shown in its page by the caller; a service
/// that is down is the unavailable page.
pub fn down(failure: Failure) -> Response {
    failure.into_response()
}

async fn dashboard(State(state): State<AppState>, admin: Admin) -> Response {
    let ctx = &admin.visit.ctx;
    let waiting = crate::api::admin::OrderFilter {
        status: Some("confirmed".to_owned()),
        shipment: Some("pending".to_owned()),
        ..Default::default()
    };
    let (low, to_ship) = tokio::join!(
        state.api.stock_list(ctx, None, true, None),
        state.api.admin_orders(ctx, &waiting)
    );
    let chrome = admin.chrome();
    page(
        "Back office",
        &chrome,
        StatusCode::OK,
        html! {
            h1 { "Back office" }
            div.cards {
                section.card {
                    h2 { a href="/admin/stock?low=true" { "Low stock" } }
                    @match &low {
                        Ok(page) => p { (page.items.len()) @if page.next_cursor.is_some() { "+" } " SKUs under their threshold" },
                        Err(_) => (pages::unavailable_section("Stock")),
                    }
                }
                section.card {
                    h2 { a href="/admin/orders?status=confirmed&shipment=pending" { "To ship" } }
                    @match &to_ship {
                        Ok(page) => p { (page.items.len()) @if page.next_cursor.is_some() { "+" } " confirmed orders waiting to be shipped" },
                        Err(_) => (pages::unavailable_section("Orders")),
                    }
                }
                section.card {
                    h2 { a href="/admin/products" { "Products" } }
                    p { a href="/admin/products/new" { "Add a product" } }
                }
            }
        },
    )
}
