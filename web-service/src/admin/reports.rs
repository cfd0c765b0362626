//! The daily sales report for a UTC day: orders, units, revenue,
//! discounts, and two charts drawn here as small SVG (revenue by hour, top
//! products), readable without JavaScript; each chart's figures are also a
//! table, for screen readers and for copying.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::Response,
};
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;
use time::OffsetDateTime;

use super::{page, refusal, status_of, Admin};
use crate::{
    api::{
        admin::{DailyReport, HourlySales, TopProduct},
        Failure,
    },
    pages::money,
    state::AppState,
};

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    date: Option<String>,
}

pub async fn daily(
    State(state): State<AppState>,
    admin: Admin,
    query: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let query = query.map(|q| q.0).unwrap_or_default();
    let date = query
        .date
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| OffsetDateTime::now_utc().date().to_string());
    let report = match state.api.daily_report(&admin.visit.ctx, &date).await {
        Ok(report) => Ok(report),
        Err(Failure::Refused(problem)) => Err(problem),
        Err(down) => return super::down(down),
    };
    let chrome = admin.chrome();
    let status = report.as_ref().err().map_or(StatusCode::OK, status_of);
    page(
        "Daily sales",
        &chrome,
        status,
        html! {
            h1 { "Daily sales" }
            form.admin-filters action="/admin/reports" method="get" {
                label for="date" { "Day (UTC)" }
                input #date type="date" name="date" value=(date);
                button type="submit" { "Show" }
            }
            @match &report {
                Err(problem) => (refusal(Some(problem))),
                Ok(report) => (body(report)),
            }
        },
    )
}

fn body(r: &DailyReport) -> Markup {
    html! {
        dl.stats {
            div { dt { "Orders" } dd data-report-orders { (r.orders) } }
            div { dt { "Units" } dd { (r.units) } }
            div.key { dt { "Revenue" } dd data-report-revenue { (money(r.revenue_cents, &r.currency)) } }
            div { dt { "Discounts" } dd { (money(r.discount_cents, &r.currency)) } }
        }
        p.hint { "Orders confirmed on " (r.date) " (UTC) and not cancelled since." }
        section {
            h2 #by-hour { "Revenue by hour (UTC)" }
            (PreEscaped(hours_chart(&r.hours, &r.currency)))
            details {
                summary { "The figures by hour" }
                table.admin {
                    thead { tr { th { "Hour" } th.num { "Orders" } th.num { "Revenue" } } }
                    tbody {
                        @for h in r.hours.iter().filter(|h| h.orders > 0) {
                            tr { td { (format!("{:02}:00", h.hour)) } td.num { (h.orders) } td.num { (money(h.revenue_cents, &r.currency)) } }
                        }
                    }
                }
            }
        }
        section {
            h2 #top-products { "Top products by units sold" }
            @if r.top_products.is_empty() {
                p { "No sales that day." }
            } @else {
                (PreEscaped(products_chart(&r.top_products, &r.currency)))
                table.admin {
                    thead { tr { th { "SKU" } th { "Product" } th.num { "Units" } th.num { "Revenue" } } }
                    tbody {
                        @for p in &r.top_products {
                            tr { td { code { (p.sku) } } td { (p.name) } td.num { (p.units) } td.num { (money(p.revenue_cents, &r.currency)) } }
                        }
                    }
                }
            }
        }
    }
}

/// Text for inside SVG: the five characters XML reserves, escaped.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

const WIDTH: f64 = 720.0;

