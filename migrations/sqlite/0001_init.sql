-- 0001_init: the first schema of payout-panel.
--
-- Conventions: STRICT tables; times are integer milliseconds since the
-- Unix epoch (*_ms); money is integer minor units of its currency; text
-- limits are in bytes (length(CAST(x AS BLOB))) and match limits.h, so a
-- row always fits the fixed-size structs of model.h. Optional text is NULL,
-- never ''. The CHECKs and triggers repeat rules the code already follows:
-- they are the last line of defence for the books, also against hand-made
-- SQL.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL CHECK (length(key) > 0),
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE admins (
    id               INTEGER PRIMARY KEY,
    email            TEXT NOT NULL UNIQUE COLLATE NOCASE
                     CHECK (length(CAST(email AS BLOB)) BETWEEN 1 AND 254),
    password_hash    TEXT NOT NULL
                     CHECK (length(CAST(password_hash AS BLOB)) BETWEEN 1 AND 159),
    token_generation INTEGER NOT NULL DEFAULT 0 CHECK (token_generation >= 0),
    created_ms       INTEGER NOT NULL,
    updated_ms       INTEGER NOT NULL
) STRICT;

CREATE TABLE projects (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE CHECK (length(CAST(name AS BLOB)) BETWEEN 1 AND 200),
    created_ms INTEGER NOT NULL
) STRICT;

-- Each identifier is unique when set; a recipient has at least one.
CREATE TABLE recipients (
    id           INTEGER PRIMARY KEY,
    user_name    TEXT UNIQUE CHECK (length(CAST(user_name AS BLOB)) BETWEEN 1 AND 128),
    phone_number TEXT UNIQUE CHECK (length(CAST(phone_number AS BLOB)) BETWEEN 1 AND 128),
    reference_id TEXT UNIQUE CHECK (length(CAST(reference_id AS BLOB)) BETWEEN 1 AND 128),
    first_name   TEXT CHECK (length(CAST(first_name AS BLOB)) BETWEEN 1 AND 128),
    last_name    TEXT CHECK (length(CAST(last_name AS BLOB)) BETWEEN 1 AND 128),
    email        TEXT CHECK (length(CAST(email AS BLOB)) BETWEEN 1 AND 254),
    created_ms   INTEGER NOT NULL,
    updated_ms   INTEGER NOT NULL,
    CHECK (user_name IS NOT NULL OR phone_number IS NOT NULL OR reference_id IS NOT NULL)
) STRICT;

-- status: 1 UNAUTHORIZED, 2 READY (open: funds blocked), 3 RECEIVED,
-- 4 CANCELLED, 5 EXPIRED (final).
CREATE TABLE payouts (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES projects (id),
    recipient_id INTEGER NOT NULL REFERENCES recipients (id),
    currency     TEXT NOT NULL CHECK (length(currency) = 3 AND currency GLOB '[A-Z][A-Z][A-Z]'),
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0 AND amount_minor <= 999999999999999),
    start_ms     INTEGER NOT NULL,
    end_ms       INTEGER NOT NULL,
    description  TEXT NOT NULL CHECK (length(CAST(description AS BLOB)) <= 1000),
    notification INTEGER NOT NULL CHECK (notification IN (0, 1)),
    status       INTEGER NOT NULL CHECK (status BETWEEN 1 AND 5),
    created_ms   INTEGER NOT NULL,
    updated_ms   INTEGER NOT NULL,
    CHECK (end_ms > start_ms)
) STRICT;

CREATE INDEX payouts_status ON payouts (status, id);
CREATE INDEX payouts_currency ON payouts (currency, status, amount_minor);
CREATE INDEX payouts_project ON payouts (project_id, id);
CREATE INDEX payouts_recipient ON payouts (recipient_id, id);
CREATE INDEX payouts_created ON payouts (created_ms, id);
-- Expiry scans the open payouts whose window has ended.
CREATE INDEX payouts_open_end ON payouts (end_ms) WHERE status IN (1, 2);

