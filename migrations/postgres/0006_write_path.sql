-- 0006_write_path: the same step as SQLite's 0006, so both schemas stay
-- alike at every version.
--
-- payouts_uuid_required goes: the server always writes the UUID
-- (store_tx_payout_insert asserts it), and `payout-panel check` reports
-- any payout without one. (SQLite dropped it for its statement journal;
-- here it would cost a PL/pgSQL call per insert.)
--
-- payouts_currency becomes (currency, status, id): a list filtered by
-- currency and status reads its page in id order straight from the index.

DROP TRIGGER payouts_uuid_required ON payouts;
DROP FUNCTION payouts_uuid_required();

DROP INDEX payouts_currency;
CREATE INDEX payouts_currency ON payouts (currency, status, id);
