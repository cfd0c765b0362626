//! Stock: every SKU with on-hand, reserved, allocated to sales and
//! available (low ones highlighted, or alone); a SKU's page sets on-hand and
//! the threshold, adjusts with a reason, and lists the movements.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::html;
use serde::Deserialize;

use super::{number, page, refusal, status_of, Admin};
use crate::{
    api::{admin::StockLevels, Failure, Problem},
    pages::{csrf_field, field_error, utc},
    state::AppState,
};

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    sku: Option<String>,
    low: Option<String>,
    cursor: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    admin: Admin,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    let prefix = query
        .sku
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let low = query.low.as_deref() == Some("true");
    let stock = match state
        .api
        .stock_list(&admin.visit.ctx, prefix, low, query.cursor.as_deref())
        .await
    {
        Ok(stock) => Ok(stock),
        Err(Failure::Refused(problem)) => Err(problem),
        Err(down) => return super::down(down),
    };
    let next = |cursor: &str| {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        if let Some(prefix) = prefix {
            qs.append_pair("sku", prefix);
        }
        if low {
            qs.append_pair("low", "true");
        }
        qs.append_pair("cursor", cursor);
        format!("/admin/stock?{}", qs.finish())
    };
    let chrome = admin.chrome();
    let status = stock.as_ref().err().map_or(StatusCode::OK, status_of);
    page(
        "Stock",
        &chrome,
        status,
        html! {
            h1 { "Stock" }
            form.admin-filters action="/admin/stock" method="get" {
                label for="stock-sku" { "SKU starts with" }
                input #stock-sku name="sku" value=(prefix.unwrap_or_default());
                label.check { input type="checkbox" name="low" value="true" checked[low]; " Low stock only" }
                button type="submit" { "Show" }
            }
            @match &stock {
                Err(problem) => (refusal(Some(problem))),
                Ok(stock) if stock.items.is_empty() => p { "No SKUs here." },
                Ok(stock) => {
                    table.admin {
                        thead { tr { th { "SKU" } th.num { "On hand" } th.num { "Reserved" } th.num { "In sales" } th.num { "Available" } th.num { "Threshold" } } }
                        tbody {
                            @for s in &stock.items {
                                tr.low[s.is_low()] {
                                    td { a href=(format!("/admin/stock/{}", s.sku)) { code { (s.sku) } } @if s.is_low() { " " span.badge.warning { "Low" } } }
                                    td.num { (s.on_hand) }
                                    td.num { (s.reserved) }
                                    td.num { (s.allocated_to_sales) }
                                    td.num { strong { (s.available) } }
                                    td.num { (s.low_stock_threshold) }
                                }
                            }
                        }
                    }
                    @if let Some(cursor) = &stock.next_cursor {
                        p { a.button href=(next(cursor)) { "Next page" } }
                    }
                }
            }
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct MovementsQuery {
    cursor: Option<String>,
}

async fn render(
    state: &AppState,
    admin: &Admin,
    sku: &str,
    cursor: Option<&str>,
    problem: Option<&Problem>,
    status: StatusCode,
) -> Response {
    let ctx = &admin.visit.ctx;
    let levels = match state.api.stock_levels(ctx, sku).await {
        Ok(Some(levels)) => levels,
        Ok(None) => return crate::pages::errors::status_page(StatusCode::NOT_FOUND),
        Err(e) => return e.into_response(),
    };
    let movements = state.api.stock_movements(ctx, &levels.sku, cursor).await;
    let chrome = admin.chrome();
    let field = |name: &str| problem.and_then(|p| p.field(name));
    let invalid = |name: &str| {
        if field(name).is_some() {
            "true"
        } else {
            "false"
        }
    };
    let general = problem.filter(|p| p.errors.is_empty());
    let StockLevels { sku, .. } = &levels;
    page(
        &format!("Stock of {sku}"),
        &chrome,
        status,
        html! {
            h1 { "Stock of " code { (sku) } }
            @if levels.is_low() { p.notice role="status" { "Low: " (levels.available) " available, under the threshold of " (levels.low_stock_threshold) "." } }
            dl.stats {
                div { dt { "On hand" } dd { (levels.on_hand) } }
                div { dt { "Reserved by orders" } dd { (levels.reserved) } }
                div { dt { "Allocated to flash sales" } dd { (levels.allocated_to_sales) } }
                div.key { dt { "Available" } dd { (levels.available) } }
                div { dt { "Low-stock threshold" } dd { (levels.low_stock_threshold) } }
            }
            p.hint { "Changed " (utc(levels.updated_at)) }
            (refusal(general))
            div.cards {
                form.stacked.card action=(format!("/admin/stock/{sku}")) method="post" novalidate {
                    (csrf_field(&chrome.csrf()))
                    h2 { "Set the levels" }
                    label for="on_hand" { "On hand" }
                    input #on_hand name="on_hand" type="number" min="0" value=(levels.on_hand) required aria-invalid=(invalid("on_hand"));
                    (field_error(field("on_hand"), "on_hand"))
                    label for="low_stock_threshold" { "Low-stock threshold" }
                    input #low_stock_threshold name="low_stock_threshold" type="number" min="0" value=(levels.low_stock_threshold) required aria-invalid=(invalid("low_stock_threshold"));
                    (field_error(field("low_stock_threshold"), "low_stock_threshold"))
                    button type="submit" { "Save levels" }
                }
                form.stacked.card action=(format!("/admin/stock/{sku}/adjustments")) method="post" novalidate {
                    (csrf_field(&chrome.csrf()))
                    h2 { "Adjust" }
                    label for="delta" { "Units to add (negative to take away)" }
                    input #delta name="delta" type="number" required aria-invalid=(invalid("delta"));
                    (field_error(field("delta"), "delta"))
                    label for="reason" { "Reason" }
                    input #reason name="reason" maxlength="500" required aria-invalid=(invalid("reason"));
                    (field_error(field("reason"), "reason"))
                    button type="submit" { "Record adjustment" }
                }
            }
            h2 { "Movements" }
            @match &movements {
                Ok(m) if m.items.is_empty() => p { "No movements yet." },
                Ok(m) => {
                    table.admin {
                        thead { tr { th { "When" } th.num { "Units" } th { "Kind" } th { "Reason" } } }
                        tbody {
                            @for mv in &m.items {
                                tr {
                                    td { (utc(mv.created_at)) }
                                    td.num { @if mv.delta > 0 { "+" } (mv.delta) }
                                    td { (mv.kind) }
                                    td { (mv.reason) }
                                }
                            }
                        }
                    }
                    @if let Some(cursor) = &m.next_cursor {
                        p { a.button href=(format!("/admin/stock/{sku}?cursor={cursor}")) { "Older movements" } }
                    }
                }
                Err(_) => (crate::pages::unavailable_section("The movement history")),
            }
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    admin: Admin,
    Path(sku): Path<String>,
    query: Result<Query<MovementsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    render(
        &state,
        &admin,
        &sku,
        query.cursor.as_deref(),
        None,
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct LevelsForm {
    #[serde(default)]
    on_hand: String,
    #[serde(default)]
    low_stock_threshold: String,
}

pub async fn set(
    State(state): State<AppState>,
    admin: Admin,
    Path(sku): Path<String>,
    Form(form): Form<LevelsForm>,
) -> Response {
    let result = state
        .api
        .set_stock_levels(
            &admin.visit.ctx,
            &sku,
            &number(&form.on_hand),
            &number(&form.low_stock_threshold),
        )
        .await;
    after_change(&state, &admin, &sku, result, "The levels are saved.").await
}

#[derive(Debug, Deserialize)]
pub struct AdjustForm {
    #[serde(default)]
    delta: String,
    #[serde(default)]
    reason: String,
}

pub async fn adjust(
    State(state): State<AppState>,
    admin: Admin,
    Path(sku): Path<String>,
    Form(form): Form<AdjustForm>,
) -> Response {
    let result = state
        .api
        .adjust_stock(
            &admin.visit.ctx,
            &sku,
            &number(&form.delta),
            form.reason.trim(),
        )
        .await;
    after_change(&state, &admin, &sku, result, "The adjustment is recorded.").await
}

async fn after_change(
    state: &AppState,
    admin: &Admin,
    sku: &str,
    result: Result<StockLevels, Failure>,
    done: &str,
) -> Response {
    match result {
        Ok(levels) => {
            admin.visit.session.notify(done);
            Redirect::to(&format!("/admin/stock/{}", levels.sku)).into_response()
        }
        Err(Failure::Refused(problem)) => {
            render(state, admin, sku, None, Some(&problem), status_of(&problem)).await
        }
        Err(down) => super::down(down),
    }
}