/// 24 bars, one per UTC hour, scaled to the day's best hour.
pub fn hours_chart(hours: &[HourlySales], currency: &str) -> String {
    let height = 220.0;
    let (left, bottom, top) = (56.0, 24.0, 12.0);
    let plot_h = height - bottom - top;
    let max = hours
        .iter()
        .map(|h| h.revenue_cents)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = (WIDTH - left) / 24.0;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="by-hour" data-chart="hours"><title>Revenue by hour, highest {}</title>"#,
        xml(&money(max as i64, currency))
    );
    svg.push_str(&format!(
        r#"<line x1="{left}" y1="{y}" x2="{WIDTH}" y2="{y}" class="axis"/><text x="{x}" y="{ty}" class="label" text-anchor="end">{top_label}</text><text x="{x}" y="{y}" class="label" text-anchor="end">0</text>"#,
        y = height - bottom,
        x = left - 6.0,
        ty = top + 4.0,
        top_label = xml(&money(max as i64, currency)),
    ));
    for h in hours {
        let x = left + f64::from(h.hour) * slot + slot * 0.15;
        let bar = (h.revenue_cents as f64 / max) * plot_h;
        if h.revenue_cents > 0 {
            svg.push_str(&format!(
                r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{bar:.1}" class="bar" data-hour="{}" data-revenue="{}"><title>{:02}:00 – {}, {} orders</title></rect>"#,
                height - bottom - bar,
                slot * 0.7,
                h.hour,
                h.revenue_cents,
                h.hour,
                xml(&money(h.revenue_cents, currency)),
                h.orders,
            ));
        }
        if h.hour % 3 == 0 {
            svg.push_str(&format!(
                r#"<text x="{:.1}" y="{:.1}" class="label" text-anchor="middle">{:02}</text>"#,
                x + slot * 0.35,
                height - 6.0,
                h.hour
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// One horizontal bar per product, in the report's order (units sold),
/// scaled to the best seller's units and labelled with units and revenue.
pub fn products_chart(products: &[TopProduct], currency: &str) -> String {
    let row = 30.0;
    let height = row * products.len() as f64 + 8.0;
    let (label_w, value_w) = (220.0, 170.0);
    let max = products.iter().map(|p| p.units).max().unwrap_or(0).max(1) as f64;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="top-products" data-chart="products"><title>Top products by units sold</title>"#
    );
    for (i, p) in products.iter().enumerate() {
        let y = i as f64 * row + 4.0;
        let bar = (p.units as f64 / max) * (WIDTH - label_w - value_w);
        let name: String = p.name.chars().take(28).collect();
        svg.push_str(&format!(
            r#"<text x="{:.1}" y="{:.1}" class="label" text-anchor="end">{}</text><rect x="{label_w}" y="{y:.1}" width="{bar:.1}" height="{:.1}" class="bar" data-sku="{}" data-units="{}" data-revenue="{}"/><text x="{:.1}" y="{:.1}" class="label">{}</text>"#,
            label_w - 8.0,
            y + row * 0.55,
            xml(&name),
            row * 0.7,
            xml(&p.sku),
            p.units,
            p.revenue_cents,
            label_w + bar + 6.0,
            y + row * 0.55,
            xml(&format!("{} · {}", units(p.units), money(p.revenue_cents, currency))),
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn units(n: i64) -> String {
    if n == 1 {
        "1 unit".to_owned()
    } else {
        format!("{n} units")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hour_chart_draws_a_bar_for_each_hour_with_sales_scaled_to_the_best() {
        let hours: Vec<HourlySales> = (0..24)
            .map(|hour| HourlySales {
                hour,
                orders: i64::from(hour == 9 || hour == 14),
                revenue_cents: match hour {
                    9 => 1000,
                    14 => 4000,
                    _ => 0,
                },
            })
            .collect();
        let svg = hours_chart(&hours, "USD");
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains(r#"data-hour="14" data-revenue="4000""#));
        // The best hour fills the plot (184 px); the other is a quarter of it.
        assert!(
            svg.contains(r#"height="184.0" class="bar" data-hour="14""#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"height="46.0" class="bar" data-hour="9""#),
            "{svg}"
        );
        assert!(svg.contains("$40.00"));
    }

    #[test]
    fn the_top_products_bars_are_as_long_as_their_units_are_many() {
        let product = |sku: &str, units, revenue_cents| TopProduct {
            sku: sku.to_owned(),
            name: sku.to_owned(),
            units,
            revenue_cents,
        };
        let svg = products_chart(
            &[product("MUG", 3, 3600), product("KETTLE", 2, 7800)],
            "USD",
        );
        // 330 px for the best seller's 3 units; 2 units are two thirds of it.
        assert!(
            svg.contains(r#"width="330.0" height="21.0" class="bar" data-sku="MUG""#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"width="220.0" height="21.0" class="bar" data-sku="KETTLE""#),
            "{svg}"
        );
        assert!(svg.contains("2 units · $78.00"));
    }

    #[test]
    fn a_hostile_product_name_is_escaped_in_the_chart() {
        let products = [TopProduct {
            sku: "MUG-1".to_owned(),
            name: "<script>alert(1)</script>".to_owned(),
            units: 2,
            revenue_cents: 2500,
        }];
        let svg = products_chart(&products, "USD");
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
    }
}
