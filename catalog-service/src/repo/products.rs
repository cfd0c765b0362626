//! Product rows: writes bump `version`, reads search and page.

use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::{NewProduct, ProductFields};

macro_rules! columns {
    () => {
        "id, sku, name, description, price_cents, currency, category_id, attributes, image_url, \
         active, version, created_at, updated_at"
    };
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProductRow {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub category_id: Option<Uuid>,
    pub attributes: Value,
    pub image_url: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl ProductRow {
    pub fn fields(&self) -> ProductFields {
        ProductFields {
            name: self.name.clone(),
            description: self.description.clone(),
            price_cents: self.price_cents,
            currency: self.currency.clone(),
            category_id: self.category_id,
            attributes: self.attributes.clone(),
            image_url: self.image_url.clone(),
            active: self.active,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct RankedRow {
    #[sqlx(flatten)]
    pub product: ProductRow,
    pub rank: f32,
}

/// What `GET /products` narrows by.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Upper-case, as SKUs are stored.
    pub sku: Option<String>,
    pub category_id: Option<Uuid>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub active: Option<bool>,
}

#[tracing::instrument(skip_all)]
pub async fn insert(
    conn: &mut PgConnection,
    product: &NewProduct,
) -> Result<ProductRow, sqlx::Error> {
    let f = &product.fields;
    sqlx::query_as(concat!(
        "INSERT INTO products (id, sku, name, description, price_cents, currency, category_id, attributes, image_url, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ",
        columns!()
    ))
    .bind(Uuid::now_v7())
    .bind(product.sku.as_ref())
    .bind(&f.name)
    .bind(&f.description)
    .bind(f.price_cents)
    .bind(&f.currency)
    .bind(f.category_id)
    .bind(&f.attributes)
    .bind(&f.image_url)
    .bind(f.active)
    .fetch_one(conn)
    .await
}

/// Inserts the products whose SKU is not taken yet; returns the ones inserted.
#[tracing::instrument(skip_all)]
pub async fn insert_new(
    conn: &mut PgConnection,
    products: &[NewProduct],
) -> Result<Vec<ProductRow>, sqlx::Error> {
    let ids: Vec<Uuid> = products.iter().map(|_| Uuid::now_v7()).collect();
    let col = |f: fn(&NewProduct) -> String| products.iter().map(f).collect::<Vec<_>>();
    sqlx::query_as(concat!(
        "INSERT INTO products (id, sku, name, description, price_cents, currency, category_id, attributes, image_url, active)
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[],
                              $7::uuid[], $8::jsonb[], $9::text[], $10::boolean[])
         ON CONFLICT (sku) DO NOTHING RETURNING ",
        columns!()
    ))
    .bind(&ids)
    .bind(col(|p| p.sku.to_string()))
    .bind(col(|p| p.fields.name.clone()))
    .bind(col(|p| p.fields.description.clone()))
    .bind(products.iter().map(|p| p.fields.price_cents).collect::<Vec<_>>())
    .bind(col(|p| p.fields.currency.clone()))
    .bind(products.iter().map(|p| p.fields.category_id).collect::<Vec<_>>())
    .bind(products.iter().map(|p| p.fields.attributes.clone()).collect::<Vec<_>>())
    .bind(products.iter().map(|p| p.fields.image_url.clone()).collect::<Vec<_>>())
    .bind(products.iter().map(|p| p.fields.active).collect::<Vec<_>>())
    .fetch_all(conn)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<ProductRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM products WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The product, locked until the transaction ends.
#[tracing::instrument(skip_all)]
pub async fn find_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<ProductRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM products WHERE id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    f: &ProductFields,
) -> Result<Option<ProductRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "UPDATE products SET name = $2, description = $3, price_cents = $4, currency = $5, category_id = $6,
                attributes = $7, image_url = $8, active = $9, version = version + 1, updated_at = now()
         WHERE id = $1 RETURNING ",
        columns!()
    ))
    .bind(id)
    .bind(&f.name)
    .bind(&f.description)
    .bind(f.price_cents)
    .bind(&f.currency)
    .bind(f.category_id)
    .bind(&f.attributes)
    .bind(&f.image_url)
    .bind(f.active)
    .fetch_optional(conn)
    .await
}

/// Full-text search, best match first: `ts_rank` descending, then id.
#[tracing::instrument(skip_all)]
pub async fn search(
    conn: &mut PgConnection,
    query: &str,
    filter: &Filter,
    after: Option<(f32, Uuid)>,
    limit: i64,
) -> Result<Vec<RankedRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT * FROM (
             SELECT ",
        columns!(),
        ", ts_rank(search, query) AS rank
             FROM products, websearch_to_tsquery('english', $1) AS query
             WHERE search @@ query
               AND ($2::uuid IS NULL OR category_id = $2)
               AND ($3::bigint IS NULL OR price_cents >= $3)
               AND ($4::bigint IS NULL OR price_cents <= $4)
               AND ($5::boolean IS NULL OR active = $5)
               AND ($9::text IS NULL OR sku = $9)
         ) ranked
         WHERE $6::real IS NULL OR rank < $6 OR (rank = $6 AND id > $7)
         ORDER BY rank DESC, id
         LIMIT $8"
    ))
    .bind(query)
    .bind(filter.category_id)
    .bind(filter.min_price)
    .bind(filter.max_price)
    .bind(filter.active)
    .bind(after.map(|(rank, _)| rank))
    .bind(after.map(|(_, id)| id))
    .bind(limit)
    .bind(filter.sku.as_deref())
    .fetch_all(conn)
    .await
}

/// Browsing without a query: by name, then id.
#[tracing::instrument(skip_all)]
pub async fn browse(
    conn: &mut PgConnection,
    filter: &Filter,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> Result<Vec<ProductRow>, sqlx::Error> {
    let (after_name, after_id) = after.unzip();
    sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM products
         WHERE ($1::uuid IS NULL OR category_id = $1)
           AND ($2::bigint IS NULL OR price_cents >= $2)
           AND ($3::bigint IS NULL OR price_cents <= $3)
           AND ($4::boolean IS NULL OR active = $4)
           AND ($5::text IS NULL OR (name, id) > ($5, $6::uuid))
           AND ($8::text IS NULL OR sku = $8)
         ORDER BY name, id
         LIMIT $7"
    ))
    .bind(filter.category_id)
    .bind(filter.min_price)
    .bind(filter.max_price)
    .bind(filter.active)
    .bind(after_name)
    .bind(after_id)
    .bind(limit)
    .bind(filter.sku.as_deref())
    .fetch_all(conn)
    .await
}
