-- 0012_references: projects and recipients are never deleted, as payouts
-- and balances are not: nothing in the server deletes one, and a
-- payout's parties must stay. Their foreign keys already refuse the
-- delete of one that a payout names; these refuse any.
-- migrations/postgres/0012_references.sql adds the same triggers, and
-- there checks the references of payouts, ledger, events and
-- notifications once per statement instead of once per row.

CREATE TRIGGER projects_no_delete BEFORE DELETE ON projects
BEGIN
    SELECT RAISE(ABORT, 'projects are never deleted');
END;

CREATE TRIGGER recipients_no_delete BEFORE DELETE ON recipients
BEGIN
    SELECT RAISE(ABORT, 'recipients are never deleted');
END;
