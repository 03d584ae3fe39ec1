-- The rules the PostgreSQL schema enforces by itself, as SQLite's does:
-- each statement below must be refused by a CHECK, a unique key or a
-- trigger. pp_refused runs one statement and fails the script (SQLSTATE
-- PP001) when it is accepted. Run by tests/pg/schema_rules.sh on a
-- fresh schema holding migrations/postgres.
\set ON_ERROR_STOP 1

CREATE FUNCTION pg_temp.pp_refused(what text, stmt text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        EXECUTE stmt;
    EXCEPTION WHEN check_violation OR unique_violation OR raise_exception OR not_null_violation THEN
        RAISE NOTICE 'refused: % (%)', what, SQLERRM;
        RETURN;
    END;
    RAISE EXCEPTION 'accepted, must be refused: % (%)', what, stmt USING ERRCODE = 'PP001';
END $$;

INSERT INTO projects (name, created_ms) VALUES ('p', 1);
INSERT INTO recipients (user_name, created_ms, updated_ms) VALUES ('u', 1, 1);
INSERT INTO balances (currency, available, blocked, paid_out) VALUES ('EUR', 100, 0, 0);
INSERT INTO payouts (project_id, recipient_id, currency, amount_minor, start_ms, end_ms, description,
                     notification, status, created_ms, updated_ms, uuid)
VALUES (1, 1, 'EUR', 10, 1, 2, '', 0, 3, 1, 1, '00000000-0000-4000-8000-000000000000');
INSERT INTO ledger (at_ms, currency, kind, d_available, d_blocked, d_paid_out)
VALUES (1, 'EUR', 1, 100, 0, 0);
INSERT INTO admins (email, password_hash, created_ms, updated_ms) VALUES ('A@x.io', 'h', 1, 1);

SELECT pg_temp.pp_refused('a negative available balance',
    $q$UPDATE balances SET available = available - 101 WHERE currency = 'EUR'$q$);
SELECT pg_temp.pp_refused('a lower-case currency',
    $q$INSERT INTO balances (currency, available, blocked, paid_out) VALUES ('eur', 1, 0, 0)$q$);
SELECT pg_temp.pp_refused('a received payout made ready again', 'UPDATE payouts SET status = 2');
SELECT pg_temp.pp_refused('a payout amount changed', 'UPDATE payouts SET amount_minor = 11');
SELECT pg_temp.pp_refused('a payout uuid changed', 'UPDATE payouts SET uuid = NULL');
SELECT pg_temp.pp_refused('a payout deleted', 'DELETE FROM payouts');
SELECT pg_temp.pp_refused('a balance deleted', 'DELETE FROM balances');
SELECT pg_temp.pp_refused('a window that ends before it starts',
    $q$INSERT INTO payouts (project_id, recipient_id, currency, amount_minor, start_ms, end_ms,
        description, notification, status, created_ms, updated_ms, uuid)
        VALUES (1, 1, 'EUR', 10, 2, 2, '', 0, 1, 1, 1, '00000000-0000-4000-8000-000000000001')$q$);
SELECT pg_temp.pp_refused('a deposit that takes money',
    $q$INSERT INTO ledger (at_ms, currency, kind, d_available, d_blocked, d_paid_out)
        VALUES (1, 'EUR', 1, -5, 0, 0)$q$);
SELECT pg_temp.pp_refused('a block without its payout',
    $q$INSERT INTO ledger (at_ms, currency, kind, d_available, d_blocked, d_paid_out)
        VALUES (1, 'EUR', 3, -5, 5, 0)$q$);
SELECT pg_temp.pp_refused('a ledger row changed', 'UPDATE ledger SET at_ms = 2');
SELECT pg_temp.pp_refused('a ledger row deleted', 'DELETE FROM ledger');
SELECT pg_temp.pp_refused('an admin email differing only in ASCII case',
    $q$INSERT INTO admins (email, password_hash, created_ms, updated_ms) VALUES ('a@X.IO', 'h', 1, 1)$q$);
SELECT pg_temp.pp_refused('a recipient without any identifier',
    $q$INSERT INTO recipients (first_name, created_ms, updated_ms) VALUES ('f', 1, 1)$q$);
SELECT pg_temp.pp_refused('an idempotency answer without its body',
    $q$INSERT INTO idempotency (scope, key, fingerprint, created_ms, status)
        VALUES ('s', 'k', decode(repeat('00', 32), 'hex'), 1, 200)$q$);
INSERT INTO audit (at_ms, actor_kind, action) VALUES (1, 0, 'x');
SELECT pg_temp.pp_refused('an audit row changed', 'UPDATE audit SET at_ms = 2');
SELECT pg_temp.pp_refused('an audit row deleted', 'DELETE FROM audit');

-- NOCASE folds ASCII only: É and é are two addresses, as in SQLite.
INSERT INTO admins (email, password_hash, created_ms, updated_ms) VALUES ('É@x.io', 'h', 1, 1);
INSERT INTO admins (email, password_hash, created_ms, updated_ms) VALUES ('é@x.io', 'h', 1, 1);
SELECT 'schema rules: all refused' AS result;