-- What was blocked must stay what it was: amount, currency and parties
-- never change, final states are final, nothing is deleted.
CREATE TRIGGER payouts_immutable BEFORE UPDATE ON payouts
WHEN NEW.id IS NOT OLD.id OR NEW.project_id IS NOT OLD.project_id
    OR NEW.recipient_id IS NOT OLD.recipient_id OR NEW.currency IS NOT OLD.currency
    OR NEW.amount_minor IS NOT OLD.amount_minor OR NEW.created_ms IS NOT OLD.created_ms
BEGIN
    SELECT RAISE(ABORT, 'payout amount, currency and parties are immutable');
END;

CREATE TRIGGER payouts_status_flow BEFORE UPDATE OF status ON payouts
WHEN NEW.status IS NOT OLD.status
    AND NOT ((OLD.status = 1 AND NEW.status IN (2, 4, 5))
          OR (OLD.status = 2 AND NEW.status IN (3, 4, 5)))
BEGIN
    SELECT RAISE(ABORT, 'payout status change not allowed');
END;

CREATE TRIGGER payouts_no_delete BEFORE DELETE ON payouts
BEGIN
    SELECT RAISE(ABORT, 'payouts are never deleted');
END;

-- One row per currency ever used. Figures in minor units, never negative,
-- at most PP_BALANCE_MINOR_MAX.
CREATE TABLE balances (
    currency  TEXT PRIMARY KEY NOT NULL
              CHECK (length(currency) = 3 AND currency GLOB '[A-Z][A-Z][A-Z]'),
    available INTEGER NOT NULL CHECK (available BETWEEN 0 AND 999999999999999999),
    blocked   INTEGER NOT NULL CHECK (blocked BETWEEN 0 AND 999999999999999999),
    paid_out  INTEGER NOT NULL CHECK (paid_out BETWEEN 0 AND 999999999999999999)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER balances_no_delete BEFORE DELETE ON balances
BEGIN
    SELECT RAISE(ABORT, 'balances are never deleted');
END;

-- Every change of a balance, append-only. kind: 1 deposit (+available),
-- 2 withdraw (-available), 3 block (available -> blocked), 4 release
-- (blocked -> available), 5 payout (blocked -> paid out); the CHECK holds
-- each kind to that shape, so money is only ever moved, never made.
CREATE TABLE ledger (
    id          INTEGER PRIMARY KEY,
    at_ms       INTEGER NOT NULL,
    currency    TEXT NOT NULL CHECK (length(currency) = 3 AND currency GLOB '[A-Z][A-Z][A-Z]'),
    kind        INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 5),
    d_available INTEGER NOT NULL,
    d_blocked   INTEGER NOT NULL,
    d_paid_out  INTEGER NOT NULL,
    payout_id   INTEGER REFERENCES payouts (id),
    reference   TEXT CHECK (length(CAST(reference AS BLOB)) BETWEEN 1 AND 200),
    admin_id    INTEGER CHECK (admin_id > 0),
    CHECK (CASE kind
        WHEN 1 THEN d_available > 0 AND d_blocked = 0 AND d_paid_out = 0 AND payout_id IS NULL
        WHEN 2 THEN d_available < 0 AND d_blocked = 0 AND d_paid_out = 0 AND payout_id IS NULL
        WHEN 3 THEN d_blocked > 0 AND d_available = -d_blocked AND d_paid_out = 0
                    AND payout_id IS NOT NULL
        WHEN 4 THEN d_blocked < 0 AND d_available = -d_blocked AND d_paid_out = 0
                    AND payout_id IS NOT NULL
        WHEN 5 THEN d_blocked < 0 AND d_paid_out = -d_blocked AND d_available = 0
                    AND payout_id IS NOT NULL
        ELSE 0 END)
) STRICT;

CREATE INDEX ledger_payout ON ledger (payout_id);
CREATE INDEX ledger_currency ON ledger (currency);

CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'ledger is append-only');
END;

CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'ledger is append-only');
END;
