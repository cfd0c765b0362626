//! Customer rows.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::NewCustomer;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomerRow {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub postal_code: Option<String>,
    pub marketing_opt_in: bool,
    pub role: String,
    pub version: i64,
    pub created_at: OffsetDateTime,
}

#[tracing::instrument(skip_all)]
pub async fn insert(
    conn: &mut PgConnection,
    customer: &NewCustomer,
    password_hash: &str,
) -> Result<CustomerRow, sqlx::Error> {
    sqlx::query_as("INSERT INTO customers (id, email, password_hash, first_name, last_name, phone, city, province, postal_code, marketing_opt_in)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         RETURNING id, email, password_hash, first_name, last_name, phone, city, province, postal_code, marketing_opt_in, role, version, created_at")
    .bind(Uuid::now_v7())
    .bind(customer.email.as_ref())
    .bind(password_hash)
    .bind(customer.first_name.as_ref())
    .bind(customer.last_name.as_ref())
    .bind(customer.phone.as_deref())
    .bind(customer.city.as_deref())
    .bind(customer.province.as_deref())
    .bind(customer.postal_code.as_deref())
    .bind(customer.marketing_opt_in)
    .fetch_one(conn)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn find_by_email(
    conn: &mut PgConnection,
    email: &str,
) -> Result<Option<CustomerRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, email, password_hash, first_name, last_name, phone, city, province, postal_code, marketing_opt_in, role, version, created_at FROM customers WHERE email = $1")
        .bind(email)
        .fetch_optional(conn)
        .await
}

#[tracing::instrument(skip_all)]
pub async fn find_by_id(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<CustomerRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, email, password_hash, first_name, last_name, phone, city, province, postal_code, marketing_opt_in, role, version, created_at FROM customers WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

#[tracing::instrument(skip_all)]
pub async fn email_exists(conn: &mut PgConnection, email: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM customers WHERE email = $1)")
        .bind(email)
        .fetch_one(conn)
        .await
}

/// Creates the admin, or makes the existing account an admin with this password.
#[tracing::instrument(skip_all)]
pub async fn upsert_admin(
    conn: &mut PgConnection,
    email: &str,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO customers (id, email, password_hash, first_name, last_name, role)
         VALUES ($1, $2, $3, 'Shop', 'Admin', 'admin')
         ON CONFLICT (email) DO UPDATE
         SET role = 'admin', password_hash = EXCLUDED.password_hash,
             version = customers.version + 1, updated_at = now()",
    )
    .bind(Uuid::now_v7())
    .bind(email)
    .bind(password_hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets a customer's names; the row as it is now (none when it is gone).
#[tracing::instrument(skip_all)]
pub async fn update_names(
    conn: &mut PgConnection,
    id: Uuid,
    first_name: &str,
    last_name: &str,
) -> Result<Option<CustomerRow>, sqlx::Error> {
    sqlx::query_as("UPDATE customers SET first_name = $2, last_name = $3, version = version + 1
         WHERE id = $1
         RETURNING id, email, password_hash, first_name, last_name, phone, city, province, postal_code, marketing_opt_in, role, version, created_at")
    .bind(id)
    .bind(first_name)
    .bind(last_name)
    .fetch_optional(conn)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn set_password_hash(
    conn: &mut PgConnection,
    id: Uuid,
    password_hash: &str,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE customers SET password_hash = $2, version = version + 1 WHERE id = $1")
            .bind(id)
            .bind(password_hash)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}
