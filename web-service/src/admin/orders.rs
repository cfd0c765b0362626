//! Orders: everyone's, filtered by status, shipment and the days placed;
//! an order's page with its emails (campaign-service's log); ship after a
//! confirmation, then deliver.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use maud::html;
use serde::Deserialize;

use super::{page, refusal, status_of, Admin};
use crate::{
    api::{
        admin::OrderFilter,
        types::{Order, OrderStatus},
        Failure,
    },
    pages::{
        csrf_field, money,
        orders::{short, status_badge, summary},
        utc,
    },
    state::AppState,
};

/// The filters as the form sends them; empty means any.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    shipment: String,
    #[serde(default)]
    placed_from: String,
    #[serde(default)]
    placed_to: String,
    cursor: Option<String>,
}

fn given(raw: &str) -> Option<String> {
    Some(raw.trim().to_owned()).filter(|s| !s.is_empty())
}

const STATUSES: [(&str, &str); 5] = [
    ("", "Any"),
    ("pending", "Being placed"),
    ("confirmed", "Confirmed"),
    ("failed", "Not placed"),
    ("cancelled", "Cancelled"),
];

const SHIPMENTS: [(&str, &str); 4] = [
    ("", "Any"),
    ("pending", "Not shipped yet"),
    ("shipped", "Shipped"),
    ("delivered", "Delivered"),
];

pub async fn list(
    State(state): State<AppState>,
    admin: Admin,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    let filter = OrderFilter {
        status: given(&query.status),
        shipment: given(&query.shipment),
        placed_from: given(&query.placed_from),
        placed_to: given(&query.placed_to),
        cursor: query.cursor.clone(),
    };
    let orders = match state.api.admin_orders(&admin.visit.ctx, &filter).await {
        Ok(orders) => Ok(orders),
        Err(Failure::Refused(problem)) => Err(problem),
        Err(down) => return super::down(down),
    };
    let next = |cursor: &str| {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("status", &query.status),
            ("shipment", &query.shipment),
            ("placed_from", &query.placed_from),
            ("placed_to", &query.placed_to),
        ] {
            qs.append_pair(name, value);
        }
        qs.append_pair("cursor", cursor);
        format!("/admin/orders?{}", qs.finish())
    };
    let chrome = admin.chrome();
    let status = orders.as_ref().err().map_or(StatusCode::OK, status_of);
    page(
        "Orders",
        &chrome,
        status,
        html! {
            h1 { "Orders" }
            form.admin-filters action="/admin/orders" method="get" {
                label for="status" { "Status" }
                select #status name="status" {
                    @for (value, label) in STATUSES { option value=(value) selected[query.status == value] { (label) } }
                }
                label for="shipment" { "Shipment" }
                select #shipment name="shipment" {
                    @for (value, label) in SHIPMENTS { option value=(value) selected[query.shipment == value] { (label) } }
                }
                label for="placed_from" { "Placed from (UTC)" }
                input #placed_from type="date" name="placed_from" value=(query.placed_from);
                label for="placed_to" { "to" }
                input #placed_to type="date" name="placed_to" value=(query.placed_to);
                button type="submit" { "Filter" }
            }
            @match &orders {
                Err(problem) => (refusal(Some(problem))),
                Ok(orders) if orders.items.is_empty() => p { "No orders match." },
                Ok(orders) => {
                    table.admin {
                        thead { tr { th { "Placed" } th { "Order" } th { "Status" } th { "Shipment" } th.num { "Total" } } }
                        tbody {
                            @for order in &orders.items {
                                tr {
                                    td { (utc(order.created_at)) }
                                    td { a href=(format!("/admin/orders/{}", order.id)) { (short(order)) } }
                                    td { (status_badge(order.status)) }
                                    td { (order.shipment.as_ref().map_or("—", |s| s.status.as_str())) }
                                    td.num { (money(order.total_cents, &order.currency)) }
                                }
                            }
                        }
                    }
                    @if let Some(cursor) = &orders.next_cursor {
                        p { a.button href=(next(cursor)) { "Older orders" } }
                    }
                }
            }
        },
    )
}

