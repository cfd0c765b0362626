-- Categories and products, with a generated full-text search vector.
CREATE TABLE categories (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX categories_name_key ON categories (lower(name));
CREATE INDEX categories_name_idx ON categories (name, id);

CREATE TABLE products (
    id          uuid PRIMARY KEY,
    sku         text NOT NULL UNIQUE CHECK (sku ~ '^[A-Z0-9_-]{1,64}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    price_cents bigint NOT NULL CHECK (price_cents > 0),
    currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    category_id uuid REFERENCES categories (id),
    attributes  jsonb NOT NULL DEFAULT '{}'
        CHECK (jsonb_typeof(attributes) = 'object' AND length(attributes::text) <= 4096),
    image_url   text CHECK (length(image_url) <= 2048),
    active      boolean NOT NULL DEFAULT true,
    -- Bumped on every write: the cache's version, the ETag and the events' sequence.
    version     bigint NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    search      tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', name), 'A')
        || setweight(to_tsvector('english', description), 'B')
    ) STORED
);

CREATE INDEX products_search_idx ON products USING GIN (search);
-- Browsing without a query pages by (name, id).
CREATE INDEX products_name_idx ON products (name, id);
CREATE INDEX products_category_idx ON products (category_id);
CREATE INDEX products_price_idx ON products (price_cents);
