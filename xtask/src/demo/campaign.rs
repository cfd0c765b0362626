//! The welcome campaign and its promo code: created, or reopened when an
//! earlier run's campaign has expired.

use anyhow::bail;
use reqwest::{Method, StatusCode};
use serde_json::json;
use time::OffsetDateTime;

use super::api::Api;
use super::data::{CAMPAIGN_DAYS, PROMO_CODE, PROMO_PERCENT_OFF};
use super::rfc3339;

pub(super) async fn ensure_campaign(api: &Api, campaign: &str) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    let starts_at = rfc3339(now - time::Duration::minutes(1))?;
    let ends_at = rfc3339(now + time::Duration::days(CAMPAIGN_DAYS))?;
    let body = json!({
        "name": "Welcome offer",
        "description": format!("{PROMO_PERCENT_OFF}% off your first order with {PROMO_CODE}"),
        "offer": {"kind": "percent", "percent_off": PROMO_PERCENT_OFF},
        "starts_at": starts_at,
        "ends_at": ends_at,
        "promo_code": {"code": PROMO_CODE, "per_customer_limit": 1},
    });
    let reply = api
        .send(Method::POST, &format!("{campaign}/campaigns"), Some(&body))
        .await?;
    match reply.status {
        StatusCode::CREATED => {
            println!(
                "campaign {:<18} created: {PROMO_PERCENT_OFF}% off until {ends_at}",
                PROMO_CODE
            );
            return Ok(());
        }
        StatusCode::CONFLICT => {}
        _ => bail!(reply.failure("creating the welcome campaign")),
    }
    // The code exists from an earlier run: make sure it still applies.
    let check = api
        .send(
            Method::GET,
            &format!("{campaign}/promo-codes/{PROMO_CODE}"),
            None,
        )
        .await?;
    if check.status == StatusCode::NOT_FOUND {
        println!("campaign {PROMO_CODE:<18} is taken by a deleted campaign; not recreated");
        return Ok(());
    }
    let check = check.expect(&[StatusCode::OK], "checking the promo code")?;
    if check.body["applies"] == json!(true) {
        println!(
            "campaign {PROMO_CODE:<18} exists and applies until {}",
            check.body["ends_at"].as_str().unwrap_or("?")
        );
        return Ok(());
    }
    let reason = check.body["reason"].as_str().unwrap_or("?").to_owned();
    if reason == "not_started" || reason == "expired" {
        let id = check.string("campaign_id")?;
        let window = json!({"starts_at": starts_at, "ends_at": ends_at});
        api.send(
            Method::PATCH,
            &format!("{campaign}/campaigns/{id}"),
            Some(&window),
        )
        .await?
        .expect(&[StatusCode::OK], "reopening the welcome campaign")?;
        println!("campaign {PROMO_CODE:<18} was {reason}; reopened until {ends_at}");
    } else {
        println!("campaign {PROMO_CODE:<18} exists but does not apply ({reason})");
    }
    Ok(())
}
