-- 0009_users: the panel's users (spec section 7). The admins table becomes the
-- users table in all but name: every id that names an admin elsewhere
-- (ledger.admin_id, audit.admin_id, payouts.created_by_user ...) keeps
-- naming the same person. Each user gains a role (every existing admin is
-- 'admin'), a disabled flag, the two-factor secret sealed with the
-- server's master secret (never in clear: sec/seal.c) with the secret of
-- a setup not yet confirmed, the last accepted code step (a code works
-- once), and the moment of the last sign-in. token_generation keeps its
-- role and widens it: bumping it ends the user's tokens and sessions.
ALTER TABLE admins ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'
    CHECK (role IN ('admin', 'approver', 'operator', 'auditor'));
ALTER TABLE admins ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0
    CHECK (disabled IN (0, 1));
ALTER TABLE admins ADD COLUMN totp_sealed TEXT
    CHECK (totp_sealed IS NULL OR length(totp_sealed) BETWEEN 1 AND 255);
ALTER TABLE admins ADD COLUMN totp_pending_sealed TEXT
    CHECK (totp_pending_sealed IS NULL OR length(totp_pending_sealed) BETWEEN 1 AND 255);
ALTER TABLE admins ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT -1
    CHECK (totp_last_step >= -1);
ALTER TABLE admins ADD COLUMN last_sign_in_ms INTEGER
    CHECK (last_sign_in_ms IS NULL OR last_sign_in_ms >= 0);

-- Browser sessions: only the SHA-256 of the cookie's id is kept (64 hex
-- digits), with the CSRF token the panel echoes, the user's
-- token_generation when it began (a bump ends it), and its two clocks
-- (idle and absolute expiry are the server's options, checked on use).
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    id_hash      TEXT NOT NULL UNIQUE CHECK (length(id_hash) = 64),
    user_id      INTEGER NOT NULL REFERENCES admins (id),
    csrf_token   TEXT NOT NULL CHECK (length(csrf_token) BETWEEN 1 AND 64),
    generation   INTEGER NOT NULL CHECK (generation >= 0),
    created_ms   INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    CHECK (last_seen_ms >= created_ms)
) STRICT;

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen_ms);
