-- 0008_payout_actors: who created and who authorized a payout, for the
-- four-eyes rule (a panel user never authorizes a payout they created)
-- and for the payout's history. The id of the panel user (admins.id);
-- NULL when the API key (the integration) or the server itself acted, and
-- for every payout made before this migration. No foreign key, as
-- audit.admin_id: a user is never deleted, only disabled.

ALTER TABLE payouts ADD COLUMN created_by_user BIGINT CHECK (created_by_user > 0);
ALTER TABLE payouts ADD COLUMN authorized_by_user BIGINT CHECK (authorized_by_user > 0);
