//! Products: a list with search and paging (inactive ones on their own
//! tab), create and edit with the catalog's field errors beside their
//! fields, deactivate after a confirmation (and activate again).

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::html;
use serde::Deserialize;
use uuid::Uuid;

use super::{page, refusal, status_of, Admin};
use crate::{
    api::{
        admin::{AdminProduct, ProductFields},
        types::Category,
        Failure, Problem,
    },
    pages::{csrf_field, field_error, money, utc, Chrome},
    state::AppState,
};

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    /// `inactive` for the deactivated ones.
    show: Option<String>,
    cursor: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    admin: Admin,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let inactive = query.show.as_deref() == Some("inactive");
    let products = state
        .api
        .admin_products(&admin.visit.ctx, q, !inactive, query.cursor.as_deref())
        .await;
    let next = |cursor: &str| {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        if let Some(q) = q {
            qs.append_pair("q", q);
        }
        if inactive {
            qs.append_pair("show", "inactive");
        }
        qs.append_pair("cursor", cursor);
        format!("/admin/products?{}", qs.finish())
    };
    let chrome = admin.chrome();
    let (status, problem) = match &products {
        Err(Failure::Refused(p)) => (status_of(p), Some(p)),
        _ => (StatusCode::OK, None),
    };
    if let Err(Failure::Down(_)) = products {
        return super::down(products.err().unwrap_or(Failure::Down("the catalog")));
    }
    page(
        "Products",
        &chrome,
        status,
        html! {
            div.heading {
                h1 { "Products" }
                a.button.primary href="/admin/products/new" { "Add a product" }
            }
            form.admin-filters action="/admin/products" method="get" {
                label for="admin-q" { "Search" }
                input #admin-q type="search" name="q" value=(q.unwrap_or_default());
                @if inactive { input type="hidden" name="show" value="inactive"; }
                button type="submit" { "Search" }
            }
            p.tabs {
                @if inactive {
                    a href="/admin/products" { "Active" } " · " strong { "Inactive" }
                } @else {
                    strong { "Active" } " · " a href="/admin/products?show=inactive" { "Inactive" }
                }
            }
            (refusal(problem))
            @if let Ok(products) = &products {
                @if products.items.is_empty() {
                    p { "No products here." }
                } @else {
                    table.admin {
                        thead { tr { th { "SKU" } th { "Name" } th { "Price" } th { "Changed" } th { span.visually-hidden { "Actions" } } } }
                        tbody {
                            @for p in &products.items {
                                tr {
                                    td { code { (p.sku) } }
                                    td { a href=(format!("/admin/products/{}", p.id)) { (p.name) } }
                                    td { (money(p.price_cents, &p.currency)) }
                                    td { (utc(p.updated_at)) }
                                    td { a href=(format!("/admin/stock/{}", p.sku)) { "Stock" } }
                                }
                            }
                        }
                    }
                    @if let Some(cursor) = &products.next_cursor {
                        p { a.button href=(next(cursor)) { "Next page" } }
                    }
                }
            }
        },
    )
}

/// The form's values, as typed (so a refused form shows them again).
#[derive(Debug, Default, Deserialize)]
pub struct ProductForm {
    #[serde(default)]
    sku: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    /// In major units, as a person types a price (`12.50`).
    #[serde(default)]
    price: String,
    #[serde(default)]
    category_id: String,
}

impl ProductForm {
    fn of(p: &AdminProduct) -> Self {
        Self {
            sku: p.sku.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            price: format!("{}.{:02}", p.price_cents / 100, p.price_cents % 100),
            category_id: p.category_id.map(|c| c.to_string()).unwrap_or_default(),
        }
    }
}

/// A price typed in major units, in minor units: `12`, `12.5`, `12.50`.
pub fn price_cents(raw: &str) -> Option<i64> {
    let raw = raw.trim().trim_start_matches('$');
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || fraction.len() > 2 {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let cents = format!("{fraction:0<2}").parse::<i64>().ok()?;
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)
}

