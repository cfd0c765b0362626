//! Flash sales: the list with live remaining units and status, a new sale
//! from a SKU (the quantity checked by inventory against the SKU's
//! available stock; times in the admin's zone, shown with UTC), and a live
//! view during a sale (remaining, claims/s, checked out) that the page's
//! script refreshes in place every two seconds.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};
use time::{OffsetDateTime, UtcOffset};

use super::{
    invalid, number, page, refusal, status_of,
    times::{self, OFFSET_FIELD},
    Admin,
};
use crate::{
    api::{
        admin::SaleFigures,
        types::{FlashSale, SaleStatus},
        Failure, Problem,
    },
    pages::{csrf_field, field_error, money, utc, Chrome},
    state::AppState,
};

fn status_label(status: SaleStatus) -> (&'static str, &'static str) {
    match status {
        SaleStatus::Scheduled => ("Scheduled", "status wait"),
        SaleStatus::Active => ("Live", "status ok"),
        SaleStatus::SoldOut => ("Sold out", "status off"),
        SaleStatus::Ended => ("Ended", "status off"),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    admin: Admin,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    let sales = match state
        .api
        .admin_sales(&admin.visit.ctx, query.cursor.as_deref())
        .await
    {
        Ok(s) => Ok(s),
        Err(Failure::Refused(p)) => Err(p),
        Err(down) => return super::down(down),
    };
    let chrome = admin.chrome();
    let status = sales.as_ref().err().map_or(StatusCode::OK, status_of);
    page(
        "Flash sales",
        &chrome,
        status,
        html! {
            div.heading {
                h1 { "Flash sales" }
                a.button.primary href="/admin/sales/new" { "New flash sale" }
            }
            @match &sales {
                Err(problem) => (refusal(Some(problem))),
                Ok(s) if s.items.is_empty() => p { "No flash sales yet." },
                Ok(s) => {
                    table.admin {
                        thead { tr { th { "SKU" } th { "Runs (UTC)" } th.num { "Price" } th.num { "Remaining" } th { "State" } } }
                        tbody {
                            @for sale in &s.items {
                                @let (label, class) = status_label(sale.status);
                                tr {
                                    td { a href=(format!("/admin/sales/{}", sale.id)) { code { (sale.sku) } } }
                                    td { (utc(sale.starts_at)) " – " (utc(sale.ends_at)) }
                                    td.num { (money(sale.price_cents, &sale.currency)) }
                                    td.num { (sale.remaining) " of " (sale.quantity) }
                                    td { span class=(class) { (label) } }
                                }
                            }
                        }
                    }
                    @if let Some(cursor) = &s.next_cursor {
                        p { a.button href=(format!("/admin/sales?cursor={cursor}")) { "More sales" } }
                    }
                }
            }
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct SaleForm {
    #[serde(default)]
    sku: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    per_customer_limit: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    #[serde(default)]
    utc_offset_minutes: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    sku: Option<String>,
}

async fn available_line(state: &AppState, admin: &Admin, sku: &str) -> Markup {
    if sku.trim().is_empty() {
        return html! {};
    }
    match state.api.stock_levels(&admin.visit.ctx, sku.trim()).await {
        Ok(Some(levels)) => {
            html! { p.hint { (levels.sku) ": " strong { (levels.available) } " available to put on sale." } }
        }
        Ok(None) => html! { p.hint { "No stock is known for " (sku) "." } },
        Err(_) => crate::pages::unavailable_section("Stock"),
    }
}

fn form_page(
    chrome: &Chrome,
    values: &SaleForm,
    offset: UtcOffset,
    available: &Markup,
    problem: Option<&Problem>,
    status: StatusCode,
) -> Response {
    let field = |name: &str| problem.and_then(|p| p.field(name));
    let general = problem.filter(|p| p.errors.is_empty());
    let zone = times::zone_name(offset);
    page(
        "New flash sale",
        chrome,
        status,
        html! {
            section.narrow {
                h1 { "New flash sale" }
                (refusal(general))
                form.stacked action="/admin/sales/new" method="post" novalidate data-local-times {
                    (csrf_field(&chrome.csrf()))
                    input type="hidden" name=(OFFSET_FIELD) value=(offset.whole_minutes());
                    label for="sku" { "SKU" }
                    input #sku name="sku" value=(values.sku) required autocapitalize="characters";
                    (field_error(field("sku"), "sku"))
                    (available)
                    label for="quantity" { "Units for the sale" }
                    input #quantity name="quantity" type="number" min="1" value=(values.quantity) required;
                    (field_error(field("quantity"), "quantity"))
                    label for="price" { "Sale price" }
                    input #price name="price" value=(values.price) inputmode="decimal" required;
                    (field_error(field("price_cents"), "price"))
                    label for="per_customer_limit" { "Units per customer" }
                    input #per_customer_limit name="per_customer_limit" type="number" min="1" value=(values.per_customer_limit) required;
                    (field_error(field("per_customer_limit"), "per_customer_limit"))
                    label for="starts_at" { "Starts (" span data-zone { (zone) } ")" }
                    input #starts_at type="datetime-local" name="starts_at" value=(values.starts_at) required;
                    (field_error(field("starts_at"), "starts_at"))
                    label for="ends_at" { "Ends (" span data-zone { (zone) } ")" }
                    input #ends_at type="datetime-local" name="ends_at" value=(values.ends_at) required;
                    (field_error(field("ends_at"), "ends_at"))
                    button.primary type="submit" { "Create flash sale" }
                }
            }
        },
    )
}

pub async fn new_form(
    State(state): State<AppState>,
    admin: Admin,
    query: Result<Query<NewQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    let now = OffsetDateTime::now_utc();
    let values = SaleForm {
        sku: query.sku.unwrap_or_default(),
        per_customer_limit: "1".to_owned(),
        starts_at: times::input_value(now + time::Duration::hours(1), UtcOffset::UTC),
        ends_at: times::input_value(now + time::Duration::hours(2), UtcOffset::UTC),
        ..SaleForm::default()
    };
    let available = available_line(&state, &admin, &values.sku).await;
    form_page(
        &admin.chrome(),
        &values,
        UtcOffset::UTC,
        &available,
        None,
        StatusCode::OK,
    )
}

fn body(form: &SaleForm, offset: UtcOffset) -> Result<Value, Problem> {
    let at = |raw: &str, field: &str| {
        times::parse_local(raw, offset)
            .and_then(|at| {
                at.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .ok_or_else(|| invalid(field, "must be a date and time"))
    };
    let price = super::products::price_cents(&form.price)
        .ok_or_else(|| invalid("price_cents", "must be a price such as 9.99"))?;
    Ok(json!({
        "sku": form.sku.trim(),
        "quantity": number(&form.quantity),
        "price_cents": price,
        "per_customer_limit": number(&form.per_customer_limit),
        "starts_at": at(&form.starts_at, "starts_at")?,
        "ends_at": at(&form.ends_at, "ends_at")?,
    }))
}

pub async fn create(
    State(state): State<AppState>,
    admin: Admin,
    Form(form): Form<SaleForm>,
) -> Response {
    let offset = times::offset(form.utc_offset_minutes.as_deref());
    let refused = |problem: Problem, available: Markup| {
        let status = status_of(&problem);
        form_page(
            &admin.chrome(),
            &form,
            offset,
            &available,
            Some(&problem),
            status,
        )
    };
    let body = match body(&form, offset) {
        Ok(body) => body,
        Err(problem) => {
            let available = available_line(&state, &admin, &form.sku).await;
            return refused(problem, available);
        }
    };
    match state.api.create_sale(&admin.visit.ctx, &body).await {
        Ok(sale) => {
            admin
                .visit
                .session
                .notify(format!("The flash sale of {} is set.", sale.sku));
            Redirect::to(&format!("/admin/sales/{}", sale.id)).into_response()
        }
        Err(Failure::Refused(problem)) => {
            let available = available_line(&state, &admin, &form.sku).await;
            refused(problem, available)
        }
        Err(down) => super::down(down),
    }
}

fn figures_section(sale: &FlashSale, figures: Option<&SaleFigures>) -> Markup {
    let (label, class) = status_label(sale.status);
    html! {
        section #sale-live data-refresh="2000" aria-live="polite" {
            p { span class=(class) { (label) } }
            @match figures {
                Some(f) => {
                    dl.stats {
                        div.key { dt { "Remaining" } dd data-remaining { strong { (f.remaining) } " of " (f.quantity) } }
                        div { dt { "Claims" } dd { (f.claims) } }
                        div { dt { "Claims per second (last 10 s)" } dd data-claims-per-second { (format!("{:.1}", f.claims_per_second)) } }
                        div { dt { "Reserved, not yet checked out" } dd { (f.held) } }
                        div { dt { "Checked out" } dd data-checked-out { (f.checked_out) } }
                        div { dt { "Given back (released, expired, returned)" } dd { (f.given_back) } }
                    }
                }
                None => (crate::pages::unavailable_section("The sale's figures")),
            }
        }
    }
}

pub async fn show(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Response {
    let ctx = &admin.visit.ctx;
    let sale = match super::found(&id, |id| state.api.flash_sale(ctx, id)).await {
        Ok(sale) => sale,
        Err(page) => return page,
    };
    let figures = state.api.sale_figures(ctx, sale.id).await.ok();
    let chrome = admin.chrome();
    page(
        &format!("Flash sale of {}", sale.sku),
        &chrome,
        StatusCode::OK,
        html! {
            h1 { "Flash sale of " code { (sale.sku) } }
            p {
                (money(sale.price_cents, &sale.currency)) " · " (sale.per_customer_limit) " per customer · "
                time datetime=(crate::pages::rfc3339(sale.starts_at)) data-local { (utc(sale.starts_at)) }
                " – "
                time datetime=(crate::pages::rfc3339(sale.ends_at)) data-local { (utc(sale.ends_at)) }
            }
            (figures_section(&sale, figures.as_ref()))
            p { a href=(format!("/admin/sales/{}", sale.id)) { "Refresh" } " · " a href="/admin/sales" { "All flash sales" } }
        },
    )
}
