-- 0011_cluster: the tables several servers on one PostgreSQL database
-- share (rate-limit and lock-out counters, leases of periodic work). One
-- server owns an SQLite file, keeps its counters in memory and needs no
-- lease, so SQLite never uses them; they are here so that both schemas
-- hold the same tables (tests/pg/schema_compare.py).

CREATE TABLE counters (
    key        TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 95),
    v1         INTEGER NOT NULL DEFAULT 0,
    v2         INTEGER NOT NULL DEFAULT 0,
    v3         INTEGER NOT NULL DEFAULT 0,
    v4         INTEGER NOT NULL DEFAULT 0,
    v5         INTEGER NOT NULL DEFAULT 0,
    touched_ms INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

CREATE INDEX counters_touched ON counters (touched_ms, key);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 31),
    holder     TEXT NOT NULL CHECK (length(holder) BETWEEN 1 AND 47),
    expires_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