fn form_page(
    chrome: &Chrome,
    existing: Option<&AdminProduct>,
    values: &ProductForm,
    categories: &[Category],
    problem: Option<&Problem>,
    status: StatusCode,
) -> Response {
    let field = |name: &str| problem.and_then(|p| p.field(name));
    let invalid = |name: &str| {
        if field(name).is_some() {
            "true"
        } else {
            "false"
        }
    };
    let (title, action) = match existing {
        Some(p) => (
            format!("Edit {}", p.name),
            format!("/admin/products/{}", p.id),
        ),
        None => ("Add a product".to_owned(), "/admin/products/new".to_owned()),
    };
    let general = problem.filter(|p| p.errors.is_empty());
    page(
        &title,
        chrome,
        status,
        html! {
            section.narrow {
                h1 { (title) }
                (refusal(general))
                form.stacked action=(action) method="post" novalidate {
                    (csrf_field(&chrome.csrf()))
                    label for="sku" { "SKU" }
                    @if let Some(p) = existing {
                        input #sku name="sku" value=(p.sku) readonly aria-describedby="sku-hint";
                        p.hint id="sku-hint" { "A SKU never changes." }
                    } @else {
                        input #sku name="sku" value=(values.sku) required aria-invalid=(invalid("sku"));
                        (field_error(field("sku"), "sku"))
                    }
                    label for="name" { "Name" }
                    input #name name="name" value=(values.name) required aria-invalid=(invalid("name"));
                    (field_error(field("name"), "name"))
                    label for="description" { "Description" }
                    textarea #description name="description" rows="5" aria-invalid=(invalid("description")) { (values.description) }
                    (field_error(field("description"), "description"))
                    label for="price" { "Price" }
                    input #price name="price" value=(values.price) inputmode="decimal" required aria-invalid=(invalid("price_cents"));
                    (field_error(field("price_cents"), "price"))
                    label for="category_id" { "Category" }
                    select #category_id name="category_id" aria-invalid=(invalid("category_id")) {
                        option value="" { "None" }
                        @for c in categories {
                            option value=(c.id) selected[values.category_id == c.id.to_string()] { (c.name) }
                        }
                    }
                    (field_error(field("category_id"), "category_id"))
                    button.primary type="submit" { @if existing.is_some() { "Save changes" } @else { "Add product" } }
                }
                @if let Some(p) = existing {
                    @if p.active {
                        p { a href=(format!("/admin/products/{}/deactivate", p.id)) { "Deactivate this product" } }
                    } @else {
                        form.inline action=(format!("/admin/products/{}/activate", p.id)) method="post" {
                            (csrf_field(&chrome.csrf()))
                            p { "This product is not sold. " button type="submit" { "Sell it again" } }
                        }
                    }
                }
            }
        },
    )
}

async fn categories(state: &AppState, admin: &Admin) -> Vec<Category> {
    state
        .api
        .categories(&admin.visit.ctx)
        .await
        .unwrap_or_default()
}

pub async fn new_form(State(state): State<AppState>, admin: Admin) -> Response {
    let categories = categories(&state, &admin).await;
    form_page(
        &admin.chrome(),
        None,
        &ProductForm::default(),
        &categories,
        None,
        StatusCode::OK,
    )
}

fn category(raw: &str) -> Option<Uuid> {
    Uuid::parse_str(raw.trim()).ok()
}

