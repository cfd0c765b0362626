-- Stock per SKU. Availability can never go below zero, whatever the code does.
CREATE TABLE stock (
    sku                 text PRIMARY KEY CHECK (sku ~ '^[A-Z0-9_-]{1,64}$'),
    on_hand             integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    -- Held by ordinary (non flash-sale) reservations.
    reserved            integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    -- Carved out for flash sales (their remaining units and their holds).
    allocated_to_sales  integer NOT NULL DEFAULT 0 CHECK (allocated_to_sales >= 0),
    low_stock_threshold integer NOT NULL DEFAULT 0 CHECK (low_stock_threshold >= 0),
    -- Set when `inventory.stock_low` was emitted; cleared when stock is back
    -- at or above the threshold, so each crossing emits once.
    low_stock_alerted   boolean NOT NULL DEFAULT false,
    version             bigint NOT NULL DEFAULT 1,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT available_not_negative CHECK (on_hand - reserved - allocated_to_sales >= 0)
);

-- Every change of on_hand, with its reason.
CREATE TABLE stock_movements (
    id         uuid PRIMARY KEY,
    sku        text NOT NULL REFERENCES stock (sku),
    delta      integer NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('set', 'adjustment', 'sale')),
    reason     text NOT NULL CHECK (length(reason) <= 500),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX stock_movements_sku_idx ON stock_movements (sku, created_at DESC);

CREATE TABLE flash_sales (
    id                 uuid PRIMARY KEY,
    sku                text NOT NULL REFERENCES stock (sku),
    quantity           integer NOT NULL CHECK (quantity > 0),
    price_cents        bigint NOT NULL CHECK (price_cents > 0),
    currency           text NOT NULL,
    starts_at          timestamptz NOT NULL,
    ends_at            timestamptz NOT NULL,
    per_customer_limit integer NOT NULL CHECK (per_customer_limit > 0),
    -- Set when the sale ended and its unsold units went back to the SKU.
    closed_at          timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);

CREATE INDEX flash_sales_open_idx ON flash_sales (ends_at) WHERE closed_at IS NULL;

-- One row per unit of a sale. A claim takes a free unit with
-- `FOR UPDATE SKIP LOCKED`, so concurrent claims never queue on one hot row,
-- and a sale can never sell more units than it has rows.
CREATE TABLE flash_sale_units (
    sale_id        uuid NOT NULL REFERENCES flash_sales (id),
    unit           integer NOT NULL,
    reservation_id uuid UNIQUE,
    PRIMARY KEY (sale_id, unit)
);

CREATE INDEX flash_sale_units_free_idx ON flash_sale_units (sale_id, unit) WHERE reservation_id IS NULL;

-- Units each customer holds or bought in a sale; the limit holds per row lock.
CREATE TABLE flash_sale_customers (
    sale_id     uuid NOT NULL REFERENCES flash_sales (id),
    customer_id uuid NOT NULL,
    units       integer NOT NULL CHECK (units >= 0),
    PRIMARY KEY (sale_id, customer_id)
);

CREATE TABLE reservations (
    id            uuid PRIMARY KEY,
    -- The caller's idempotency key (an order id, or the claim's own id).
    reference     text NOT NULL UNIQUE CHECK (length(reference) BETWEEN 1 AND 200),
    owner_id      uuid NOT NULL,
    flash_sale_id uuid REFERENCES flash_sales (id),
    status        text NOT NULL CHECK (status IN ('held', 'committed', 'released', 'expired')),
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX reservations_expiry_idx ON reservations (expires_at) WHERE status = 'held';

CREATE TABLE reservation_items (
    reservation_id   uuid NOT NULL REFERENCES reservations (id),
    sku              text NOT NULL REFERENCES stock (sku),
    quantity         integer NOT NULL CHECK (quantity > 0),
    unit_price_cents bigint CHECK (unit_price_cents > 0),
    PRIMARY KEY (reservation_id, sku)
);
