-- 0005_read_indexes: indexes for the list pages. Every order of a payout
-- list is (field, id): SQLite's index on the field alone carries the id as
-- its last column; here the id is written out, so each of these serves
-- both the order and the keyset position of a page at any depth.
-- created_ms and status have theirs since 0001 (payouts_created,
-- payouts_status).

CREATE INDEX payouts_updated ON payouts (updated_ms, id);
CREATE INDEX payouts_amount ON payouts (amount_minor, id);
CREATE INDEX payouts_start ON payouts (start_ms, id);
CREATE INDEX payouts_end ON payouts (end_ms, id);