pub async fn create(
    State(state): State<AppState>,
    admin: Admin,
    Form(form): Form<ProductForm>,
) -> Response {
    let Some(price_cents) = price_cents(&form.price) else {
        let categories = categories(&state, &admin).await;
        let problem = super::invalid("price_cents", "must be a price such as 12.50");
        return form_page(
            &admin.chrome(),
            None,
            &form,
            &categories,
            Some(&problem),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let fields = ProductFields {
        sku: Some(form.sku.trim()),
        name: form.name.trim(),
        description: form.description.trim(),
        price_cents,
        currency: state.shop_currency.as_ref(),
        category_id: category(&form.category_id),
    };
    match state.api.create_product(&admin.visit.ctx, &fields).await {
        Ok(product) => {
            admin
                .visit
                .session
                .notify(format!("{} is in the catalog.", product.name));
            Redirect::to(&format!("/admin/products/{}", product.id)).into_response()
        }
        Err(Failure::Refused(problem)) => {
            let categories = categories(&state, &admin).await;
            form_page(
                &admin.chrome(),
                None,
                &form,
                &categories,
                Some(&problem),
                status_of(&problem),
            )
        }
        Err(down) => super::down(down),
    }
}

async fn existing(state: &AppState, admin: &Admin, id: &str) -> Result<AdminProduct, Response> {
    super::found(id, |id| state.api.admin_product(&admin.visit.ctx, id)).await
}

pub async fn edit_form(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Response {
    let product = match existing(&state, &admin, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let categories = categories(&state, &admin).await;
    form_page(
        &admin.chrome(),
        Some(&product),
        &ProductForm::of(&product),
        &categories,
        None,
        StatusCode::OK,
    )
}

pub async fn update(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Form(form): Form<ProductForm>,
) -> Response {
    let product = match existing(&state, &admin, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(price_cents) = price_cents(&form.price) else {
        let categories = categories(&state, &admin).await;
        let problem = super::invalid("price_cents", "must be a price such as 12.50");
        return form_page(
            &admin.chrome(),
            Some(&product),
            &form,
            &categories,
            Some(&problem),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let fields = ProductFields {
        sku: None,
        name: form.name.trim(),
        description: form.description.trim(),
        price_cents,
        currency: &product.currency,
        category_id: category(&form.category_id),
    };
    match state
        .api
        .update_product(&admin.visit.ctx, product.id, &fields)
        .await
    {
        Ok(saved) => {
            admin
                .visit
                .session
                .notify(format!("{} is saved.", saved.name));
            Redirect::to(&format!("/admin/products/{}", saved.id)).into_response()
        }
        Err(Failure::Refused(problem)) => {
            let categories = categories(&state, &admin).await;
            form_page(
                &admin.chrome(),
                Some(&product),
                &form,
                &categories,
                Some(&problem),
                status_of(&problem),
            )
        }
        Err(down) => super::down(down),
    }
}

pub async fn confirm_deactivate(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Response {
    let product = match existing(&state, &admin, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let chrome = admin.chrome();
    page(
        "Deactivate a product",
        &chrome,
        StatusCode::OK,
        html! {
            section.narrow {
                h1 { "Deactivate " (product.name) "?" }
                p { "It leaves the shop at once: shoppers can no longer find it or add it to a cart. Orders already placed keep it. You can sell it again later." }
                form.stacked action=(format!("/admin/products/{}/deactivate", product.id)) method="post" {
                    (csrf_field(&chrome.csrf()))
                    button.danger type="submit" { "Deactivate " (product.name) }
                }
                p { a href=(format!("/admin/products/{}", product.id)) { "Keep it" } }
            }
        },
    )
}

async fn set_active(state: &AppState, admin: &Admin, id: &str, active: bool) -> Response {
    let product = match existing(state, admin, id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match state
        .api
        .set_product_active(&admin.visit.ctx, product.id, active)
        .await
    {
        Ok(saved) => {
            admin.visit.session.notify(if active {
                format!("{} is sold again.", saved.name)
            } else {
                format!("{} is no longer sold.", saved.name)
            });
            Redirect::to(&format!("/admin/products/{}", saved.id)).into_response()
        }
        Err(Failure::Refused(problem)) => {
            admin.visit.session.notify(problem.message());
            Redirect::to(&format!("/admin/products/{}", product.id)).into_response()
        }
        Err(down) => super::down(down),
    }
}

pub async fn deactivate(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Response {
    set_active(&state, &admin, &id, false).await
}

pub async fn activate(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Response {
    set_active(&state, &admin, &id, true).await
}

#[cfg(test)]
mod tests {
    use super::price_cents;

    #[test]
    fn a_typed_price_is_read_in_minor_units() {
        assert_eq!(price_cents("12"), Some(1200));
        assert_eq!(price_cents("12.5"), Some(1250));
        assert_eq!(price_cents("12.05"), Some(1205));
        assert_eq!(price_cents(" $0.99 "), Some(99));
        assert_eq!(price_cents("12.345"), None);
        assert_eq!(price_cents("-3"), None);
        assert_eq!(price_cents("1e3"), None);
        assert_eq!(price_cents(""), None);
        assert_eq!(price_cents("99999999999999999999"), None);
    }
}
