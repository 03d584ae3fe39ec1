#!/usr/bin/env python3
"""Checks that migrations/sqlite and migrations/postgres build the same schema.

Applies migrations/sqlite/*.sql in order to a fresh SQLite file and
migrations/postgres/*.sql in order (each file in one transaction, as the
server does) to a fresh database in a PostgreSQL cluster, then compares,
table by table:

- the migration numbers of the two folders;
- table names; column names, their nullability and their types
  (SQLite INTEGER = bigint, TEXT = text COLLATE "C", BLOB = bytea);
- the primary key, and the unique keys (SQLite's COLLATE NOCASE is
  PostgreSQL's lower(column));
- the CHECK constraints, each by the set of columns it names;
- the other indexes, by name: columns (an index of a SQLite rowid table
  carries the id as its last column, so the PostgreSQL index must name it)
  and whether it is partial (a unique index is compared as a unique key:
  SQLite names those of UNIQUE columns sqlite_autoindex_*);
- the foreign keys, each as child.column -> parent.column: SQLite's keys
  against PostgreSQL's keys and the keys its triggers stand for (a trigger
  whose comment reads "foreign key: a.b -> c.d; ..." checks those
  references itself, migrations/postgres/0012_references.sql, and is
  left out of the trigger names);
- the trigger names.

Any difference is printed and the exit status is 1. --self-test breaks each
rule once in a copy of the migrations (a column missing on one side, a
CHECK missing, an index without its id, a migration number on one side
only, ...) and fails unless each break is reported, and the unbroken copy
is not.

Usage: schema_compare.py --migrations DIR (--url POSTGRES_URI | --cluster DIR)
                         [--psql PATH] [--self-test]
(--cluster: the DIR given to tests/pg/pg_cluster.sh start.)
The URI names a database of the cluster: the script builds each schema in
a PostgreSQL schema of its own there (pp_schema_<pid>_<n>) and drops it.
"""
import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

# SQLite compares text by bytes (BINARY); PostgreSQL does so under "C".
SQLITE_TO_PG_TYPE = {"INTEGER": "bigint", "TEXT": 'text COLLATE "C"', "BLOB": "bytea"}


def migration_files(folder):
    out = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".sql"):
            continue
        m = re.match(r"^(\d+)_", name)
        if not m:
            raise SystemExit(f"{folder}/{name}: a migration's name starts with its number")
        out[int(m.group(1))] = os.path.join(folder, name)
    return out


# --- SQLite -------------------------------------------------------------------


def split_top_level(body):
    """Splits a CREATE TABLE body at the commas outside parentheses and quotes."""
    parts, depth, cur, quote = [], 0, [], None
    for ch in body:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def check_expressions(text):
    """The expression of each CHECK (...) in a column or table definition."""
    out = []
    for m in re.finditer(r"\bCHECK\s*\(", text, re.IGNORECASE):
        depth, i = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        out.append(text[m.end():i - 1])
    return out


def columns_named(expr, columns):
    expr = re.sub(r"'[^']*'", "", expr)
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expr))
    return frozenset(c for c in columns if c in words)


def sqlite_schema(files):
    tmp = tempfile.mkdtemp(prefix="pp-schema-")
    try:
        db = sqlite3.connect(os.path.join(tmp, "schema.db"), isolation_level=None)
        for n in sorted(files):
            with open(files[n], encoding="utf-8") as f:
                sql = f.read()
            try:
                db.executescript("BEGIN;\n" + sql + "\nCOMMIT;")
            except sqlite3.Error as e:
                raise SystemExit(f"sqlite: {files[n]}: {e}")
        return sqlite_describe(db)
    finally:
        shutil.rmtree(tmp)


