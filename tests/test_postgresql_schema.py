"""The PostgreSQL schema (store/postgresql.sql) against what the SQLite migrations make:
the same tables, columns, keys, constraints and indexes, and triggers that refuse and
allow the same changes with the same messages.

Needs a PostgreSQL 15+ server that lets the URL in FEDCOMMONS_TEST_POSTGRESQL create
databases; each run makes its own (C collation), as `init --database` does, and drops it.
Runs with --backend postgresql."""

import os
import re
import sqlite3
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql as pgsql

from fedcommons.store.db import open_db
from fedcommons.store.migrations import MIGRATIONS, POSTGRESQL_MIGRATIONS, POSTGRESQL_SCHEMA_VERSION

pytestmark = pytest.mark.postgresql_only("compares the PostgreSQL schema with SQLite's")

URL = os.environ.get("FEDCOMMONS_TEST_POSTGRESQL", "postgresql://127.0.0.1:5432/test")

# The tables whose SQL orders by SQLite's implicit rowid, which PostgreSQL has not.
ROWID_TABLES = {"import_waiting", "import_recorded"}
# The INTEGER PRIMARY KEYs that SQLite assigns: the SQL never gives them a value.
IDENTITIES = {("deliveries", "id"), ("forks", "id"), ("import_runs", "id"), ("inbox_items", "id"),
              ("mailbox", "seq"), ("outgoing", "id")}
TYPES = {"INTEGER": "bigint", "TEXT": "text", "BLOB": "bytea", "REAL": "double precision"}


@pytest.fixture(scope="module")
def pg():
    """A connection (autocommit) to a fresh database made by the script."""
    try:
        admin = psycopg.connect(URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {URL} (set FEDCOMMONS_TEST_POSTGRESQL): {exc}")
    name = f"fedcommons_test_{uuid.uuid4().hex[:16]}"
    try:
        admin.execute(pgsql.SQL("CREATE DATABASE {} TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'")
                      .format(pgsql.Identifier(name)))
    except psycopg.Error as exc:
        admin.close()
        pytest.skip(f"cannot create a database at {URL}: {exc}")
    try:
        url = psycopg.conninfo.make_conninfo(URL, dbname=name)
        # As a new node's database is made: the script, then the migrations after it.
        open_db(urlunsplit(urlsplit(URL)._replace(path=f"/{name}")), create=True).close()
        with psycopg.connect(url, autocommit=True) as conn:
            yield conn
    finally:
        admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))
        admin.close()


@pytest.fixture(scope="module")
def lite(tmp_path_factory):
    db = open_db(tmp_path_factory.mktemp("lite") / "fedcommons.db", create=True)
    yield db.conn
    db.conn.close()


def lite_tables(lite) -> list[str]:
    return [r[0] for r in lite.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]


def pg_rows(pg, query: str, *params) -> list[tuple]:
    return pg.execute(query, params).fetchall()


def pg_columns(pg) -> dict[str, list[tuple]]:
    """Table -> [(name, type, not null, default, collation, identity)] in column order."""
    tables: dict[str, list[tuple]] = {}
    for table, *column in pg_rows(pg, """
            SELECT table_name, column_name, data_type, is_nullable = 'NO', column_default,
                   collation_name, identity_generation
            FROM information_schema.columns WHERE table_schema = current_schema()
            ORDER BY table_name, ordinal_position"""):
        tables.setdefault(table, []).append(tuple(column))
    return tables


def pg_constraint_columns(pg, kind: str) -> dict[str, set[tuple]]:
    """Table -> column lists of its constraints of a kind ('p', 'u'), in key order."""
    tables: dict[str, set[tuple]] = {}
    for table, columns in pg_rows(pg, """
            SELECT c.conrelid::regclass::text,
                   array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
                         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                         ORDER BY k.o)::text[]
            FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace
            WHERE s.nspname = current_schema() AND c.contype = %s""", kind):
        tables.setdefault(table, set()).add(tuple(columns))
    return tables


def test_the_same_tables(pg, lite):
    assert sorted(pg_columns(pg)) == lite_tables(lite)


