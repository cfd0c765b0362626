//! `order-service publish-daily-report`: `report.daily_sales` for one UTC day,
//! published once per day however often the command runs (EventBridge runs
//! it on a schedule in AWS; a retry or a manual run changes nothing).

use std::time::Duration;

use anyhow::Context;
use time::{Date, OffsetDateTime};

use crate::{config::Settings, events, repo::reports, startup::MIGRATOR};

/// `YYYY-MM-DD`.
pub fn parse_day(raw: &str) -> Result<Date, String> {
    Date::parse(
        raw.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| format!("`{raw}` is not a date of the form YYYY-MM-DD"))
}

pub fn yesterday() -> Date {
    OffsetDateTime::now_utc()
        .date()
        .previous_day()
        .unwrap_or(Date::MIN)
}

/// Writes the day's report to the outbox unless it was already, then
/// publishes what the outbox holds. Returns whether this run wrote it.
pub async fn publish(settings: &Settings, day: Date) -> anyhow::Result<bool> {
    let pool = platform::db::pool(&settings.common.database)?;
    MIGRATOR
        .run(&pool)
        .await
        .context("migrating the database")?;
    let mut tx = pool.begin().await?;
    let fresh = reports::mark_published(&mut tx, day).await?;
    if fresh {
        let report = reports::daily_sales(&mut tx, day, &settings.common.shop_currency).await?;
        events::daily_sales(&mut tx, &report, None).await?;
    }
    tx.commit().await?;
    if let Some(topic_arn) = settings.common.events_topic_arn.clone() {
        let sdk = platform::aws::sdk_config(&settings.common.aws).await;
        let relay = platform::outbox::OutboxRelay {
            pool: pool.clone(),
            sns: aws_sdk_sns::Client::new(&sdk),
            topic_arn,
            source: settings.common.service_name,
            metrics: platform::metrics::Metrics::new(),
            poll_interval: Duration::from_secs(1),
            max_backoff: Duration::from_secs(5),
        };
        relay
            .publish_pending()
            .await
            .context("publishing the outbox")?;
    } else {
        tracing::warn!("EVENTS_TOPIC_ARN is not set: the report stays in the outbox");
    }
    Ok(fresh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse_only_in_iso_form() {
        assert_eq!(parse_day("2026-11-22").unwrap().to_string(), "2026-11-22");
        assert!(parse_day("22/11/2026").is_err());
        assert!(parse_day("2026-02-30").is_err());
    }
}