def sqlite_describe(db):
    schema = {}
    tables = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                        "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    for table, sql in tables:
        info = db.execute(f"PRAGMA table_info('{table}')").fetchall()
        cols = {}
        for _cid, name, ctype, notnull, _dflt, pk in info:
            cols[name] = (SQLITE_TO_PG_TYPE.get(ctype.upper(), "?" + ctype), bool(notnull or pk))
        pk_cols = tuple(name for _c, name, _t, _n, _d, pk in sorted(info, key=lambda r: r[5]) if pk)
        body = sql[sql.index("(") + 1:sql.rindex(")")]
        checks = []
        for part in split_top_level(body):
            for expr in check_expressions(part):
                named = columns_named(expr, cols)
                if not re.match(r"(CHECK|PRIMARY|UNIQUE|FOREIGN|CONSTRAINT)\b", part, re.I):
                    named = named | {part.split()[0]}
                checks.append(named)
        rowid = "WITHOUT ROWID" not in sql.upper()
        uniques, indexes = set(), {}
        for _seq, iname, unique, origin, partial in db.execute(f"PRAGMA index_list('{table}')"):
            xinfo = db.execute(f"PRAGMA index_xinfo('{iname}')").fetchall()
            key = tuple((name, coll.upper() == "NOCASE") for _s, _c, name, _d, coll, k in xinfo if k)
            if unique and origin != "pk":
                uniques.add(key)
            if origin == "c" and not unique:
                ordered = [k[0] for k in key]
                if rowid and not unique and ordered[-1:] != ["id"]:
                    ordered.append("id")  # the rowid every entry of the index carries
                indexes[iname] = (tuple(ordered), bool(unique), bool(partial))
        triggers = {r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,))}
        fkeys = {f"{table}.{r[3]} -> {r[2]}.{r[4]}"
                 for r in db.execute(f"PRAGMA foreign_key_list('{table}')")}
        schema[table] = {"columns": cols, "pk": pk_cols, "uniques": uniques,
                         "checks": sorted(checks, key=sorted), "indexes": indexes,
                         "triggers": triggers, "fkeys": fkeys}
    return schema


# --- PostgreSQL ---------------------------------------------------------------


