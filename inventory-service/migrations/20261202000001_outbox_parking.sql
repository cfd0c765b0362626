-- Canonical: outbox rows SNS refuses individually are parked, so they no
-- longer hold up the relay. Every service keeps an identical copy in its own
-- migrations/ (a test checks the copies match this file). Expand only: older
-- code ignores the column.
ALTER TABLE outbox ADD COLUMN parked_at timestamptz;

CREATE INDEX outbox_parked_idx ON outbox (id) WHERE parked_at IS NOT NULL;
