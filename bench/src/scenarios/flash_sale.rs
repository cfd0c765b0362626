//! The flash-sale stampede: 20,000 buyers (minted tokens, limit one each)
//! race for 2,000 units over 256 connections, with the Redis gate on or off.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, StatusCode};
use reqwest::Method;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::{closed_load, common_checks, Ctx};
use crate::baselines::{PG_HOT_ROW, REDIS_EVALSHA};
use crate::checks;
use crate::load::{self, Answer, Mode, Outcome, Plan, Request, Target, Workload};
use crate::report::{int, rate, Check, Comparison, Goal, ScenarioResult};

const UNITS: i64 = 2_000;
const BUYERS: usize = 20_000;
const CONNECTIONS: usize = 256;
/// Answers other than a claim or a clean "no" the run may tolerate.
const ERROR_BOUND: f64 = 0.01;

struct Claims {
    path: String,
    authorizations: Vec<HeaderValue>,
    /// When the last successful claim answered, µs from the start.
    last_claim_us: AtomicU64,
}

impl Workload for Claims {
    fn request(&self, n: u64) -> Option<Request> {
        let auth = &self.authorizations[n as usize % self.authorizations.len()];
        let mut request = Request::post_json(self.path.clone(), "{}");
        request
            .headers
            .push((http::header::AUTHORIZATION, auth.clone()));
        Some(request)
    }

    fn judge(&self, answer: &Answer<'_>) -> Outcome {
        let body = answer.body;
        match answer.status {
            StatusCode::CREATED => {
                let at = (answer.due + answer.latency).as_micros() as u64;
                self.last_claim_us.fetch_max(at, Ordering::Relaxed);
                Outcome::Ok(Cow::Borrowed("claimed"))
            }
            StatusCode::CONFLICT if load::contains(body, b"sold-out") => {
                Outcome::Ok(Cow::Borrowed("sold-out"))
            }
            StatusCode::CONFLICT if load::contains(body, b"claim-limit-reached") => {
                Outcome::Ok(Cow::Borrowed("limit-reached"))
            }
            status => Outcome::Error(Cow::Owned(status.as_u16().to_string())),
        }
    }
}

/// Makes a SKU with `UNITS` on hand and a sale of all of them, open now.
async fn open_sale(ctx: &Ctx, sku: &str) -> anyhow::Result<Uuid> {
    let inventory = ctx.env.url("inventory")?;
    let stock = json!({"on_hand": UNITS, "low_stock_threshold": 0});
    ctx.api
        .expect(
            200,
            Method::PUT,
            &format!("{inventory}/inventory/{sku}"),
            Some(&ctx.admin),
            Some(&stock),
        )
        .await?;
    let now = time::OffsetDateTime::now_utc();
    let sale = json!({
        "sku": sku, "quantity": UNITS, "price_cents": 999, "per_customer_limit": 1,
        "starts_at": (now - time::Duration::minutes(1)).format(&Rfc3339)?,
        "ends_at": (now + time::Duration::minutes(30)).format(&Rfc3339)?,
    });
    let created = ctx
        .api
        .expect(
            201,
            Method::POST,
            &format!("{inventory}/flash-sales"),
            Some(&ctx.admin),
            Some(&sale),
        )
        .await?;
    Ok(serde_json::from_value(created["id"].clone())?)
}