def test_the_same_columns_in_the_same_order_types_and_defaults(pg, lite):
    columns = pg_columns(pg)
    for table in lite_tables(lite):
        info = lite.execute(f"PRAGMA table_info({table})").fetchall()
        got = columns[table]
        if table in ROWID_TABLES:
            # Last, so a positional read of the SQLite columns reads the same.
            assert got[-1][:2] == ("rowid", "bigint") and got[-1][5] == "ALWAYS", table
            got = got[:-1]
        assert [c[0] for c in got] == [c[1] for c in info], table
        for (_, name, kind, notnull, default, pk), (_, pg_type, pg_notnull, pg_default, collation, identity) \
                in zip(info, got):
            where = f"{table}.{name}"
            assert pg_type == TYPES[kind], where
            # Every key column is NOT NULL on PostgreSQL; SQLite lets a rowid table's
            # non-INTEGER key be NULL, which no code relies on.
            assert pg_notnull == bool(notnull or pk), where
            assert collation == ("C" if kind == "TEXT" else None), where
            assert (identity == "BY DEFAULT") == ((table, name) in IDENTITIES), where
            pg_default = re.sub(r"::[a-z ]+$", "", pg_default) if pg_default else None
            assert pg_default == default, where
    assert {t for t, cs in columns.items() if any(c[0] == "rowid" for c in cs)} == ROWID_TABLES


def test_the_same_primary_keys_and_unique_constraints(pg, lite):
    primary, unique = pg_constraint_columns(pg, "p"), pg_constraint_columns(pg, "u")
    for table in lite_tables(lite):
        info = lite.execute(f"PRAGMA table_info({table})").fetchall()
        key = tuple(c[1] for c in sorted((c for c in info if c[5]), key=lambda c: c[5]))
        assert primary[table] == {key}, table
        lite_unique = {
            tuple(c[2] for c in lite.execute(f"PRAGMA index_info({index[1]})"))
            for index in lite.execute(f"PRAGMA index_list({table})") if index[3] == "u"
        }
        assert unique.get(table, set()) == lite_unique, table


def test_the_same_foreign_keys(pg, lite):
    got = set(pg_rows(pg, """
        SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, r.attname
        FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1]
        WHERE s.nspname = current_schema() AND c.contype = 'f'"""))
    want = {(table, fk[3], fk[2], fk[4]) for table in lite_tables(lite)
            for fk in lite.execute(f"PRAGMA foreign_key_list({table})")}
    assert want and got == want


