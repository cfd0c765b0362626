//! The email log: every email, written with the event that caused it.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NewEmail {
    pub event_id: Uuid,
    /// The event's aggregate: an order id, a SKU, a customer id.
    pub about: String,
    pub kind: &'static str,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub list_unsubscribe: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EmailRow {
    pub id: Uuid,
    pub event_id: Uuid,
    pub about: Option<String>,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub list_unsubscribe: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
}

#[tracing::instrument(skip_all)]
pub async fn insert(conn: &mut PgConnection, email: &NewEmail) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO emails (id, event_id, kind, recipient, subject, text_body, html_body, list_unsubscribe, about)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (event_id, kind) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(email.event_id)
    .bind(email.kind)
    .bind(&email.recipient)
    .bind(&email.subject)
    .bind(&email.text_body)
    .bind(&email.html_body)
    .bind(&email.list_unsubscribe)
    .bind(&email.about)
    .execute(conn)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn pending_for_event(
    conn: &mut PgConnection,
    event_id: Uuid,
) -> Result<Vec<EmailRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, event_id, about, kind, recipient, subject, text_body, html_body, list_unsubscribe, status,
                attempts, last_error, created_at, sent_at
         FROM emails WHERE event_id = $1 AND status = 'pending' ORDER BY id",
    )
    .bind(event_id)
    .fetch_all(conn)
    .await
}

/// Takes the send lease on a pending email; false when it is sent already or
/// another worker holds the lease (its send may still land).
#[tracing::instrument(skip_all)]
pub async fn claim_for_sending(
    conn: &mut PgConnection,
    id: Uuid,
    lease: std::time::Duration,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE emails SET sending_until = now() + make_interval(secs => $2)
         WHERE id = $1 AND status = 'pending' AND (sending_until IS NULL OR sending_until < now())",
    )
    .bind(id)
    .bind(lease.as_secs_f64())
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

#[tracing::instrument(skip_all)]
pub async fn mark_sent(
    conn: &mut PgConnection,
    id: Uuid,
    provider_message_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE emails SET status = 'sent', sent_at = now(), attempts = attempts + 1,
                provider_message_id = $2, last_error = NULL, sending_until = NULL
         WHERE id = $1",
    )
    .bind(id)
    .bind(provider_message_id)
    .execute(conn)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
/// Records a failed send. `retry_now`: SES refused it, so nothing went out
/// and the lease is let go; otherwise the outcome is unknown and the lease
/// runs out first.
pub async fn mark_failed_attempt(
    conn: &mut PgConnection,
    id: Uuid,
    error: &str,
    retry_now: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE emails SET attempts = attempts + 1, last_error = $2,
                sending_until = CASE WHEN $3 THEN NULL ELSE sending_until END
         WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(retry_now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Newest first, optionally filtered; keyset-paged on the time-ordered id.
/// Which emails a list shows; `None` is any.
#[derive(Debug, Default)]
pub struct ListFilter<'a> {
    pub to: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub about: Option<&'a str>,
}

#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &mut PgConnection,
    filter: &ListFilter<'_>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<EmailRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, event_id, about, kind, recipient, subject, text_body, html_body, list_unsubscribe, status,
                attempts, last_error, created_at, sent_at
         FROM emails
         WHERE ($1::text IS NULL OR recipient = $1)
           AND ($2::text IS NULL OR kind = $2)
           AND ($3::uuid IS NULL OR id < $3)
           AND ($5::text IS NULL OR about = $5)
         ORDER BY id DESC
         LIMIT $4",
    )
    .bind(filter.to)
    .bind(filter.kind)
    .bind(before)
    .bind(limit)
    .bind(filter.about)
    .fetch_all(conn)
    .await
}

/// Records the customer's marketing choice from `customer.registered`,
/// keeping an unsubscribe that already happened.
#[tracing::instrument(skip_all)]
pub async fn upsert_preference(
    conn: &mut PgConnection,
    customer_id: Uuid,
    email: &str,
    opt_in: bool,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO marketing_preferences (customer_id, email, marketing_opt_in) VALUES ($1, $2, $3)
         ON CONFLICT (customer_id) DO UPDATE SET email = EXCLUDED.email, updated_at = now()
         RETURNING marketing_opt_in AND unsubscribed_at IS NULL",
    )
    .bind(customer_id)
    .bind(email)
    .bind(opt_in)
    .fetch_one(conn)
    .await
}

/// Whether the customer wants marketing email now (opted in, not unsubscribed).
#[tracing::instrument(skip_all)]
pub async fn wants_marketing(
    conn: &mut PgConnection,
    customer_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let wants: Option<bool> = sqlx::query_scalar(
        "SELECT marketing_opt_in AND unsubscribed_at IS NULL
         FROM marketing_preferences WHERE customer_id = $1",
    )
    .bind(customer_id)
    .fetch_optional(conn)
    .await?;
    Ok(wants.unwrap_or(false))
}

/// Opts the customer in (again, after an unsubscribe). An address already
/// known (from `customer.registered`) is kept; `email` fills in a missing one.
#[tracing::instrument(skip_all)]
pub async fn subscribe(
    conn: &mut PgConnection,
    customer_id: Uuid,
    email: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO marketing_preferences (customer_id, email, marketing_opt_in)
         VALUES ($1, $2, true)
         ON CONFLICT (customer_id) DO UPDATE
         SET marketing_opt_in = true, unsubscribed_at = NULL,
             email = CASE WHEN marketing_preferences.email = '' THEN EXCLUDED.email ELSE marketing_preferences.email END,
             updated_at = now()",
    )
    .bind(customer_id)
    .bind(email)
    .execute(conn)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn unsubscribe(conn: &mut PgConnection, customer_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO marketing_preferences (customer_id, email, marketing_opt_in, unsubscribed_at)
         VALUES ($1, '', false, now())
         ON CONFLICT (customer_id) DO UPDATE
         SET marketing_opt_in = false, unsubscribed_at = COALESCE(marketing_preferences.unsubscribed_at, now()), updated_at = now()",
    )
    .bind(customer_id)
    .execute(conn)
    .await?;
    Ok(())
}
