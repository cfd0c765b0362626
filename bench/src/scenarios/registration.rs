//! registration-service: `POST /customers` against the bare argon2id hash
//! rate, and `POST /customers/verification` against `/health/live`.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::StatusCode;
use reqwest::Method;
use serde_json::json;

use super::{closed_load, common_checks, Ctx};
use crate::baselines::{ARGON2ID, HEALTH_LIVE};
use crate::checks;
use crate::load::{self, Answer, Mode, Outcome, Plan, Request, Target, Workload};
use crate::report::{int, ms, percent, Check, Comparison, Goal, ScenarioResult};

pub const PASSWORD: &str = "correct horse battery staple";

/// `POST /customers` with a new address each time; remembers who got a 201.
pub struct Registrations {
    pub label: &'static str,
    pub run_id: String,
    /// Addresses answered 201, with when each was due (from the start).
    pub registered: Mutex<Vec<(String, Duration)>>,
}

impl Registrations {
    pub fn new(label: &'static str, run_id: &str) -> Self {
        Self {
            label,
            run_id: run_id.to_owned(),
            registered: Mutex::new(Vec::new()),
        }
    }

    fn email(&self, n: u64) -> String {
        format!("{}-{}-{n}@bench.storefront.test", self.label, self.run_id)
    }

    pub fn addresses(&self) -> Vec<String> {
        self.registered
            .lock()
            .map(|r| r.iter().map(|(email, _)| email.clone()).collect())
            .unwrap_or_default()
    }
}

impl Workload for Registrations {
    fn request(&self, n: u64) -> Option<Request> {
        let body = json!({
            "email": self.email(n), "password": PASSWORD,
            "first_name": "Bench", "last_name": "Mark",
        });
        Some(Request::post_json("/customers", body.to_string()))
    }

    fn judge(&self, answer: &Answer<'_>) -> Outcome {
        if answer.status != StatusCode::CREATED {
            return load::status_outcome(answer.status);
        }
        if let Ok(mut registered) = self.registered.lock() {
            registered.push((self.email(answer.n), answer.due));
        }
        Outcome::Ok(Cow::Borrowed("registered"))
    }
}

const REGISTRATION_CONNECTIONS: usize = 8;

pub async fn registration(ctx: &Ctx) -> anyhow::Result<ScenarioResult> {
    let workload = Arc::new(Registrations::new("reg", &ctx.run_id));
    let plan = Plan {
        name: "registration".to_owned(),
        target: Target::from_url(ctx.env.url("registration")?)?,
        mode: Mode::Closed {
            connections: REGISTRATION_CONNECTIONS,
        },
        duration: ctx.duration,
        timeout: Duration::from_secs(10),
    };
    let report = super::run_load(ctx, &plan, Arc::clone(&workload)).await?;
    let load = closed_load(REGISTRATION_CONNECTIONS, report.elapsed);
    let mut result = ScenarioResult::from_report(
        "registration",
        "registration",
        load,
        "registrations",
        &report,
    );
    result.comparison = Comparison::new(
        "registrations/s",
        report.ok_rate(),
        &ctx.baselines,
        ARGON2ID,
    );
    if let Some(c) = &result.comparison {
        result.goals.push(Goal::new(
            "≥ 85 % of bare argon2id",
            percent(c.ratio),
            c.ratio >= 0.85,
        ));
    }
    result.checks = common_checks(ctx, &report, 0.01).await?;
    let addresses = workload.addresses();
    let mut conn = checks::connect(ctx.env.service("registration")?.database()?).await?;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM customers WHERE email LIKE $1")
        .bind(format!("reg-{}-%", ctx.run_id))
        .fetch_one(&mut conn)
        .await?;
    result.checks.push(Check::new(
        "every 201 is one stored customer",
        stored == addresses.len() as i64,
        format!(
            "{} answered 201, {stored} stored",
            int(addresses.len() as u64)
        ),
    ));
    result.checks.push(
        checks::one_email_each(&ctx.env, &ctx.api, &addresses, Duration::from_secs(120)).await?,
    );
    Ok(result)
}

/// Asks about known and unknown addresses in turn and checks each answer.
struct Verifications {
    known: Vec<String>,
}

impl Workload for Verifications {
    fn request(&self, n: u64) -> Option<Request> {
        let email = if n % 2 == 0 {
            self.known[(n / 2) as usize % self.known.len()].clone()
        } else {
            format!("nobody-{n}@bench.storefront.test")
        };
        Some(Request::post_json(
            "/customers/verification",
            json!({"email": email}).to_string(),
        ))
    }

    fn judge(&self, answer: &Answer<'_>) -> Outcome {
        if answer.status != StatusCode::OK {
            return load::status_outcome(answer.status);
        }
        let expected: &[u8] = if answer.n % 2 == 0 {
            b"\"registered\":true"
        } else {
            b"\"registered\":false"
        };
        if load::contains(answer.body, expected) {
            Outcome::Ok(Cow::Borrowed("200"))
        } else {
            Outcome::Error(Cow::Borrowed("wrong answer"))
        }
    }
}

const VERIFICATION_CONNECTIONS: usize = 64;

pub async fn verification(ctx: &Ctx) -> anyhow::Result<ScenarioResult> {
    let registration = ctx.env.url("registration")?;
    let mut known = Vec::new();
    for i in 0..10 {
        let email = format!("known-{}-{i}@bench.storefront.test", ctx.run_id);
        let body = json!({"email": email, "password": PASSWORD, "first_name": "Known", "last_name": "Customer"});
        ctx.api
            .expect(
                201,
                Method::POST,
                &format!("{registration}/customers"),
                None,
                Some(&body),
            )
            .await?;
        known.push(email);
    }
    let plan = Plan {
        name: "verification".to_owned(),
        target: Target::from_url(registration)?,
        mode: Mode::Closed {
            connections: VERIFICATION_CONNECTIONS,
        },
        duration: ctx.duration,
        timeout: Duration::from_secs(10),
    };
    let report = super::run_load(
        ctx,
        &plan,
        Arc::new(Verifications {
            known: known.clone(),
        }),
    )
    .await?;
    let load = format!(
        "{}; half known, half unknown addresses",
        closed_load(VERIFICATION_CONNECTIONS, report.elapsed)
    );
    let mut result =
        ScenarioResult::from_report("verification", "verification", load, "requests", &report);
    result.comparison =
        Comparison::new("requests/s", report.ok_rate(), &ctx.baselines, HEALTH_LIVE);
    if let Some(c) = &result.comparison {
        result.goals.push(Goal::new(
            "≥ 50 % of /health/live",
            percent(c.ratio),
            c.ratio >= 0.5,
        ));
    }
    result.goals.push(Goal::new(
        "p99 < 20 ms",
        ms(result.latency.p99_ms),
        result.latency.p99_ms < 20.0,
    ));
    result.checks = common_checks(ctx, &report, 0.001).await?;
    result
        .checks
        .push(checks::one_email_each(&ctx.env, &ctx.api, &known, Duration::from_secs(60)).await?);
    Ok(result)
}
