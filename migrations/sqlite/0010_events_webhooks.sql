-- 0010_events_webhooks: events, webhook endpoints and their deliveries,
-- and recipient notifications (spec section 9).
--
-- Transactional outbox: an event row, the delivery rows of the endpoints
-- subscribed to it and a due notification are written in the same
-- transaction as the payout or funds change they describe, so a change
-- that is rolled back leaves no event, and one that committed is
-- delivered eventually (the delivery worker reads webhook_deliveries).
--
-- events: append-only. type is the event type's name. A payout event
-- carries the payout's status after the change (the payout object of the
-- event is the payout row as it stood then: every later moment is left
-- out, see src/store/sqlite/events.c); a funds event carries the amount,
-- the reference and the balance after the move. sequence counts the events
-- of one payout, or the funds events of one currency, from 1. A
-- webhook.test event names the endpoint it was sent to and is not in the
-- feed.

CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    type         TEXT NOT NULL CHECK (type IN ('payout.created', 'payout.authorized',
                     'payout.received', 'payout.cancelled', 'payout.expired',
                     'funds.deposited', 'funds.withdrawn', 'webhook.test')),
    payout_id    INTEGER REFERENCES payouts (id),
    currency     TEXT CHECK (currency IS NULL
                     OR (length(currency) = 3 AND currency GLOB '[A-Z][A-Z][A-Z]')),
    sequence     INTEGER NOT NULL CHECK (sequence >= 1),
    created_ms   INTEGER NOT NULL,
    status       INTEGER CHECK (status IS NULL OR status BETWEEN 1 AND 5),
    amount_minor INTEGER CHECK (amount_minor IS NULL OR amount_minor > 0),
    reference    TEXT CHECK (length(CAST(reference AS BLOB)) BETWEEN 1 AND 200),
    available    INTEGER CHECK (available IS NULL OR available >= 0),
    blocked      INTEGER CHECK (blocked IS NULL OR blocked >= 0),
    paid_out     INTEGER CHECK (paid_out IS NULL OR paid_out >= 0),
    paid_out_e18 INTEGER CHECK (paid_out_e18 IS NULL OR paid_out_e18 >= 0),
    endpoint_id  INTEGER REFERENCES webhook_endpoints (id),
    CHECK ((payout_id IS NOT NULL) = (type LIKE 'payout.%')),
    CHECK ((endpoint_id IS NOT NULL) = (type = 'webhook.test'))
) STRICT;

CREATE INDEX events_payout ON events (payout_id, sequence);
CREATE INDEX events_funds ON events (currency, sequence) WHERE payout_id IS NULL;
CREATE INDEX events_type ON events (type);
CREATE INDEX events_created ON events (created_ms);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

-- An endpoint. events: NULL for every type, else the subscribed types
-- joined as ",a,b," (so one instr() finds a type). The secret is sealed
-- (AES-256-GCM, src/sec/seal.c) under a key derived from the server's
-- master secret, which is kept outside the database; after a rotation the
-- previous secret keeps signing beside the new one until
-- old_secret_until_ms. failing_since_ms: the first failed attempt after
-- the last success (NULL while not failing), for the 5-days rule.
-- A deleted endpoint keeps its row (its deliveries refer to it) and is no
-- longer shown.
CREATE TABLE webhook_endpoints (
    id                  INTEGER PRIMARY KEY,
    url                 TEXT NOT NULL CHECK (length(CAST(url AS BLOB)) BETWEEN 1 AND 2048),
    events              TEXT CHECK (length(events) BETWEEN 3 AND 512),
    enabled             INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    description         TEXT CHECK (length(CAST(description AS BLOB)) BETWEEN 1 AND 500),
    disabled_reason     TEXT CHECK (length(CAST(disabled_reason AS BLOB)) BETWEEN 1 AND 200),
    secret_sealed       TEXT NOT NULL CHECK (length(secret_sealed) BETWEEN 1 AND 512),
    old_secret_sealed   TEXT CHECK (length(old_secret_sealed) BETWEEN 1 AND 512),
    old_secret_until_ms INTEGER,
    failing_since_ms    INTEGER,
    created_ms          INTEGER NOT NULL,
    updated_ms          INTEGER NOT NULL,
    deleted_ms          INTEGER,
    CHECK ((old_secret_sealed IS NULL) = (old_secret_until_ms IS NULL))
) STRICT;

-- One event to be sent to one endpoint (a replay adds another). state: 1
-- pending, 2 delivered, 3 failed (given up). payout_id copies the event's,
-- for the order rule: a payout's event waits while an earlier one of the
-- same payout is pending for the same endpoint.
CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY,
    endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints (id),
    event_id    INTEGER NOT NULL REFERENCES events (id),
    payout_id   INTEGER REFERENCES payouts (id),
    state       INTEGER NOT NULL CHECK (state BETWEEN 1 AND 3),
    attempts    INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_ms     INTEGER NOT NULL,
    created_ms  INTEGER NOT NULL,
    done_ms     INTEGER
) STRICT;

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_ms) WHERE state = 1;
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, payout_id, event_id)
    WHERE state = 1;

-- Every attempt of a delivery: when, how long, the HTTP status (NULL when
-- no answer came) or what went wrong.
CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id),
    endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints (id),
    event_id    INTEGER NOT NULL REFERENCES events (id),
    at_ms       INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
    http_status INTEGER CHECK (http_status IS NULL OR http_status BETWEEN 100 AND 599),
    error       TEXT CHECK (length(CAST(error AS BLOB)) BETWEEN 1 AND 200)
) STRICT;

CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id);

-- A recipient notification: at most one per payout and kind (1 ready, 2
-- received), ever. status: 1 pending, 2 sent, 3 failed, 4 skipped (no
-- --smtp-url). at_ms: when it reached its status.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    payout_id  INTEGER NOT NULL REFERENCES payouts (id),
    kind       INTEGER NOT NULL CHECK (kind IN (1, 2)),
    channel    TEXT NOT NULL CHECK (channel = 'email'),
    status     INTEGER NOT NULL CHECK (status BETWEEN 1 AND 4),
    attempts   INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_ms    INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    at_ms      INTEGER NOT NULL,
    last_error TEXT CHECK (length(CAST(last_error AS BLOB)) BETWEEN 1 AND 256),
    UNIQUE (payout_id, kind)
) STRICT;

CREATE INDEX notifications_due ON notifications (next_ms) WHERE status = 1;
