-- Carts, orders with their saga state, the simulated payment processor's
-- ledger, and the daily reports already published.

CREATE TABLE cart_items (
    customer_id  uuid NOT NULL,
    product_id   uuid NOT NULL,
    quantity     integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
    added_at     timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, product_id)
);

-- An order is also its checkout saga: `step` is where the saga stands, and
-- each step is idempotent on the order id, so whoever holds the lease can
-- drive it on after a crash.
CREATE TABLE orders (
    id                uuid PRIMARY KEY,                   -- UUID v7: ordered by creation
    customer_id       uuid NOT NULL,
    customer_email    text NOT NULL,
    customer_name     text NOT NULL,
    status            text NOT NULL CHECK (status IN ('pending', 'confirmed', 'failed', 'cancelled')),
    step              text NOT NULL CHECK (step IN (
                          'reserve', 'redeem', 'authorize', 'commit', 'capture', 'ship',
                          'compensate', 'cancel', 'done')),
    reason            text,                               -- why it failed, for the customer
    source            text NOT NULL CHECK (source IN ('cart', 'reservation')),
    reservation_id    uuid,                               -- the stock hold (ours, or the flash-sale claim)
    promo_code        text,
    promo_redeemed    boolean NOT NULL DEFAULT false,
    card_token        text NOT NULL,
    payment_status    text NOT NULL DEFAULT 'none'
                          CHECK (payment_status IN ('none', 'authorized', 'captured', 'voided', 'refunded')),
    stock_status      text NOT NULL DEFAULT 'none'
                          CHECK (stock_status IN ('none', 'held', 'committed', 'released', 'returned')),
    subtotal_cents    bigint NOT NULL CHECK (subtotal_cents >= 0),
    discount_cents    bigint NOT NULL DEFAULT 0 CHECK (discount_cents >= 0 AND discount_cents <= subtotal_cents),
    total_cents       bigint NOT NULL CHECK (total_cents >= 0),
    refunded_cents    bigint NOT NULL DEFAULT 0,
    currency          text NOT NULL,
    shipping_address  jsonb NOT NULL,
    carrier           text,
    tracking_number   text,
    shipment_status   text CHECK (shipment_status IN ('pending', 'shipped', 'delivered')),
    attempts          integer NOT NULL DEFAULT 0,         -- failed tries of the current step
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    lease_owner       uuid,
    lease_until       timestamptz,
    event_sequence    bigint NOT NULL DEFAULT 0,
    correlation_id    text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    confirmed_at      timestamptz,
    failed_at         timestamptz,
    cancelled_at      timestamptz,
    shipped_at        timestamptz,
    delivered_at      timestamptz,
    CHECK (total_cents = subtotal_cents - discount_cents)
);

CREATE INDEX orders_customer_idx ON orders (customer_id, id DESC);
CREATE INDEX orders_unfinished_idx ON orders (next_attempt_at) WHERE step <> 'done';
CREATE INDEX orders_confirmed_at_idx ON orders (confirmed_at) WHERE confirmed_at IS NOT NULL;
-- A flash-sale reservation is checked out by one live order at a time.
CREATE UNIQUE INDEX orders_live_reservation_idx ON orders (reservation_id)
    WHERE source = 'reservation' AND status IN ('pending', 'confirmed');

CREATE TABLE order_items (
    order_id          uuid NOT NULL REFERENCES orders (id),
    line              integer NOT NULL,
    product_id        uuid,
    sku               text NOT NULL,
    name              text NOT NULL,
    quantity          integer NOT NULL CHECK (quantity > 0),
    unit_price_cents  bigint NOT NULL CHECK (unit_price_cents >= 0),
    PRIMARY KEY (order_id, line)
);

-- The simulated payment processor's own records (what a real gateway keeps
-- on its side), keyed by order id: every call is idempotent on it.
CREATE TABLE payments (
    order_id          uuid PRIMARY KEY,
    authorization_id  text NOT NULL UNIQUE,
    card_token        text NOT NULL,
    amount_cents      bigint NOT NULL CHECK (amount_cents >= 0),
    currency          text NOT NULL,
    status            text NOT NULL CHECK (status IN ('authorized', 'captured', 'voided', 'refunded')),
    refunded_cents    bigint NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- The `tok_timeout` card times out once per order before it answers.
CREATE TABLE payment_timeouts (
    order_id   uuid PRIMARY KEY,
    seen_at    timestamptz NOT NULL DEFAULT now()
);

-- Days whose `report.daily_sales` has been written to the outbox.
CREATE TABLE daily_reports (
    day           date PRIMARY KEY,
    published_at  timestamptz NOT NULL DEFAULT now()
);
