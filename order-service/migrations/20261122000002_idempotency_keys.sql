-- Canonical Idempotency-Key table (DESIGN.md "Errors and input"). A service
-- that takes Idempotency-Key keeps an identical copy in its own migrations/
-- (a test checks the copy matches this file).

-- One row per (scope, key): the scope is whose key it is (a customer id), so
-- two customers can use the same key. The first final response is stored and
-- replayed byte for byte; rows are deleted after 24 hours.
CREATE TABLE idempotency_keys (
    scope            text NOT NULL,
    key              text NOT NULL,
    request_hash     text NOT NULL,              -- SHA-256 of the canonical request
    state            text NOT NULL CHECK (state IN ('running', 'deferred', 'done')),
    resource_id      uuid,                       -- what the request created, once it has
    response_status  integer,
    response_body    bytea,
    locked_until     timestamptz NOT NULL,       -- a 'running' claim older than this was abandoned
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key),
    CHECK (state <> 'done' OR (response_status IS NOT NULL AND response_body IS NOT NULL))
);

CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
