//! Payments, simulated behind the `PaymentGateway` trait (docs/architecture.md, "Checkout
//! saga"). Card tokens decide the outcome, so tests and load runs are
//! deterministic: `tok_visa`, `tok_mastercard` and `tok_amex` approve;
//! `tok_declined` and `tok_insufficient_funds` decline; `tok_timeout` times
//! out once per order (after the processor took the authorisation, as a real
//! lost answer would) and then approves; any other token is declined as not
//! recognised.
//!
//! Every call is idempotent on the order id, as a real gateway's calls are on
//! their idempotency key: the saga may repeat any of them after a crash.

use async_trait::async_trait;
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The card was refused; the reason is for the customer.
    #[error("{0}")]
    Declined(String),
    /// No answer in time: the outcome is unknown, so the call is repeated.
    #[error("the payment gateway did not answer in time")]
    Timeout,
    /// The call cannot be made in the payment's current state.
    #[error("{0}")]
    Refused(String),
    #[error("the payment gateway is unavailable: {0}")]
    Unavailable(String),
}

impl From<sqlx::Error> for PaymentError {
    fn from(err: sqlx::Error) -> Self {
        Self::Unavailable(err.to_string())
    }
}

#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Holds `amount_cents` on the card; returns the authorisation id.
    async fn authorize(
        &self,
        order_id: Uuid,
        card_token: &str,
        amount_cents: i64,
        currency: &str,
    ) -> Result<String, PaymentError>;
    async fn capture(&self, order_id: Uuid) -> Result<(), PaymentError>;
    /// Cancels an authorisation that was not captured (nothing to void is fine).
    async fn void(&self, order_id: Uuid) -> Result<(), PaymentError>;
    /// Gives back a captured payment in full.
    async fn refund(&self, order_id: Uuid) -> Result<i64, PaymentError>;
}

/// The simulated processor. It keeps its records in the `payments` table of
/// the order database, as a real processor keeps them on its side.
pub struct SimulatedGateway {
    pool: PgPool,
}

impl SimulatedGateway {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

fn decision(card_token: &str) -> Result<(), PaymentError> {
    match card_token {
        "tok_visa" | "tok_mastercard" | "tok_amex" | "tok_timeout" => Ok(()),
        "tok_declined" => Err(PaymentError::Declined("the card was declined".to_owned())),
        "tok_insufficient_funds" => Err(PaymentError::Declined(
            "the card was declined: insufficient funds".to_owned(),
        )),
        _ => Err(PaymentError::Declined(
            "the card was not recognised".to_owned(),
        )),
    }
}

#[async_trait]
impl PaymentGateway for SimulatedGateway {
    async fn authorize(
        &self,
        order_id: Uuid,
        card_token: &str,
        amount_cents: i64,
        currency: &str,
    ) -> Result<String, PaymentError> {
        decision(card_token)?;
        let authorization_id = format!("auth_{}", Uuid::now_v7().simple());
        sqlx::query(
            "INSERT INTO payments (order_id, authorization_id, card_token, amount_cents, currency, status)
             VALUES ($1, $2, $3, $4, $5, 'authorized')
             ON CONFLICT (order_id) DO NOTHING",
        )
        .bind(order_id)
        .bind(&authorization_id)
        .bind(card_token)
        .bind(amount_cents)
        .bind(currency)
        .execute(&self.pool)
        .await?;
        if card_token == "tok_timeout" {
            let first_time = sqlx::query(
                "INSERT INTO payment_timeouts (order_id) VALUES ($1) ON CONFLICT DO NOTHING",
            )
            .bind(order_id)
            .execute(&self.pool)
            .await?
            .rows_affected()
                == 1;
            if first_time {
                return Err(PaymentError::Timeout);
            }
        }
        let (id, status): (String, String) =
            sqlx::query_as("SELECT authorization_id, status FROM payments WHERE order_id = $1")
                .bind(order_id)
                .fetch_one(&self.pool)
                .await?;
        match status.as_str() {
            "authorized" | "captured" => Ok(id),
            other => Err(PaymentError::Refused(format!(
                "the authorisation for this order was {other}"
            ))),
        }
    }

    async fn capture(&self, order_id: Uuid) -> Result<(), PaymentError> {
        let status = transition(&self.pool, order_id, &["authorized"], "captured").await?;
        match status.as_deref() {
            Some("captured") => Ok(()),
            Some(other) => Err(PaymentError::Refused(format!(
                "cannot capture a {other} payment"
            ))),
            None => Err(PaymentError::Refused("nothing was authorised".to_owned())),
        }
    }

    async fn void(&self, order_id: Uuid) -> Result<(), PaymentError> {
        let status = transition(&self.pool, order_id, &["authorized"], "voided").await?;
        match status.as_deref() {
            None | Some("voided") => Ok(()),
            Some(other) => Err(PaymentError::Refused(format!(
                "cannot void a {other} payment"
            ))),
        }
    }

    async fn refund(&self, order_id: Uuid) -> Result<i64, PaymentError> {
        sqlx::query(
            "UPDATE payments SET status = 'refunded', refunded_cents = amount_cents, updated_at = now()
             WHERE order_id = $1 AND status = 'captured'",
        )
        .bind(order_id)
        .execute(&self.pool)
        .await?;
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT status, refunded_cents FROM payments WHERE order_id = $1")
                .bind(order_id)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            Some((status, refunded)) if status == "refunded" => Ok(refunded),
            Some((status, _)) => Err(PaymentError::Refused(format!(
                "cannot refund a {status} payment"
            ))),
            None => Ok(0),
        }
    }
}

/// Moves the payment from one of `from` to `to`; returns its status after.
async fn transition(
    pool: &PgPool,
    order_id: Uuid,
    from: &[&str],
    to: &str,
) -> Result<Option<String>, PaymentError> {
    let from: Vec<String> = from.iter().map(|s| (*s).to_owned()).collect();
    sqlx::query(
        "UPDATE payments SET status = $3, updated_at = now()
         WHERE order_id = $1 AND status = ANY($2)",
    )
    .bind(order_id)
    .bind(&from)
    .bind(to)
    .execute(pool)
    .await?;
    Ok(
        sqlx::query_scalar("SELECT status FROM payments WHERE order_id = $1")
            .bind(order_id)
            .fetch_optional(pool)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_decide_the_outcome() {
        assert!(decision("tok_visa").is_ok());
        assert!(decision("tok_timeout").is_ok());
        assert!(matches!(
            decision("tok_declined"),
            Err(PaymentError::Declined(_))
        ));
        assert!(matches!(
            decision("tok_insufficient_funds"),
            Err(PaymentError::Declined(m)) if m.contains("insufficient")
        ));
        assert!(matches!(
            decision("tok_unknown"),
            Err(PaymentError::Declined(_))
        ));
    }
}
