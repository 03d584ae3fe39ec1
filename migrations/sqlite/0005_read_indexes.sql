-- 0005_read_indexes: indexes for the list pages. Every order of a payout
-- list is (field, id); an index on the field alone carries the rowid (the
-- id) as its last column, so each of these serves both the order and the
-- keyset position of a page at any depth. created_ms and status have
-- theirs since 0001 (payouts_created, payouts_status).

CREATE INDEX payouts_updated ON payouts (updated_ms);
CREATE INDEX payouts_amount ON payouts (amount_minor);
CREATE INDEX payouts_start ON payouts (start_ms);
CREATE INDEX payouts_end ON payouts (end_ms);
