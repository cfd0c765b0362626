//! The campaign queue's handler: one email per event, never two. Shared by
//! the in-process consumer and the Lambda.

use anyhow::Context;
use platform::{
    consumer::{record_in_inbox, EventHandler, Handled},
    events::{
        payloads::{
            CustomerRegistered, DailySales, OrderCancelled, OrderConfirmed, OrderShipped, Payload,
            StockLow,
        },
        Envelope,
    },
};
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

use super::{
    sender::{EmailSender, SendError, SEND_LEASE},
    templates, unsubscribe,
};
use crate::{
    config::{EmailSettings, Settings},
    domain::Offer,
    repo::{
        campaigns,
        emails::{self, NewEmail},
    },
};

/// The name this consumer records in the inbox.
pub const CONSUMER: &str = "campaign-emailer";

#[derive(Clone)]
pub struct EmailHandler {
    pub pool: PgPool,
    pub sender: EmailSender,
    pub settings: EmailSettings,
    pub shop_currency: String,
}

impl EmailHandler {
    /// The handler as both the in-process consumer and the Lambda use it.
    pub async fn from_settings(settings: &Settings, pool: PgPool) -> Self {
        let sdk = platform::aws::sdk_config(&settings.common.aws).await;
        Self {
            pool,
            sender: EmailSender {
                ses: aws_sdk_sesv2::Client::new(&sdk),
                from: settings.email.sender.clone(),
            },
            settings: settings.email.clone(),
            shop_currency: settings.common.shop_currency.clone(),
        }
    }
}

impl EventHandler for EmailHandler {
    /// Logs the event's email with the inbox row in one transaction, then
    /// sends what is still pending for the event. A redelivery finds the
    /// inbox row and only retries a send that failed before.
    async fn handle(&self, event: Envelope) -> anyhow::Result<Handled> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context("starting the inbox transaction")?;
        let first_time = record_in_inbox(&mut tx, CONSUMER, &event).await?;
        if first_time {
            if let Some(email) = self.compose(&mut tx, &event).await? {
                emails::insert(&mut tx, &email).await?;
            }
        }
        tx.commit()
            .await
            .context("committing the inbox transaction")?;
        self.send_pending(&event).await?;
        Ok(if first_time {
            Handled::Processed
        } else {
            Handled::Duplicate
        })
    }
}

impl EmailHandler {
    async fn compose(
        &self,
        conn: &mut PgConnection,
        event: &Envelope,
    ) -> anyhow::Result<Option<NewEmail>> {
        let admin = &self.settings.admin_alert_address;
        let (kind, recipient, rendered, list_unsubscribe) = match event.event_type.as_str() {
            CustomerRegistered::TYPE => {
                let d: CustomerRegistered = event.payload()?;
                let wants_marketing =
                    emails::upsert_preference(conn, d.customer_id, &d.email, d.marketing_opt_in)
                        .await?;
                let (offers, link) = if wants_marketing {
                    let token =
                        unsubscribe::token(&self.settings.unsubscribe_secret, d.customer_id);
                    let link = format!(
                        "{}/emails/unsubscribe?token={token}",
                        self.settings.public_base_url.trim_end_matches('/')
                    );
                    (self.active_offers(conn).await?, Some(link))
                } else {
                    (Vec::new(), None)
                };
                let rendered = templates::welcome(&d.first_name, &offers, link.as_deref());
                ("welcome", d.email, rendered, link)
            }
            OrderConfirmed::TYPE => {
                let d: OrderConfirmed = event.payload()?;
                (
                    "order_receipt",
                    d.email.clone(),
                    templates::order_receipt(&d),
                    None,
                )
            }
            OrderShipped::TYPE => {
                let d: OrderShipped = event.payload()?;
                (
                    "order_shipped",
                    d.email.clone(),
                    templates::order_shipped(&d),
                    None,
                )
            }
            OrderCancelled::TYPE => {
                let d: OrderCancelled = event.payload()?;
                (
                    "order_cancelled",
                    d.email.clone(),
                    templates::order_cancelled(&d),
                    None,
                )
            }
            StockLow::TYPE => {
                let d: StockLow = event.payload()?;
                ("stock_low", admin.clone(), templates::stock_low(&d), None)
            }
            DailySales::TYPE => {
                let d: DailySales = event.payload()?;
                (
                    "daily_sales",
                    admin.clone(),
                    templates::daily_sales(&d),
                    None,
                )
            }
            other => {
                tracing::debug!(event_type = other, "no email for this event type");
                return Ok(None);
            }
        };
        Ok(Some(NewEmail {
            event_id: event.id,
            about: event.aggregate_id.clone(),
            kind,
            recipient,
            subject: rendered.subject,
            text_body: rendered.text,
            html_body: rendered.html,
            list_unsubscribe,
        }))
    }

    /// The campaigns running now, for the welcome email.
    async fn active_offers(
        &self,
        conn: &mut PgConnection,
    ) -> anyhow::Result<Vec<templates::CampaignOffer>> {
        let now = OffsetDateTime::now_utc();
        let rows = campaigns::list(conn, true, None, 20).await?;
        Ok(rows
            .into_iter()
            .filter(|c| c.is_active_at(now))
            .map(|c| templates::CampaignOffer {
                offer: match c.offer() {
                    Offer::Percent { percent_off } => templates::Offer::Percent { percent_off },
                    Offer::Fixed { amount_off_cents } => templates::Offer::Fixed {
                        amount_off_cents,
                        currency: c.currency.clone(),
                    },
                },
                name: c.name,
                description: c.description,
                promo_code: c.code,
                ends_at: c.ends_at,
            })
            .collect())
    }

    /// Sends every email of `event` not yet accepted by SES, each under its
    /// send lease. A refusal, an unknown outcome, or an email another worker
    /// is sending is returned as an error, so the message is redelivered
    /// until every email is sent (and ends in the DLQ if SES keeps refusing).
    async fn send_pending(&self, event: &Envelope) -> anyhow::Result<()> {
        let mut conn = self.pool.acquire().await?;
        let pending = emails::pending_for_event(&mut conn, event.id).await?;
        let mut refused = 0;
        for email in pending {
            if !emails::claim_for_sending(&mut conn, email.id, SEND_LEASE).await? {
                refused += 1;
                continue;
            }
            match self.sender.send(&email).await {
                Ok(message_id) => {
                    emails::mark_sent(&mut conn, email.id, message_id.as_deref()).await?;
                }
                Err(err) => {
                    refused += 1;
                    let reason = err.to_string();
                    tracing::warn!(email_id = %email.id, kind = email.kind, error = reason, "sending an email failed");
                    let retry_now = matches!(err, SendError::Refused(_));
                    emails::mark_failed_attempt(&mut conn, email.id, &reason, retry_now).await?;
                }
            }
        }
        anyhow::ensure!(
            refused == 0,
            "{refused} email(s) of {} are not sent yet",
            event.id
        );
        Ok(())
    }
}
