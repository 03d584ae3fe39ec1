-- 0004_idempotency: idempotency keys. A row is inserted in the same
-- transaction as the action its request performed, so "the action
-- happened" and "the key is taken" are one fact, also across a crash. The
-- answer (status, content type, body) is filled in by a second write once
-- it is rendered; a row whose answer is still NULL means the action
-- committed but its answer was lost. Rows older than the configured TTL
-- (at least 24 h) are purged.

CREATE TABLE idempotency (
    scope        TEXT NOT NULL CHECK (length(scope) BETWEEN 1 AND 32),
    key          TEXT NOT NULL CHECK (length(CAST(key AS BLOB)) BETWEEN 1 AND 255),
    fingerprint  BLOB NOT NULL CHECK (length(fingerprint) = 32),
    created_ms   INTEGER NOT NULL,
    status       INTEGER CHECK (status IS NULL OR status BETWEEN 100 AND 599),
    content_type TEXT CHECK (content_type IS NULL OR length(content_type) BETWEEN 1 AND 127),
    body         BLOB,
    CHECK ((status IS NULL) = (body IS NULL)),
    PRIMARY KEY (scope, key)
) STRICT, WITHOUT ROWID;

CREATE INDEX idempotency_created ON idempotency (created_ms);
