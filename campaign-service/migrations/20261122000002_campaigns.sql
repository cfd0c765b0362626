-- Campaigns with their offer and optional promo code.
CREATE TABLE campaigns (
    id               uuid PRIMARY KEY,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description      text NOT NULL CHECK (length(description) <= 2000),
    offer_kind       text NOT NULL CHECK (offer_kind IN ('percent', 'fixed')),
    percent_off      integer CHECK (percent_off BETWEEN 1 AND 100),
    amount_off_cents bigint CHECK (amount_off_cents > 0),
    currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    deleted_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    CHECK ((offer_kind = 'percent' AND percent_off IS NOT NULL AND amount_off_cents IS NULL)
        OR (offer_kind = 'fixed' AND amount_off_cents IS NOT NULL AND percent_off IS NULL))
);

CREATE INDEX campaigns_window_idx ON campaigns (starts_at, ends_at) WHERE deleted_at IS NULL;

CREATE TABLE promo_codes (
    code               text PRIMARY KEY CHECK (code ~ '^[A-Z0-9_-]{3,32}$'),
    campaign_id        uuid NOT NULL UNIQUE REFERENCES campaigns (id) ON DELETE CASCADE,
    max_redemptions    integer CHECK (max_redemptions > 0),
    per_customer_limit integer CHECK (per_customer_limit > 0),
    min_order_cents    bigint NOT NULL DEFAULT 0 CHECK (min_order_cents >= 0),
    -- Active (unreleased) redemptions; the cap holds in the schema too.
    redeemed_count     integer NOT NULL DEFAULT 0
        CHECK (redeemed_count >= 0 AND (max_redemptions IS NULL OR redeemed_count <= max_redemptions))
);

-- One redemption per order (the idempotency key); released ones keep their row.
CREATE TABLE redemptions (
    order_id       uuid PRIMARY KEY,
    code           text NOT NULL REFERENCES promo_codes (code) ON DELETE CASCADE,
    customer_id    uuid NOT NULL,
    subtotal_cents bigint NOT NULL CHECK (subtotal_cents >= 0),
    discount_cents bigint NOT NULL CHECK (discount_cents >= 0 AND discount_cents <= subtotal_cents),
    currency       text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    released_at    timestamptz
);

CREATE INDEX redemptions_customer_idx ON redemptions (code, customer_id) WHERE released_at IS NULL;

-- What we know of a customer's marketing choice (from customer.registered
-- and the unsubscribe link).
CREATE TABLE marketing_preferences (
    customer_id      uuid PRIMARY KEY,
    email            text NOT NULL,
    marketing_opt_in boolean NOT NULL,
    unsubscribed_at  timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Every email we send, written with the inbox row of the event that caused
-- it; sent afterwards and retried until SES accepts it.
CREATE TABLE emails (
    id                  uuid PRIMARY KEY,
    event_id            uuid NOT NULL,
    kind                text NOT NULL,
    recipient           text NOT NULL,
    subject             text NOT NULL,
    text_body           text NOT NULL,
    html_body           text NOT NULL,
    list_unsubscribe    text,
    status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent')),
    attempts            integer NOT NULL DEFAULT 0,
    last_error          text,
    provider_message_id text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    sent_at             timestamptz,
    UNIQUE (event_id, kind)
);

CREATE INDEX emails_recipient_idx ON emails (recipient, created_at DESC, id DESC);
CREATE INDEX emails_created_idx ON emails (created_at DESC, id DESC);
CREATE INDEX emails_pending_idx ON emails (event_id) WHERE status = 'pending';
