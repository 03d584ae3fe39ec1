-- 0004_idempotency: idempotency keys. A row is inserted in the same
-- transaction as the action its request performed, so "the action
-- happened" and "the key is taken" are one fact, also across a crash. The
-- answer (status, content type, body) is filled in by a second write once
-- it is rendered; a row whose answer is still NULL means the action
-- committed but its answer was lost. Rows older than the configured TTL
-- (at least 24 h) are purged. SQLite's BLOBs are BYTEA. Two nodes taking
-- one key at once meet on the primary key: INSERT ... ON CONFLICT.

CREATE TABLE idempotency (
    scope        TEXT COLLATE "C" NOT NULL CHECK (length(scope) BETWEEN 1 AND 32),
    key          TEXT COLLATE "C" NOT NULL CHECK (octet_length(key) BETWEEN 1 AND 255),
    fingerprint  BYTEA NOT NULL CHECK (octet_length(fingerprint) = 32),
    created_ms   BIGINT NOT NULL,
    status       BIGINT CHECK (status IS NULL OR status BETWEEN 100 AND 599),
    content_type TEXT COLLATE "C" CHECK (content_type IS NULL OR length(content_type) BETWEEN 1 AND 127),
    body         BYTEA,
    CHECK ((status IS NULL) = (body IS NULL)),
    PRIMARY KEY (scope, key)
);

CREATE INDEX idempotency_created ON idempotency (created_ms);
