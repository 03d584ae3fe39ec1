-- 0003_audit: the audit log. Every admin action and every money action
-- appends one row in the same transaction as the action itself, so an
-- action is logged exactly when it happened. Append-only, like the ledger.

CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    at_ms      INTEGER NOT NULL,
    actor_kind INTEGER NOT NULL CHECK (actor_kind BETWEEN 0 AND 2),
    admin_id   INTEGER CHECK (admin_id > 0),
    addr       TEXT CHECK (addr IS NULL OR length(addr) BETWEEN 1 AND 47),
    action     TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    subject    TEXT CHECK (subject IS NULL OR length(CAST(subject AS BLOB)) BETWEEN 1 AND 4096),
    detail     TEXT CHECK (detail IS NULL OR length(CAST(detail AS BLOB)) BETWEEN 1 AND 512)
) STRICT;

CREATE INDEX audit_at ON audit (at_ms, id);
CREATE INDEX audit_action ON audit (action, id);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;
