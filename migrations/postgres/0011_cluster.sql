-- 0011_cluster: what several servers on one database share beside the
-- data (spec section 10). counters: the rate limits' token buckets and the log-in
-- lockout's entries, counted across every node; each row is locked for one
-- short transaction per request. UNLOGGED: they are not worth a WAL write
-- per request, and a crash of the database forgetting them only refills
-- the buckets. leases: periodic work (expiry) is run by the node holding
-- its lease, until expires_ms on the database's clock.

CREATE UNLOGGED TABLE counters (
    key        TEXT COLLATE "C" PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 95),
    v1         BIGINT NOT NULL DEFAULT 0,
    v2         BIGINT NOT NULL DEFAULT 0,
    v3         BIGINT NOT NULL DEFAULT 0,
    v4         BIGINT NOT NULL DEFAULT 0,
    v5         BIGINT NOT NULL DEFAULT 0,
    touched_ms BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX counters_touched ON counters (touched_ms, key);

CREATE TABLE leases (
    name       TEXT COLLATE "C" PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 31),
    holder     TEXT COLLATE "C" NOT NULL CHECK (length(holder) BETWEEN 1 AND 47),
    expires_ms BIGINT NOT NULL
);
