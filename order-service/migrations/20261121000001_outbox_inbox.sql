-- Canonical outbox and inbox tables. Every service keeps an identical copy in
-- its own migrations/ (a test checks the copies match this file).

-- Events written in the same transaction as the change they describe; the
-- relay publishes unpublished rows to the service's SNS topic.
CREATE TABLE outbox (
    id             uuid PRIMARY KEY,            -- the event id, UUID v7 (time-ordered)
    event_type     text NOT NULL,
    event_version  integer NOT NULL CHECK (event_version > 0),
    aggregate_id   text NOT NULL,
    sequence       bigint NOT NULL CHECK (sequence > 0),
    correlation_id text,
    data           jsonb NOT NULL,
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz,
    attempts       integer NOT NULL DEFAULT 0,
    last_error     text,
    UNIQUE (aggregate_id, event_type, sequence)
);

CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_published_at_idx ON outbox (published_at) WHERE published_at IS NOT NULL;

-- Wakes the relay as soon as a transaction that wrote events commits.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify_after_insert
    AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Events a consumer has already handled, recorded in the same transaction as
-- the effect so a redelivered message has no second effect.
CREATE TABLE inbox (
    consumer    text NOT NULL,
    event_id    uuid NOT NULL,
    event_type  text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE INDEX inbox_received_at_idx ON inbox (received_at);
