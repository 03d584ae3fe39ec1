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
    EXCEPTION WHEN check_violation OR unique_violation OR raise_exception OR not_null_violation
              OR foreign_key_violation THEN
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

-- The references migrations/postgres/0012_references.sql checks once per
-- statement, as a foreign key did once per row; a multi-row insert with one
-- bad row among good ones is refused whole.
SELECT pg_temp.pp_refused('a payout of a project that does not exist',
    $q$INSERT INTO payouts (project_id, recipient_id, currency, amount_minor, start_ms, end_ms,
        description, notification, status, created_ms, updated_ms, uuid)
        VALUES (1, 1, 'EUR', 10, 1, 2, '', 0, 1, 1, 1, '00000000-0000-4000-8000-000000000002'),
               (99, 1, 'EUR', 10, 1, 2, '', 0, 1, 1, 1, '00000000-0000-4000-8000-000000000003')$q$);
SELECT pg_temp.pp_refused('a payout to a recipient that does not exist',
    $q$INSERT INTO payouts (project_id, recipient_id, currency, amount_minor, start_ms, end_ms,
        description, notification, status, created_ms, updated_ms, uuid)
        VALUES (1, 99, 'EUR', 10, 1, 2, '', 0, 1, 1, 1, '00000000-0000-4000-8000-000000000004')$q$);
SELECT pg_temp.pp_refused('a ledger row of a payout that does not exist',
    $q$INSERT INTO ledger (at_ms, currency, kind, d_available, d_blocked, d_paid_out, payout_id)
        VALUES (1, 'EUR', 3, -5, 5, 0, 1), (1, 'EUR', 3, -5, 5, 0, 99)$q$);
SELECT pg_temp.pp_refused('an event of a payout that does not exist',
    $q$INSERT INTO events (type, payout_id, sequence, created_ms) VALUES ('payout.created', 99, 1, 1)$q$);
INSERT INTO events (type, payout_id, sequence, created_ms) VALUES ('payout.created', 1, 1, 1);
SELECT pg_temp.pp_refused('an event moved to a payout that does not exist',
    'UPDATE events SET payout_id = 99');
SELECT pg_temp.pp_refused('an e-mail of a payout that does not exist',
    $q$INSERT INTO notifications (payout_id, kind, channel, status, next_ms, created_ms, at_ms)
        VALUES (99, 1, 'email', 1, 1, 1, 1)$q$);
INSERT INTO notifications (payout_id, kind, channel, status, next_ms, created_ms, at_ms)
VALUES (1, 1, 'email', 1, 1, 1, 1);
SELECT pg_temp.pp_refused('an e-mail moved to a payout that does not exist',
    'UPDATE notifications SET payout_id = 99');
SELECT pg_temp.pp_refused('a project deleted', 'DELETE FROM projects');
SELECT pg_temp.pp_refused('a recipient deleted', 'DELETE FROM recipients');
SELECT pg_temp.pp_refused('a project renumbered', 'UPDATE projects SET id = 99');
SELECT pg_temp.pp_refused('a recipient renumbered', 'UPDATE recipients SET id = 99');
-- What the references accept: rows that name what exists, and no payout.
INSERT INTO ledger (at_ms, currency, kind, d_available, d_blocked, d_paid_out, payout_id)
VALUES (1, 'EUR', 3, -5, 5, 0, 1), (1, 'EUR', 1, 5, 0, 0, NULL);
UPDATE notifications SET status = 2;
UPDATE recipients SET first_name = 'f';

-- NOCASE folds ASCII only: É and é are two addresses, as in SQLite.
INSERT INTO admins (email, password_hash, created_ms, updated_ms) VALUES ('É@x.io', 'h', 1, 1);
INSERT INTO admins (email, password_hash, created_ms, updated_ms) VALUES ('é@x.io', 'h', 1, 1);
SELECT 'schema rules: all refused' AS result;
