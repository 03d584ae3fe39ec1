-- 0012_references: the references of payouts, ledger, events and
-- notifications checked once per statement instead of once per row.
--
-- A foreign key in PostgreSQL checks each inserted row on its own (a
-- query through SPI that also locks the parent row FOR KEY SHARE): for a
-- create, five of them, a fifth of the writer's time in the database
-- (docs/performance.md, round eleven). Here those five keys are checked
-- by statement triggers, one per table, over the rows the statement
-- inserted or changed (a transition table): one query for a batch's
-- multi-row insert. Each refuses with SQLSTATE 23503
-- (foreign_key_violation), as the key did.
--
-- A key also kept its parent: no delete of a referenced row, no change of
-- its id. Payouts already refuse both (payouts_no_delete,
-- payouts_immutable); projects and recipients now refuse a delete (both
-- backends: neither is ever deleted) and a change of id. No parent row
-- is locked: every server writes under the writers' lock row (schema_lock),
-- and no server deletes a parent, so no write can remove a parent between
-- the check and the commit.
--
-- SQLite keeps its foreign keys (a check there is one b-tree lookup).
-- tests/pg/schema_compare.py reads the "foreign key:" comment of each
-- trigger that stands for one and compares them with SQLite's keys;
-- tests/pg/schema_rules.sql checks each refusal.

ALTER TABLE payouts DROP CONSTRAINT payouts_project_id_fkey,
                    DROP CONSTRAINT payouts_recipient_id_fkey;
ALTER TABLE ledger DROP CONSTRAINT ledger_payout_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_payout_id_fkey;
ALTER TABLE notifications DROP CONSTRAINT notifications_payout_id_fkey;

-- Each parent is looked up by its primary key, row by row, through a
-- scalar subquery: the planner never turns one into a join, where a NOT
-- EXISTS became a hash anti-join that read the whole parent table for
-- every statement (its cost growing with the table).
CREATE FUNCTION payouts_references() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pp_new n
               WHERE (SELECT p.id FROM projects p WHERE p.id = n.project_id) IS NULL) THEN
        RAISE EXCEPTION 'a payout names a project that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM pp_new n
               WHERE (SELECT r.id FROM recipients r WHERE r.id = n.recipient_id) IS NULL) THEN
        RAISE EXCEPTION 'a payout names a recipient that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

-- For any table whose payout_id (NULL: none) must name a payout.
CREATE FUNCTION payout_id_references() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pp_new n
               WHERE n.payout_id IS NOT NULL
                 AND (SELECT p.id FROM payouts p WHERE p.id = n.payout_id) IS NULL) THEN
        RAISE EXCEPTION 'a row of % names a payout that does not exist', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

-- The parties of a payout, and ledger and event rows, never change
-- (payouts_immutable, ledger_no_update, events_no_update): for those,
-- inserts are all there is to check. An e-mail's row changes as it is sent.
CREATE TRIGGER payouts_references AFTER INSERT ON payouts REFERENCING NEW TABLE AS pp_new
    FOR EACH STATEMENT EXECUTE FUNCTION payouts_references();
CREATE TRIGGER ledger_references AFTER INSERT ON ledger REFERENCING NEW TABLE AS pp_new
    FOR EACH STATEMENT EXECUTE FUNCTION payout_id_references();
CREATE TRIGGER events_references AFTER INSERT ON events REFERENCING NEW TABLE AS pp_new
    FOR EACH STATEMENT EXECUTE FUNCTION payout_id_references();
CREATE TRIGGER notifications_references AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS pp_new
    FOR EACH STATEMENT EXECUTE FUNCTION payout_id_references();
CREATE TRIGGER notifications_references_changed AFTER UPDATE ON notifications
    REFERENCING NEW TABLE AS pp_new
    FOR EACH STATEMENT EXECUTE FUNCTION payout_id_references();

CREATE TRIGGER projects_no_delete BEFORE DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION pp_refuse('projects are never deleted');
CREATE TRIGGER recipients_no_delete BEFORE DELETE ON recipients
    FOR EACH ROW EXECUTE FUNCTION pp_refuse('recipients are never deleted');
CREATE TRIGGER projects_id_fixed BEFORE UPDATE OF id ON projects
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION pp_refuse('a project''s id never changes');
CREATE TRIGGER recipients_id_fixed BEFORE UPDATE OF id ON recipients
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION pp_refuse('a recipient''s id never changes');

COMMENT ON TRIGGER payouts_references ON payouts IS
    'foreign key: payouts.project_id -> projects.id; payouts.recipient_id -> recipients.id';
COMMENT ON TRIGGER ledger_references ON ledger IS 'foreign key: ledger.payout_id -> payouts.id';
COMMENT ON TRIGGER events_references ON events IS 'foreign key: events.payout_id -> payouts.id';
COMMENT ON TRIGGER notifications_references ON notifications IS
    'foreign key: notifications.payout_id -> payouts.id';
COMMENT ON TRIGGER notifications_references_changed ON notifications IS
    'foreign key: notifications.payout_id -> payouts.id';
COMMENT ON TRIGGER projects_id_fixed ON projects IS 'foreign key: payouts.project_id -> projects.id';
COMMENT ON TRIGGER recipients_id_fixed ON recipients IS
    'foreign key: payouts.recipient_id -> recipients.id';
