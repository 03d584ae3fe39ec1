-- 0002_payout_record: the payout record grows the fields integrators and
-- admins read back: a UUID (uniqueId), the integrator's metadata, the
-- moment of each lifecycle step, and the payout reference of a received
-- payout. Existing payouts get a fresh UUID (gen_random_uuid, version 4,
-- lower case, as SQLite's expression makes). As in SQLite the columns are
-- TEXT: the server reads and writes the UUID as its 36-character text.

ALTER TABLE payouts ADD COLUMN uuid TEXT COLLATE "C"
    CHECK (uuid IS NULL OR length(uuid) = 36);
ALTER TABLE payouts ADD COLUMN metadata TEXT COLLATE "C"
    CHECK (metadata IS NULL OR octet_length(metadata) BETWEEN 2 AND 1024);
ALTER TABLE payouts ADD COLUMN authorized_ms BIGINT;
ALTER TABLE payouts ADD COLUMN received_ms BIGINT;
ALTER TABLE payouts ADD COLUMN cancelled_ms BIGINT;
ALTER TABLE payouts ADD COLUMN expired_ms BIGINT;
ALTER TABLE payouts ADD COLUMN reference TEXT COLLATE "C"
    CHECK (reference IS NULL OR octet_length(reference) BETWEEN 1 AND 200);

-- payouts_immutable refuses a change of the uuid only from here on.
UPDATE payouts SET uuid = gen_random_uuid()::text WHERE uuid IS NULL;

CREATE UNIQUE INDEX payouts_uuid ON payouts (uuid);

-- Every new payout carries its UUID.
CREATE FUNCTION payouts_uuid_required() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.uuid IS NULL THEN
        RAISE EXCEPTION 'payout uuid is required';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER payouts_uuid_required BEFORE INSERT ON payouts
    FOR EACH ROW EXECUTE FUNCTION payouts_uuid_required();

-- The UUID and metadata are as immutable as the amount.
CREATE OR REPLACE FUNCTION payouts_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.project_id IS DISTINCT FROM OLD.project_id
        OR NEW.recipient_id IS DISTINCT FROM OLD.recipient_id
        OR NEW.currency IS DISTINCT FROM OLD.currency
        OR NEW.amount_minor IS DISTINCT FROM OLD.amount_minor
        OR NEW.created_ms IS DISTINCT FROM OLD.created_ms
        OR NEW.uuid IS DISTINCT FROM OLD.uuid
        OR NEW.metadata IS DISTINCT FROM OLD.metadata THEN
        RAISE EXCEPTION 'payout amount, currency, parties, uuid and metadata are immutable';
    END IF;
    RETURN NEW;
END $$;
