-- 0006_write_path: a payout insert that touches fewer b-tree pages and
-- needs no statement journal.
--
-- payouts_uuid_required goes: a BEFORE INSERT trigger makes SQLite keep a
-- statement journal for every payout insert, a copy of each of the ~12
-- pages the insert touches. The server always writes the UUID
-- (store_tx_payout_insert asserts it), and `payout-panel check` now
-- reports any payout without one.
--
-- payouts_currency becomes (currency, status) (the id rides along as the
-- rowid): new payouts land at the right edge of their (currency, status)
-- group instead of at a random amount, and a list filtered by currency and
-- status reads its page in id order straight from the index.

DROP TRIGGER payouts_uuid_required;

DROP INDEX payouts_currency;
CREATE INDEX payouts_currency ON payouts (currency, status);