class Postgres:
    """Each schema is built in a fresh PostgreSQL schema (namespace) of the
    database the URI names, reached through search_path, and dropped after."""

    def __init__(self, psql, url):
        self.psql, self.url, self.count = psql, url, 0

    def run(self, ns, *args, sql=None):
        cmd = [self.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t", self.url, *args]
        if sql is not None:
            cmd += ["-c", sql]
        env = dict(os.environ, PGOPTIONS=f"-c search_path={ns}")
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if p.returncode != 0:
            raise RuntimeError(p.stderr.strip() or f"psql exited {p.returncode}")
        return [line.split("\t") for line in p.stdout.splitlines() if line]

    def schema(self, files):
        self.count += 1
        ns = f"pp_schema_{os.getpid()}_{self.count}"
        self.run("public", sql=f"CREATE SCHEMA {ns}")
        try:
            # One psql for all the files, in order, in one transaction: an
            # error names its file and line ("psql:<file>:<line>: ERROR").
            args = ["-1"]
            for n in sorted(files):
                args += ["-f", files[n]]
            try:
                self.run(ns, *args)
            except RuntimeError as e:
                raise SystemExit(f"postgres: {e}")
            return self.describe(ns)
        finally:
            self.run("public", sql=f"DROP SCHEMA {ns} CASCADE")

    def describe(self, db):
        schema = {}
        for (table,) in self.run(db, sql="SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"):
            schema[table] = {"columns": {}, "pk": (), "uniques": set(), "checks": [],
                             "indexes": {}, "triggers": set(), "fkeys": set()}
        for table, col, ctype, notnull in self.run(db, sql="""
                SELECT c.relname, a.attname,
                       format_type(a.atttypid, a.atttypmod)
                       || COALESCE(' COLLATE ' || quote_ident(co.collname), ''), a.attnotnull
                FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
                LEFT JOIN pg_collation co ON co.oid = a.attcollation AND co.collname <> 'default'
                WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0
                  AND NOT a.attisdropped"""):
            schema[table]["columns"][col] = (ctype, notnull == "t")
        for table, cols in self.run(db, sql="""
                SELECT c.relname, (SELECT string_agg(a.attname, ',' ORDER BY k.i)
                                   FROM unnest(con.conkey) WITH ORDINALITY k(attnum, i)
                                   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum)
                FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND con.contype = 'c'"""):
            schema[table]["checks"].append(frozenset(cols.split(",")))
        for table in schema:
            schema[table]["checks"].sort(key=sorted)
        for table, iname, unique, primary, partial, defs in self.run(db, sql="""
                SELECT t.relname, i.relname, x.indisunique, x.indisprimary, x.indpred IS NOT NULL,
                       (SELECT string_agg(pg_get_indexdef(x.indexrelid, k, true), '|' ORDER BY k)
                        FROM generate_series(1, x.indnkeyatts) k)
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
                WHERE n.nspname = current_schema()"""):
            key = []
            for d in defs.split("|"):
                m = re.fullmatch(r"lower\((\w+)\)", d)
                key.append((m.group(1), True) if m else (d, False))
            key = tuple(key)
            if primary == "t":
                schema[table]["pk"] = tuple(k[0] for k in key)
                continue
            if unique == "t":
                schema[table]["uniques"].add(key)
            else:
                schema[table]["indexes"][iname] = (tuple(k[0] for k in key), unique == "t",
                                                   partial == "t")
        for table, col, parent, pcol in self.run(db, sql="""
                SELECT c.relname, a.attname, p.relname, pa.attname
                FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_class p ON p.oid = con.confrelid
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = con.conkey[1]
                JOIN pg_attribute pa ON pa.attrelid = p.oid AND pa.attnum = con.confkey[1]
                WHERE n.nspname = current_schema() AND con.contype = 'f'"""):
            schema[table]["fkeys"].add(f"{table}.{col} -> {parent}.{pcol}")
        for table, trigger, comment in self.run(db, sql="""
                SELECT c.relname, t.tgname, COALESCE(obj_description(t.oid, 'pg_trigger'), '')
                FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND NOT t.tgisinternal"""):
            m = re.fullmatch(r"foreign key: (.+)", comment)
            if not m:
                schema[table]["triggers"].add(trigger)
                continue
            for key in m.group(1).split(";"):
                key = key.strip()
                child = key.split(".", 1)[0]
                if child not in schema:
                    raise SystemExit(f"postgres: trigger {table}.{trigger}: no table {child}")
                schema[child]["fkeys"].add(key)
        return schema


# --- The comparison -----------------------------------------------------------


def compare(sq, pg):
    """Every difference between the two described schemas, as sentences."""
    out = []
    for t in sorted(set(sq) - set(pg)):
        out.append(f"table {t}: in sqlite only")
    for t in sorted(set(pg) - set(sq)):
        out.append(f"table {t}: in postgres only")
    for t in sorted(set(sq) & set(pg)):
        a, b = sq[t], pg[t]
        for c in sorted(set(a["columns"]) - set(b["columns"])):
            out.append(f"column {t}.{c}: in sqlite only")
        for c in sorted(set(b["columns"]) - set(a["columns"])):
            out.append(f"column {t}.{c}: in postgres only")
        for c in sorted(set(a["columns"]) & set(b["columns"])):
            (ta, na), (tb, nb) = a["columns"][c], b["columns"][c]
            if ta != tb:
                out.append(f"column {t}.{c}: type {ta} in sqlite, {tb} in postgres")
            if na != nb:
                out.append(f"column {t}.{c}: NOT NULL {na} in sqlite, {nb} in postgres")
        if a["pk"] != b["pk"]:
            out.append(f"table {t}: primary key {a['pk']} in sqlite, {b['pk']} in postgres")
        for u in sorted(a["uniques"] - b["uniques"]):
            out.append(f"table {t}: unique key {u} in sqlite only")
        for u in sorted(b["uniques"] - a["uniques"]):
            out.append(f"table {t}: unique key {u} in postgres only")
        ca, cb = list(a["checks"]), list(b["checks"])
        for c in list(ca):
            if c in cb:
                ca.remove(c)
                cb.remove(c)
        for c in ca:
            out.append(f"table {t}: CHECK on ({', '.join(sorted(c))}) in sqlite only")
        for c in cb:
            out.append(f"table {t}: CHECK on ({', '.join(sorted(c))}) in postgres only")
        for i in sorted(set(a["indexes"]) - set(b["indexes"])):
            out.append(f"index {t}.{i}: in sqlite only")
        for i in sorted(set(b["indexes"]) - set(a["indexes"])):
            out.append(f"index {t}.{i}: in postgres only")
        for i in sorted(set(a["indexes"]) & set(b["indexes"])):
            if a["indexes"][i] != b["indexes"][i]:
                out.append(f"index {t}.{i}: (columns, unique, partial) {a['indexes'][i]} in sqlite, "
                           f"{b['indexes'][i]} in postgres")
        for k in sorted(a["fkeys"] - b["fkeys"]):
            out.append(f"foreign key {k}: in sqlite only")
        for k in sorted(b["fkeys"] - a["fkeys"]):
            out.append(f"foreign key {k}: in postgres only")
        for g in sorted(a["triggers"] - b["triggers"]):
            out.append(f"trigger {t}.{g}: in sqlite only")
        for g in sorted(b["triggers"] - a["triggers"]):
            out.append(f"trigger {t}.{g}: in postgres only")
    return out


def run_compare(folder, pg):
    sq_files = migration_files(os.path.join(folder, "sqlite"))
    pg_files = migration_files(os.path.join(folder, "postgres"))
    out = []
    for n in sorted(set(sq_files) - set(pg_files)):
        out.append(f"migration {n:04d}: in sqlite only ({os.path.basename(sq_files[n])})")
    for n in sorted(set(pg_files) - set(sq_files)):
        out.append(f"migration {n:04d}: in postgres only ({os.path.basename(pg_files[n])})")
    sq, pgs = sqlite_schema(sq_files), pg.schema(pg_files)
    out += compare(sq, pgs)
    return out, sq


# --- Self-test ----------------------------------------------------------------

# (side, file, text to find, replacement, the difference that must be reported)
BREAKS = [
    ("postgres", "0007_paid_out_wide.sql", "ALTER TABLE balances ADD COLUMN paid_out_e18 BIGINT NOT NULL DEFAULT 0\n    CHECK (paid_out_e18 >= 0);",
     "", "column balances.paid_out_e18: in sqlite only"),
    ("sqlite", "0003_audit.sql", "    addr       TEXT CHECK (addr IS NULL OR length(addr) BETWEEN 1 AND 47),\n",
     "", "column audit.addr: in postgres only"),
    ("postgres", "0001_init.sql", "    email            TEXT COLLATE \"C\" NOT NULL CHECK",
     "    email            TEXT COLLATE \"C\" CHECK",
     "column admins.email: NOT NULL True in sqlite, False in postgres"),
    ("postgres", "0001_init.sql", "    name       TEXT COLLATE \"C\" NOT NULL UNIQUE",
     "    name       TEXT NOT NULL UNIQUE",
     'column projects.name: type text COLLATE "C" in sqlite, text in postgres'),
    ("postgres", "0001_init.sql", "    kind        BIGINT NOT NULL",
     "    kind        INTEGER NOT NULL", "column ledger.kind: type bigint in sqlite, integer in postgres"),
    ("postgres", "0001_init.sql", "available BIGINT NOT NULL CHECK (available BETWEEN 0 AND 999999999999999999),",
     "available BIGINT NOT NULL,", "table balances: CHECK on (available) in sqlite only"),
    ("sqlite", "0001_init.sql", ",\n    CHECK (end_ms > start_ms)\n", "\n",
     "table payouts: CHECK on (end_ms, start_ms) in postgres only"),
    ("postgres", "0001_init.sql", "CREATE UNIQUE INDEX admins_email_nocase ON admins (lower(email));",
     "CREATE UNIQUE INDEX admins_email_nocase ON admins (email);",
     "table admins: unique key (('email', True),) in sqlite only"),
    ("postgres", "0005_read_indexes.sql", "payouts (amount_minor, id)", "payouts (amount_minor)",
     "index payouts.payouts_amount: (columns, unique, partial) (('amount_minor', 'id'), False, False) in sqlite, (('amount_minor',), False, False) in postgres"),
    ("postgres", "0001_init.sql", "ON payouts (end_ms, id) WHERE status IN (1, 2);", "ON payouts (end_ms, id);",
     "index payouts.payouts_open_end: (columns, unique, partial) (('end_ms', 'id'), False, True) in sqlite, (('end_ms', 'id'), False, False) in postgres"),
    ("postgres", "0003_audit.sql", "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit\n    FOR EACH ROW EXECUTE FUNCTION pp_refuse('audit log is append-only');",
     "", "trigger audit.audit_no_delete: in sqlite only"),
    ("postgres", "0012_references.sql",
     "COMMENT ON TRIGGER ledger_references ON ledger IS 'foreign key: ledger.payout_id -> payouts.id';",
     "", "foreign key ledger.payout_id -> payouts.id: in sqlite only"),
    ("sqlite", "0001_init.sql", "    payout_id   INTEGER REFERENCES payouts (id),",
     "    payout_id   INTEGER,", "foreign key ledger.payout_id -> payouts.id: in postgres only"),
    ("postgres", "0009_users.sql", "    user_id      BIGINT NOT NULL REFERENCES admins (id),",
     "    user_id      BIGINT NOT NULL,", "foreign key sessions.user_id -> admins.id: in sqlite only"),
]


def self_test(folder, pg):
    failures = 0
    tmp = tempfile.mkdtemp(prefix="pp-schema-selftest-")
    try:
        diffs, _ = run_compare(folder, pg)
        if diffs:
            print("self-test: the migrations as they are already differ:\n  " + "\n  ".join(diffs))
            return 1
        cases = [(side, name, old, new, want) for side, name, old, new, want in BREAKS]
        cases.append(("extra", None, None, None, "migration 0099: in postgres only (0099_extra.sql)"))
        for i, (side, name, old, new, want) in enumerate(cases):
            copy = os.path.join(tmp, str(i))
            shutil.copytree(folder, copy)
            if side == "extra":
                with open(os.path.join(copy, "postgres", "0099_extra.sql"), "w") as f:
                    f.write("SELECT 1;\n")
            else:
                path = os.path.join(copy, side, name)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                if old not in text:
                    print(f"self-test: {side}/{name} no longer holds the text this case breaks: {old!r}")
                    failures += 1
                    continue
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text.replace(old, new, 1))
            try:
                diffs, _ = run_compare(copy, pg)
            except SystemExit as e:  # a broken migration, not a difference
                diffs = [str(e)]
            if want in diffs:
                print(f"self-test: reported: {want}")
            else:
                print(f"self-test: NOT reported: {want}\n  got: {diffs}")
                failures += 1
    finally:
        shutil.rmtree(tmp)
    print(f"self-test: {len(BREAKS) + 1 - failures} of {len(BREAKS) + 1} breaks reported")
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--migrations", required=True, help="the migrations folder (sqlite/, postgres/)")
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a postgresql:// URI of the test cluster")
    where.add_argument("--cluster", help="the DIR of a cluster pg_cluster.sh started")
    ap.add_argument("--psql", default="/usr/lib/postgresql/15/bin/psql")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    url = args.url
    if args.cluster:
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pg_cluster.sh")
        url = subprocess.run([script, "url", args.cluster], check=True, capture_output=True,
                             text=True).stdout.strip()
    pg = Postgres(args.psql, url)
    if args.self_test:
        return self_test(args.migrations, pg)
    diffs, sq = run_compare(args.migrations, pg)
    if diffs:
        print("the SQLite and PostgreSQL schemas differ:")
        for d in diffs:
            print("  " + d)
        return 1
    ncols = sum(len(t["columns"]) for t in sq.values())
    nchecks = sum(len(t["checks"]) for t in sq.values())
    nidx = sum(len(t["indexes"]) for t in sq.values())
    ntrig = sum(len(t["triggers"]) for t in sq.values())
    nuniq = sum(len(t["uniques"]) for t in sq.values())
    nfk = sum(len(t["fkeys"]) for t in sq.values())
    print(f"same schema: {len(sq)} tables, {ncols} columns, {nchecks} CHECKs, {nidx} named indexes, "
          f"{ntrig} triggers, {nuniq} unique keys, {nfk} foreign keys")
    return 0


if __name__ == "__main__":
    sys.exit(main())
