-- 0002_payout_record: the payout record grows the fields integrators and
-- admins read back: a UUID (uniqueId), the integrator's metadata, the
-- moment of each lifecycle step, and the payout reference of a received
-- payout. Existing payouts get a fresh UUID.

ALTER TABLE payouts ADD COLUMN uuid TEXT
    CHECK (uuid IS NULL OR length(uuid) = 36);
ALTER TABLE payouts ADD COLUMN metadata TEXT
    CHECK (metadata IS NULL OR length(CAST(metadata AS BLOB)) BETWEEN 2 AND 1024);
ALTER TABLE payouts ADD COLUMN authorized_ms INTEGER;
ALTER TABLE payouts ADD COLUMN received_ms INTEGER;
ALTER TABLE payouts ADD COLUMN cancelled_ms INTEGER;
ALTER TABLE payouts ADD COLUMN expired_ms INTEGER;
ALTER TABLE payouts ADD COLUMN reference TEXT
    CHECK (reference IS NULL OR length(CAST(reference AS BLOB)) BETWEEN 1 AND 200);

UPDATE payouts SET uuid = lower(
    hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'
    || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-'
    || hex(randomblob(6)))
WHERE uuid IS NULL;

CREATE UNIQUE INDEX payouts_uuid ON payouts (uuid);

-- Every new payout carries its UUID.
CREATE TRIGGER payouts_uuid_required BEFORE INSERT ON payouts
WHEN NEW.uuid IS NULL
BEGIN
    SELECT RAISE(ABORT, 'payout uuid is required');
END;

-- The UUID and metadata are as immutable as the amount.
DROP TRIGGER payouts_immutable;
CREATE TRIGGER payouts_immutable BEFORE UPDATE ON payouts
WHEN NEW.id IS NOT OLD.id OR NEW.project_id IS NOT OLD.project_id
    OR NEW.recipient_id IS NOT OLD.recipient_id OR NEW.currency IS NOT OLD.currency
    OR NEW.amount_minor IS NOT OLD.amount_minor OR NEW.created_ms IS NOT OLD.created_ms
    OR NEW.uuid IS NOT OLD.uuid OR NEW.metadata IS NOT OLD.metadata
BEGIN
    SELECT RAISE(ABORT, 'payout amount, currency, parties, uuid and metadata are immutable');
END;