def test_the_same_check_constraints(pg, lite):
    got = dict(pg_rows(pg, """
        SELECT c.conrelid::regclass::text, count(*) FROM pg_constraint c
        JOIN pg_namespace s ON s.oid = c.connamespace
        WHERE s.nspname = current_schema() AND c.contype = 'c' GROUP BY 1"""))
    want = {table: sql.upper().count("CHECK (") for table, sql in lite.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE '%CHECK (%'")}
    assert want and got == want


def test_the_same_indexes(pg, lite):
    got = {row[:4] + (tuple(row[4]),) for row in pg_rows(pg, """
        SELECT i.indexrelid::regclass::text, i.indrelid::regclass::text, i.indisunique,
               i.indpred IS NOT NULL,
               array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
                     ORDER BY k.o)::text[]
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_namespace s ON s.oid = c.relnamespace
        WHERE s.nspname = current_schema()
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)""")}
    want = set()
    for name, table in lite.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"):
        unique, partial = next((i[2], i[4]) for i in lite.execute(f"PRAGMA index_list({table})") if i[1] == name)
        columns = tuple(c[2] for c in lite.execute(f"PRAGMA index_info({name})"))
        want.add((name, table, bool(unique), bool(partial), columns))
    assert got == want
    assert len(want) == 26


def test_every_trigger_has_its_namesake(pg, lite):
    got = {(name, table) for name, table in pg_rows(pg, """
        SELECT t.tgname, t.tgrelid::regclass::text FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace s ON s.oid = c.relnamespace
        WHERE s.nspname = current_schema() AND NOT t.tgisinternal""")}
    want = set(lite.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'"))
    assert len(want) == 13 and want <= got
    assert all(name.endswith("_no_truncate") for name, _ in got - want)


def test_the_same_initial_rows(pg, lite):
    for table in ("pool_index_state", "pool_contribution_counts", "poll_updates"):
        assert pg_rows(pg, f"SELECT * FROM {table}") == lite.execute(f"SELECT * FROM {table}").fetchall()


# Rows for the trigger tests: two log entries, a Merkle node, a checkpoint, a dictionary,
# a redaction, and a mirror verified to size 2 with four entries and two notices.
FIXTURE = [
    ("INSERT INTO log_entries (idx, leaf_hash, body, activity_id, type, actor, origin, recorded_at) "
     "VALUES (?, ?, ?, ?, 'Create', 'a', 'o', 't')", [(i, b"leaf%d" % i, b"body", f"urn:{i}") for i in (0, 1)]),
    ("INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)", [(0, 0, b"h")]),
    ("INSERT INTO checkpoints (size, root, note, signed_at) VALUES (?, ?, ?, ?)", [(1, b"r", "n", "t"), (2, b"r", "n", "t")]),
    ("INSERT INTO body_dictionaries (key, dictionary, trained_at_size, created_at) VALUES (?, ?, ?, ?)",
     [(7, b"d", 1, "t")]),
    ("INSERT INTO redactions (idx, notice, retained) VALUES (?, ?, ?)", [(5, 6, b"{}")]),
    ("INSERT INTO mirrors (origin, url, actor, verifier_key, size, root, frontier, staged_size, staged_frontier, "
     "created_at) VALUES (?, ?, 'a', 'k', 2, ?, ?, 4, ?, 't')", [("m", "https://m.example/log", b"r", b"f", b"f")]),
    ("INSERT INTO mirror_entries (origin, idx, leaf_hash, body) VALUES (?, ?, ?, ?)",
     [("m", i, b"leaf%d" % i, b"body") for i in range(4)]),
    ("INSERT INTO mirror_redactions (origin, idx, notice, leaf_hash, retained) VALUES (?, ?, ?, ?, ?)",
     [("m", 0, 1, b"leaf0", b"{}"), ("m", 2, 3, b"leaf2", b"{}")]),
]

# (statement, parameters, the message it is refused with or None if it is allowed), in order.
CASES = [
    ("DELETE FROM log_entries WHERE idx = ?", (0,), "the log is append-only"),
    ("UPDATE log_entries SET body = ? WHERE idx = ?", (b"\x00", 0), "only a redaction may drop an entry body"),
    ("UPDATE log_entries SET verified_by = 'x' WHERE idx = ?", (0,), "only a redaction may drop an entry body"),
    ("UPDATE log_entries SET leaf_hash = ?, body = NULL WHERE idx = ?", (b"x", 0), "only a redaction"),
    ("UPDATE log_entries SET activity_id = 'urn:x', body = NULL WHERE idx = ?", (0,), "only a redaction"),
    ("UPDATE log_entries SET idx = 9, body = NULL WHERE idx = ?", (0,), "only a redaction"),
    # The redaction of store/redactions.py, and afterwards what it leaves open.
    ("UPDATE log_entries SET body = NULL, dictionary = NULL WHERE idx = ? AND body IS NOT NULL", (0,), None),
    ("UPDATE log_entries SET verified_by = 'x' WHERE idx = ?", (0,), None),
    ("UPDATE log_entries SET body = ? WHERE idx = ?", (b"back", 0), "only a redaction"),
    ("DELETE FROM log_entries WHERE idx = ?", (0,), "the log is append-only"),
    ("UPDATE merkle_nodes SET hash = ? WHERE level = 0 AND idx = ?", (b"x", 0), "merkle nodes are written once"),
    ("DELETE FROM merkle_nodes WHERE idx = ?", (0,), "merkle nodes are written once"),
    ("UPDATE checkpoints SET note = 'x' WHERE size = ?", (1,), "checkpoints are written once"),
    ("DELETE FROM checkpoints WHERE size = ?", (2,), "checkpoints are written once"),
    ("UPDATE body_dictionaries SET created_at = 'x' WHERE key = ?", (7,), "body dictionaries are written once"),
    ("DELETE FROM body_dictionaries WHERE key = ?", (7,), "body dictionaries are written once"),
    ("UPDATE redactions SET retained = ? WHERE idx = ?", (b"x", 5), "redactions are written once"),
    ("DELETE FROM redactions WHERE idx = ?", (5,), "redactions are written once"),
    ("DELETE FROM mirror_entries WHERE origin = 'm' AND idx = ?", (1,), "verified mirror entries are append-only"),
    ("DELETE FROM mirror_entries WHERE origin = 'm' AND idx >= ?", (2,), None),
    ("UPDATE mirror_entries SET body = ? WHERE origin = 'm' AND idx = ?", (b"x", 0), "only a redaction may drop a body"),
    ("UPDATE mirror_entries SET leaf_hash = ?, body = NULL WHERE origin = 'm' AND idx = ?", (b"x", 0),
     "only a redaction may drop a body"),
    ("UPDATE mirror_entries SET body = NULL WHERE origin = 'm' AND idx = ?", (0,), None),
    ("DELETE FROM mirror_redactions WHERE origin = 'm' AND notice = ?", (1,), "verified mirror redactions are kept"),
    ("DELETE FROM mirror_redactions WHERE origin = 'm' AND notice = ?", (3,), None),
]


def run_cases_on_sqlite(lite) -> list[tuple]:
    lite.execute("BEGIN")
    try:
        for statement, rows in FIXTURE:
            lite.executemany(statement, rows)
        outcomes = []
        for statement, params, _ in CASES:
            try:
                outcomes.append((lite.execute(statement, params).rowcount, None))
            except sqlite3.IntegrityError as exc:
                outcomes.append((None, str(exc)))
        outcomes.append(lite.execute("SELECT idx, body, verified_by FROM log_entries ORDER BY idx").fetchall())
        return outcomes
    finally:
        lite.execute("ROLLBACK")


def run_cases_on_postgresql(pg) -> list[tuple]:
    outcomes = []
    with pg.transaction(force_rollback=True):
        cur = pg.cursor()
        for statement, rows in FIXTURE:
            cur.executemany(statement.replace("?", "%s"), rows)
        for statement, params, _ in CASES:
            try:
                with pg.transaction():  # a savepoint: a refused statement undoes only itself
                    outcomes.append((cur.execute(statement.replace("?", "%s"), params).rowcount, None))
            except psycopg.IntegrityError as exc:
                assert exc.sqlstate == "23000", exc
                outcomes.append((None, exc.diag.message_primary))
        outcomes.append(cur.execute("SELECT idx, body, verified_by FROM log_entries ORDER BY idx").fetchall())
    return outcomes


def test_triggers_refuse_and_allow_the_same_changes(pg, lite):
    on_sqlite, on_postgresql = run_cases_on_sqlite(lite), run_cases_on_postgresql(pg)
    for (statement, _, refused), (count, message) in zip(CASES, on_sqlite):
        assert (message is None) == (refused is None) and (refused or "") in (message or ""), (statement, message)
        assert refused is not None or count > 0, statement
    assert on_postgresql == on_sqlite
    assert on_postgresql[-1] == [(0, None, "x"), (1, b"body", None)]


@pytest.mark.parametrize("table", ["log_entries", "merkle_nodes", "body_dictionaries", "redactions",
                                   "mirror_entries", "mirror_redactions"])
def test_truncate_cannot_skip_the_triggers(pg, table):
    with pytest.raises(psycopg.IntegrityError, match="append-only|written once|are kept"):
        with pg.transaction(force_rollback=True):
            pg.execute(f"TRUNCATE {table} CASCADE")


def test_text_orders_by_bytes_as_on_sqlite(pg, lite):
    names = ["b", "B", "a", "é", "Z", "_", "a b", "ab", "\u00e9t\u00e9", "e"]
    query = "SELECT target FROM blocks ORDER BY target"
    lite.execute("BEGIN")
    try:
        lite.executemany("INSERT INTO blocks (target, kind, created_at) VALUES (?, 'domain', 't')", [(n,) for n in names])
        want = [r[0] for r in lite.execute(query)]
    finally:
        lite.execute("ROLLBACK")
    with pg.transaction(force_rollback=True):
        cur = pg.cursor()
        cur.executemany("INSERT INTO blocks (target, kind, created_at) VALUES (%s, 'domain', 't')", [(n,) for n in names])
        got = [r[0] for r in cur.execute(query)]
    assert got == want == sorted(names, key=lambda n: n.encode())


def test_no_migration_slips_in_below_the_postgresql_schema():
    """A new PostgreSQL database takes the migrations up to POSTGRESQL_SCHEMA_VERSION as
    done: one added later with a lower number would be skipped there, never run."""
    below = [number for number, _, _ in MIGRATIONS if number <= POSTGRESQL_SCHEMA_VERSION]
    assert below == [1, 2, 3, 4, 5, 6, 7, 10, 50, 51, 60, 61, 62, 70, 80, 100, 130, 131]
    assert all(number in POSTGRESQL_MIGRATIONS for number, _, _ in MIGRATIONS if number > POSTGRESQL_SCHEMA_VERSION)
