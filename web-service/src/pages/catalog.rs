//! The catalog (search, categories, price filters, next page) and a product's page.

use maud::{html, Markup};
use uuid::Uuid;

use super::{csrf_field, layout, money, unavailable_section, Chrome};
use crate::api::{
    types::{Category, Page, Product, Stock},
    Failure,
};

/// What the shopper filtered by, echoed into the form.
#[derive(Debug, Default, Clone)]
pub struct Filters {
    pub q: String,
    pub category: Option<Uuid>,
    pub min_price: String,
    pub max_price: String,
}

impl Filters {
    /// The query string of these filters and `cursor`.
    fn next_page(&self, cursor: &str) -> String {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            qs.append_pair("q", &self.q);
        }
        if let Some(c) = self.category {
            qs.append_pair("category", &c.to_string());
        }
        if !self.min_price.is_empty() {
            qs.append_pair("min_price", &self.min_price);
        }
        if !self.max_price.is_empty() {
            qs.append_pair("max_price", &self.max_price);
        }
        qs.append_pair("cursor", cursor);
        format!("/shop?{}", qs.finish())
    }
}

pub fn product_card(p: &Product) -> Markup {
    html! {
        article.card {
            a href=(format!("/shop/{}", p.id)) {
                div.thumb aria-hidden="true" { (initials(&p.name)) }
                h3 { (p.name) }
            }
            p.price { (money(p.price_cents, &p.currency)) }
        }
    }
}

/// A placeholder picture: the name's first letters (images come with the back office).
fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase()
}

pub fn list(
    chrome: &Chrome,
    filters: &Filters,
    products: Option<&Page<Product>>,
    categories: Option<&[Category]>,
    paged: bool,
) -> Markup {
    let title = if filters.q.is_empty() {
        "Catalog".to_owned()
    } else {
        format!("Results for “{}”", filters.q)
    };
    layout(
        &title,
        chrome,
        html! {
            h1 { (title) }
            div.catalog {
                aside {
                    form.filters action="/shop" method="get" {
                        label for="f-q" { "Words" }
                        input #f-q type="search" name="q" value=(filters.q);
                        label for="f-category" { "Category" }
                        @match categories {
                            Some(categories) => {
                                select #f-category name="category" {
                                    option value="" { "All categories" }
                                    @for c in categories {
                                        option value=(c.id) selected[filters.category == Some(c.id)] { (c.name) }
                                    }
                                }
                            }
                            None => { (unavailable_section("The category list")) }
                        }
                        label for="f-min" { "Lowest price" }
                        input #f-min type="text" inputmode="decimal" name="min_price" value=(filters.min_price);
                        label for="f-max" { "Highest price" }
                        input #f-max type="text" inputmode="decimal" name="max_price" value=(filters.max_price);
                        button type="submit" { "Show products" }
                    }
                }
                section aria-label="Products" {
                    @match products {
                        None => { (unavailable_section("Search")) }
                        Some(page) if page.items.is_empty() => {
                            p { "No products match. Try fewer words or another category." }
                        }
                        Some(page) => {
                            ul.grid { @for p in &page.items { li { (product_card(p)) } } }
                            nav.pager aria-label="Pages" {
                                @if paged { a href="/shop" { "First page" } }
                                @if let Some(cursor) = &page.next_cursor {
                                    a.button rel="next" href=(filters.next_page(cursor)) { "Next page" }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// "only 3 left" at or under the low-stock mark, "sold out" at none.
pub fn stock_text(stock: &Stock) -> (bool, String) {
    match stock.available {
        n if n <= 0 => (false, "Sold out".to_owned()),
        n if n <= stock.low_stock_threshold.max(5) => (true, format!("Only {n} left")),
        _ => (true, "In stock".to_owned()),
    }
}

pub fn product(chrome: &Chrome, p: &Product, stock: &Result<Option<Stock>, Failure>) -> Markup {
    let availability = match stock {
        Ok(Some(stock)) => Some(stock_text(stock)),
        Ok(None) => Some((false, "Sold out".to_owned())),
        Err(_) => None,
    };
    let can_buy = availability.as_ref().is_none_or(|(ok, _)| *ok);
    layout(
        &p.name,
        chrome,
        html! {
            article.product {
                div.thumb.large aria-hidden="true" { (initials(&p.name)) }
                div {
                    h1 { (p.name) }
                    p.price { (money(p.price_cents, &p.currency)) }
                    @match &availability {
                        Some((_, text)) => { p.stock { (text) } }
                        None => { (unavailable_section("Stock information")) }
                    }
                    p.description { (p.description) }
                    p.sku { "SKU " (p.sku) }
                    @if can_buy {
                        form.buy action="/basket/items" method="post" data-enhance="badge" {
                            (csrf_field(&chrome.csrf()))
                            input type="hidden" name="product_id" value=(p.id);
                            label for="quantity" { "Quantity" }
                            input #quantity type="number" name="quantity" value="1" min="1" max="100" required;
                            button type="submit" { "Add to cart" }
                        }
                    }
                }
            }
        },
    )
}
