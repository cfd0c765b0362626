//! web-service's pages: the home page and a product's page for guests, each
//! at 64 connections, against catalog-service's cached product read measured
//! in the same scenario (the page's heaviest dependency call), and the bytes
//! of the home page with its stylesheet and script.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;

use super::data;
use super::{closed_load, common_checks, Ctx};
use crate::load::{Mode, Plan, Report, Request, Target, Workload};
use crate::report::{int, ms, percent, rate, Goal, ScenarioResult};

const CONNECTIONS: usize = 64;
const PRODUCTS: usize = 100;
/// What the issue asks of the home page with its CSS and JS.
const HOME_BYTES_GOAL: usize = 100 * 1024;

struct Gets {
    paths: Vec<String>,
}

impl Workload for Gets {
    fn request(&self, n: u64) -> Option<Request> {
        Some(Request::get(
            self.paths[n as usize % self.paths.len()].clone(),
        ))
    }
}

async fn load(ctx: &Ctx, service: &str, name: &str, paths: Vec<String>) -> anyhow::Result<Report> {
    let plan = Plan {
        name: name.to_owned(),
        target: Target::from_url(ctx.env.url(service)?)?,
        mode: Mode::Closed {
            connections: CONNECTIONS,
        },
        duration: ctx.duration,
        timeout: Duration::from_secs(10),
    };
    super::run_load(ctx, &plan, Arc::new(Gets { paths })).await
}

/// The home page's HTML and the assets it links, in bytes.
async fn home_bytes(ctx: &Ctx) -> anyhow::Result<(usize, usize)> {
    let web = ctx.env.url("web")?;
    let html = ctx.api.get_text(&format!("{web}/")).await?;
    let mut assets = 0;
    for marker in ["href=\"/assets/", "src=\"/assets/"] {
        let mut rest = html.as_str();
        while let Some(start) = rest.find(marker) {
            let from = start + marker.len() - "/assets/".len();
            let end = rest[from..].find('"').map_or(rest.len(), |e| from + e);
            assets += ctx
                .api
                .get_text(&format!("{web}{}", &rest[from..end]))
                .await?
                .len();
            rest = &rest[end..];
        }
    }
    Ok((html.len(), assets))
}

pub async fn run(ctx: &Ctx) -> anyhow::Result<ScenarioResult> {
    let products = data::products(ctx).await?;
    let hot = &products[..PRODUCTS.min(products.len())];
    let catalog = ctx.env.url("catalog")?;
    for p in hot {
        ctx.api
            .expect(
                200,
                Method::GET,
                &format!("{catalog}/products/{}", p.id),
                None,
                None,
            )
            .await?;
    }
    let api_paths = hot.iter().map(|p| format!("/products/{}", p.id)).collect();
    let page_paths: Vec<String> = hot.iter().map(|p| format!("/shop/{}", p.id)).collect();
    let baseline = load(ctx, "catalog", "web-baseline-catalog-read", api_paths).await?;
    let home = load(ctx, "web", "web-home", vec!["/".to_owned()]).await?;
    let product = load(ctx, "web", "web-product", page_paths).await?;
    let (html, assets) = home_bytes(ctx).await?;

    let mut result = ScenarioResult::from_report(
        "web-pages",
        "web shop pages (guests)",
        format!(
            "{} each: the home page, then {PRODUCTS} product pages",
            closed_load(CONNECTIONS, home.elapsed)
        ),
        "pages",
        &home,
    );
    let base = baseline.ok_rate();
    let home_ratio = crate::stats::ratio(home.ok_rate(), base);
    let product_ratio = crate::stats::ratio(product.ok_rate(), base);
    let product_p99 = crate::stats::Latency::of(&product.latency).p99_ms;
    result.value(
        "catalog_cached_read_rate",
        base,
        format!("catalog cached read (baseline, same run): {}/s", rate(base)),
    );
    result.value(
        "home_rate",
        home.ok_rate(),
        format!(
            "home page: {}/s = {} of the baseline",
            rate(home.ok_rate()),
            percent(home_ratio)
        ),
    );
    result.value(
        "product_rate",
        product.ok_rate(),
        format!(
            "product page: {}/s = {} of the baseline, p99 {}",
            rate(product.ok_rate()),
            percent(product_ratio),
            ms(product_p99)
        ),
    );
    result.value(
        "home_bytes",
        (html + assets) as f64,
        format!(
            "home page {} bytes of HTML + {} of CSS and JS",
            int(html as u64),
            int(assets as u64)
        ),
    );
    result.goals.push(Goal::new(
        "home ≥ 25 % of the cached catalog read",
        percent(home_ratio),
        home_ratio >= 0.25,
    ));
    result.goals.push(Goal::new(
        "product page ≥ 25 % of the cached catalog read",
        percent(product_ratio),
        product_ratio >= 0.25,
    ));
    result.goals.push(Goal::new(
        "home p99 < 50 ms",
        ms(result.latency.p99_ms),
        result.latency.p99_ms < 50.0,
    ));
    result.goals.push(Goal::new(
        "product page p99 < 50 ms",
        ms(product_p99),
        product_p99 < 50.0,
    ));
    result.goals.push(Goal::new(
        "home page with CSS and JS < 100 KB",
        format!("{} bytes", int((html + assets) as u64)),
        html + assets < HOME_BYTES_GOAL,
    ));
    result.checks = common_checks(ctx, &home, 0.001).await?;
    result
        .checks
        .push(crate::checks::error_rate(&product, 0.001));
    Ok(result)
}
