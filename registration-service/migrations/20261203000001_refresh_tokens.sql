-- Refresh tokens (docs/services.md, "registration-service"): opaque, stored
-- only as their SHA-256, rotated on every use. The tokens issued from one
-- sign-in form a family; logging out, or presenting a token that was already
-- rotated (a stolen copy), revokes the whole family.
CREATE TABLE refresh_tokens (
    id           uuid PRIMARY KEY,
    family_id    uuid NOT NULL,
    customer_id  uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL CHECK (length(token_hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    -- Set when this token was exchanged for its successor.
    rotated_at   timestamptz,
    -- Set on every token of the family when the family is revoked.
    revoked_at   timestamptz,
    CHECK (expires_at > created_at)
);

CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);