pub async fn run(ctx: &Ctx, gate: bool) -> anyhow::Result<ScenarioResult> {
    let (scenario, title) = if gate {
        ("flash-sale-gate-on", "flash-sale claims, Redis gate on")
    } else {
        (
            "flash-sale-gate-off",
            "flash-sale claims, gate off (Postgres only)",
        )
    };
    let sku = format!(
        "FLASH-{}-{}",
        ctx.run_id.to_uppercase(),
        if gate { "ON" } else { "OFF" }
    );
    let sale_id = open_sale(ctx, &sku).await?;
    eprintln!("minting {BUYERS} buyer tokens...");
    let authorizations = ctx
        .minter
        .customers("buyer", &ctx.run_id, BUYERS)?
        .into_iter()
        .map(|c| HeaderValue::from_str(&format!("Bearer {}", c.token)))
        .collect::<Result<Vec<_>, _>>()?;
    let workload = Arc::new(Claims {
        path: format!("/flash-sales/{sale_id}/claims"),
        authorizations,
        last_claim_us: AtomicU64::new(0),
    });
    let plan = Plan {
        name: scenario.to_owned(),
        target: Target::from_url(ctx.env.url("inventory")?)?,
        mode: Mode::Closed {
            connections: CONNECTIONS,
        },
        duration: ctx.duration,
        timeout: Duration::from_secs(10),
    };
    let report = super::run_load(ctx, &plan, Arc::clone(&workload)).await?;
    let claimed = report.count("claimed");
    let sold_out_s = workload.last_claim_us.load(Ordering::Relaxed) as f64 / 1e6;
    let claims_per_s = if sold_out_s > 0.0 {
        claimed as f64 / sold_out_s
    } else {
        0.0
    };

    let load = format!(
        "{}; {} units, {} buyers, limit 1",
        closed_load(CONNECTIONS, report.elapsed),
        int(UNITS as u64),
        int(BUYERS as u64)
    );
    let mut result = ScenarioResult::from_report(scenario, title, load, "attempts", &report);
    result.value(
        "sold_out_s",
        sold_out_s,
        format!("sold out after {sold_out_s:.2} s"),
    );
    result.value(
        "claims_per_s",
        claims_per_s,
        format!("{} successful claims/s until then", rate(claims_per_s)),
    );
    result.checks = common_checks(ctx, &report, ERROR_BOUND).await?;
    result
        .checks
        .extend(sale_checks(ctx, sale_id, &sku, claimed).await?);
    let oversold = result
        .checks
        .iter()
        .any(|c| c.name == "units sold ≤ stock" && !c.ok);
    if gate {
        result.comparison =
            Comparison::new("attempts/s", report.rate(), &ctx.baselines, REDIS_EVALSHA);
        result.goals = vec![
            Goal::new(
                "≥ 10,000 attempts/s",
                format!("{}/s", rate(report.rate())),
                report.rate() >= 10_000.0,
            ),
            Goal::new(
                "p99 < 50 ms",
                crate::report::ms(result.latency.p99_ms),
                result.latency.p99_ms < 50.0,
            ),
            Goal::new(
                "zero oversell",
                format!("{} of {} units", int(claimed), int(UNITS as u64)),
                !oversold,
            ),
        ];
    } else {
        result.comparison = Comparison::new(
            "successful claims/s",
            claims_per_s,
            &ctx.baselines,
            PG_HOT_ROW,
        );
        if let Some(on) = ctx.dir.read_scenario("flash-sale-gate-on") {
            let on_rate = on.values.get("claims_per_s").copied().unwrap_or(0.0);
            let factor = crate::stats::ratio(on_rate, claims_per_s);
            result.goals.push(Goal::new(
                "gate on ≥ 5× successful claims/s of gate off",
                format!(
                    "{factor:.2}× ({} vs {}/s)",
                    rate(on_rate),
                    rate(claims_per_s)
                ),
                factor >= 5.0,
            ));
        }
    }
    Ok(result)
}

async fn sale_checks(
    ctx: &Ctx,
    sale_id: Uuid,
    sku: &str,
    claimed: u64,
) -> anyhow::Result<Vec<Check>> {
    let inventory = ctx.env.url("inventory")?;
    let sale = ctx
        .api
        .expect(
            200,
            Method::GET,
            &format!("{inventory}/flash-sales/{sale_id}"),
            None,
            None,
        )
        .await?;
    let mut conn = checks::connect(ctx.env.service("inventory")?.database()?).await?;
    let (reservations, units_taken, most_by_one): (i64, i64, Option<i32>) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM reservations WHERE flash_sale_id = $1),
                (SELECT count(*) FROM flash_sale_units WHERE sale_id = $1 AND reservation_id IS NOT NULL),
                (SELECT max(units) FROM flash_sale_customers WHERE sale_id = $1)",
    )
    .bind(sale_id)
    .fetch_one(&mut conn)
    .await?;
    let (on_hand, reserved, allocated): (i32, i32, i32) =
        sqlx::query_as("SELECT on_hand, reserved, allocated_to_sales FROM stock WHERE sku = $1")
            .bind(sku)
            .fetch_one(&mut conn)
            .await?;
    let available = on_hand - reserved - allocated;
    Ok(vec![
        Check::new(
            "units sold ≤ stock",
            reservations <= UNITS && units_taken == reservations,
            format!("{reservations} reservations, {units_taken} units taken, {UNITS} in the sale"),
        ),
        Check::new(
            "every 201 is a reservation",
            reservations == claimed as i64,
            format!("{claimed} claims answered 201, {reservations} reservations"),
        ),
        Check::new(
            "the sale sold out",
            sale["remaining"] == 0 && sale["status"] == "sold_out",
            format!("remaining {}, status {}", sale["remaining"], sale["status"]),
        ),
        Check::new(
            "per-customer limit held",
            most_by_one.unwrap_or(0) <= 1,
            format!("most units held by one buyer: {}", most_by_one.unwrap_or(0)),
        ),
        Check::new(
            "no negative availability",
            available >= 0,
            format!("{sku}: on hand {on_hand}, reserved {reserved}, allocated {allocated}, available {available}"),
        ),
    ])
}
