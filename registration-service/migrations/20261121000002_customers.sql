-- Customers and admins. Emails are stored normalised (trimmed, lower case),
-- so the unique index makes them unique case-insensitively.
CREATE TABLE customers (
    id               uuid PRIMARY KEY,
    email            text NOT NULL CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254),
    password_hash    text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    first_name       text NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
    last_name        text NOT NULL CHECK (length(last_name) BETWEEN 1 AND 100),
    phone            text CHECK (length(phone) <= 32),
    city             text CHECK (length(city) <= 100),
    province         text CHECK (length(province) <= 100),
    postal_code      text CHECK (length(postal_code) <= 16),
    marketing_opt_in boolean NOT NULL DEFAULT false,
    role             text NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'admin')),
    -- Bumped on every change; the events' `sequence`.
    version          bigint NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX customers_email_key ON customers (email);