async fn find(state: &AppState, admin: &Admin, id: &str) -> Result<Order, Response> {
    super::found(id, |id| state.api.order(&admin.visit.ctx, id)).await
}

fn shipment_status(order: &Order) -> Option<&str> {
    order.shipment.as_ref().map(|s| s.status.as_str())
}

pub async fn show(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Response {
    let order = match find(&state, &admin, &id).await {
        Ok(order) => order,
        Err(r) => return r,
    };
    let emails = state
        .api
        .emails_about(&admin.visit.ctx, &order.id.to_string())
        .await;
    let chrome = admin.chrome();
    let can_ship =
        order.status == OrderStatus::Confirmed && shipment_status(&order) == Some("pending");
    let can_deliver = shipment_status(&order) == Some("shipped");
    page(
        &format!("Order {}", short(&order)),
        &chrome,
        StatusCode::OK,
        html! {
            h1 { "Order " (short(&order)) " " (status_badge(order.status)) }
            p { "Placed " (utc(order.created_at)) " · " code { (order.id) } }
            @if let Some(reason) = &order.reason { p.form-error { "Not placed: " (reason) } }
            (summary(&order))
            @if can_ship {
                p { a.button.primary href=(format!("/admin/orders/{}/ship", order.id)) { "Ship this order" } }
            }
            @if can_deliver {
                form.inline action=(format!("/admin/orders/{}/deliver", order.id)) method="post" {
                    (csrf_field(&chrome.csrf()))
                    button.primary type="submit" { "Record delivery" }
                }
            }
            h2 { "Emails about this order" }
            @match &emails {
                Ok(emails) if emails.items.is_empty() => p { "None yet." },
                Ok(emails) => {
                    table.admin {
                        thead { tr { th { "Written" } th { "Kind" } th { "To" } th { "Subject" } th { "Status" } } }
                        tbody {
                            @for e in &emails.items {
                                tr {
                                    td { (utc(e.created_at)) }
                                    td { (e.kind) }
                                    td { (e.to) }
                                    td { (e.subject) }
                                    td { (e.status) @if let Some(at) = e.sent_at { " " (utc(at)) } }
                                }
                            }
                        }
                    }
                }
                Err(_) => (crate::pages::unavailable_section("The email log")),
            }
            p { a href="/admin/orders" { "All orders" } }
        },
    )
}

pub async fn confirm_ship(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Response {
    let order = match find(&state, &admin, &id).await {
        Ok(order) => order,
        Err(r) => return r,
    };
    let chrome = admin.chrome();
    page(
        "Ship an order",
        &chrome,
        StatusCode::OK,
        html! {
            section.narrow {
                h1 { "Ship order " (short(&order)) "?" }
                p { "It goes to the carrier now: the customer is emailed the tracking number, and the order can no longer be cancelled." }
                form.stacked action=(format!("/admin/orders/{}/ship", order.id)) method="post" {
                    (csrf_field(&chrome.csrf()))
                    button.primary type="submit" { "Ship order " (short(&order)) }
                }
                p { a href=(format!("/admin/orders/{}", order.id)) { "Not now" } }
            }
        },
    )
}

async fn fulfil(state: &AppState, admin: &Admin, id: &str, step: &str, done: &str) -> Response {
    let order = match find(state, admin, id).await {
        Ok(order) => order,
        Err(r) => return r,
    };
    match state.api.fulfil(&admin.visit.ctx, order.id, step).await {
        Ok(_) => admin.visit.session.notify(done),
        Err(Failure::Refused(problem)) => {
            admin
                .visit
                .session
                .notify(format!("{}: {}", problem.title, problem.message()));
        }
        Err(down) => return super::down(down),
    }
    Redirect::to(&format!("/admin/orders/{}", order.id)).into_response()
}

pub async fn ship(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Response {
    fulfil(
        &state,
        &admin,
        &id,
        "ship",
        "The order is shipped; the customer is emailed.",
    )
    .await
}

pub async fn deliver(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Response {
    fulfil(&state, &admin, &id, "deliver", "The delivery is recorded.").await
}
