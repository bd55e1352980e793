"""Which database the tests' nodes keep their data in.

By default every node a test makes is a SQLite file in its home, as a node is by default.
`pytest --backend postgresql` runs the same tests with every new node in PostgreSQL: each
home gets a schema of its own in the server's database (FEDCOMMONS_TEST_POSTGRESQL, else
postgresql://127.0.0.1:5432/test), named in the node's URL as libpq's
`options=-csearch_path=...`, so a test's nodes never see another's. A worker drops its
schemas when it ends. Tests about one database only say so with
`@pytest.mark.sqlite_only("why")` or `@pytest.mark.postgresql_only("why")`.
"""

import itertools
import json
import os
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import quote, urlsplit, urlunsplit

# Why the tests of `fedcommons backup` and `restore` are about SQLite alone.
BACKUP_COPIES_SQLITE = ("`fedcommons backup` copies a SQLite node's file; a node on PostgreSQL is backed up "
                        "with PostgreSQL's tools, and `backup` refuses it")

SERVER = os.environ.get("FEDCOMMONS_TEST_POSTGRESQL", "postgresql://127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")

HELD_AT_MOST_MS = 20_000  # how long hold_write_lock keeps the lock on PostgreSQL at most
_PREFIX = f"fct_{os.getpid()}_"
_numbers = itertools.count(1)
_admin = None  # a psycopg connection to SERVER, while the PostgreSQL backend is on


def server_reachable() -> str | None:
    """None when SERVER answers, else why not."""
    import psycopg

    try:
        with psycopg.connect(SERVER, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at {SERVER} does not answer ({str(exc).strip()})"
    return None


def start() -> None:
    global _admin
    import psycopg

    _admin = psycopg.connect(SERVER, autocommit=True)


def on_postgresql() -> bool:
    return _admin is not None


def url_of(schema: str) -> str:
    separator = "&" if "?" in SERVER else "?"
    return f"{SERVER}{separator}options={quote(f'-csearch_path={schema}')}"


def new_database(home: Path | None = None) -> str:
    """A new, empty schema for one node: its database URL (replaces home.default_database)."""
    schema = f"{_PREFIX}{next(_numbers)}"
    _admin.execute(f"CREATE SCHEMA {schema}")
    return url_of(schema)


def elsewhere(location: str) -> str:
    """The location of a database that is not there, beside a node's (a file or a URL)."""
    if "://" not in location:
        return location + ".nowhere"
    parts = urlsplit(location)
    return urlunsplit(parts._replace(path=parts.path + "_nowhere"))


def schema_of(url: str) -> str:
    return url.rsplit("%3D", 1)[1]


def database_of(home: Path) -> str | None:
    """A home's PostgreSQL URL, or None for a node on SQLite."""
    return json.loads((Path(home) / "config.json").read_text()).get("database_url")


def copy_home(source: Path, target: Path) -> Path:
    """A copy of a node home that is a node of its own: on PostgreSQL, with a copy of its
    schema (tables, rows, identity counters), taken while nothing writes the source."""
    shutil.copytree(source, target)
    url = database_of(source)
    if url is None:
        return target
    copy = new_database()
    from fedcommons.store.db import open_db

    open_db(copy, create=True).close()  # the tables as a new node's: the schema, then later migrations
    _copy_schema(schema_of(url), schema_of(copy))
    config = json.loads((target / "config.json").read_text())
    config["database_url"] = copy
    (target / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    return target


def _copy_schema(source: str, target: str) -> None:
    with _admin.transaction():
        # The rows as they are: triggers (append-only guards, counters) stay out of it.
        _admin.execute("SET LOCAL session_replication_role = replica")
        tables = [name for (name,) in _admin.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (source,))]
        for table in tables:
            _admin.execute(f"DELETE FROM {target}.{table}")
            _admin.execute(f"INSERT INTO {target}.{table} OVERRIDING SYSTEM VALUE SELECT * FROM {source}.{table}")
        for table, column in _admin.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = %s AND is_identity = 'YES'", (target,)).fetchall():
            _admin.execute(
                f"SELECT setval(pg_get_serial_sequence('{target}.{table}', '{column}'), "
                f"(SELECT COALESCE(MAX({column}), 0) + 1 FROM {target}.{table}), false)")


def drop_all() -> None:
    """Drop every schema this process made."""
    global _admin
    import psycopg

    if _admin is None:
        return
    # Bounded: a node a test left open in a transaction must not hold the run's end.
    _admin.execute("SET lock_timeout = '10s'")
    for (schema,) in _admin.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (_PREFIX.replace("_", r"\_") + "%",)).fetchall():
        try:
            _admin.execute(f"DROP SCHEMA {schema} CASCADE")
        except psycopg.errors.LockNotAvailable:
            print(f"support_db: schema {schema} still in use; left on the server")
    _admin.close()
    _admin = None


@contextmanager
def connection(home: Path) -> Iterator:
    """A connection of the test's own to a node home's database, as another process has
    one: a `Database` (autocommit, the store's `?` placeholders), opened without migrating
    anything, and closed after."""
    from fedcommons.store.database import POSTGRESQL, Database

    url = database_of(home)
    if url is None:
        db = Database(sqlite3.connect(Path(home) / "fedcommons.db", isolation_level=None))
    else:
        from fedcommons.store import postgresql

        db = Database(postgresql.connect(url), POSTGRESQL)
    try:
        yield db
    finally:
        db.close()


def query(home: Path, sql: str, params=()) -> list[tuple]:
    """The rows a statement reads from a node home's database, on a connection of its own."""
    with connection(home) as db:
        return [tuple(row) for row in db.conn.execute(sql, params).fetchall()]


def tamper(home: Path, sql: str, params=()) -> None:
    """Change stored rows as someone holding the database could, past the append-only
    triggers (which are in place again after): SQLite's are dropped and re-made in the same
    transaction; PostgreSQL runs the statement as a replica applies changes, without
    triggers (the test user is a superuser)."""
    with connection(home) as db:
        conn = db.conn
        conn.execute("BEGIN")
        try:
            if db.on_postgresql:
                conn.execute("SET LOCAL session_replication_role = replica")
                conn.execute(sql, params)
            else:
                triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
                for name, _ in triggers:
                    conn.execute(f"DROP TRIGGER {name}")
                conn.execute(sql, params)
                for _, made in triggers:
                    conn.execute(made)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


@contextmanager
def hold_write_lock(home: Path) -> Iterator:
    """Another process writing, as a long import does: a connection that takes the node's
    write lock as the store does (SQLite's BEGIN IMMEDIATE; PostgreSQL's advisory lock) and
    keeps it until the block ends."""
    from fedcommons.store.db import StoreError, begin_write

    with connection(home) as db:
        if db.on_postgresql:
            # Bounded: a test whose writer waits for the lock without a timeout of its own
            # fails after this instead of waiting for ever (the server ends the session).
            db.conn.execute(f"SET idle_in_transaction_session_timeout = {HELD_AT_MOST_MS}")
        begin_write(db)
        try:
            yield db
        finally:
            try:
                db.conn.execute("ROLLBACK")
            except StoreError:  # the server ended the session, and the lock with it
                pass


def write_lock_free(home: Path) -> bool:
    """Whether another process could take the node's write lock at once, now."""
    from fedcommons.store.db import StoreUnavailable, begin_write, wait_for_locks

    with connection(home) as db:
        wait_for_locks(db, 1)
        try:
            begin_write(db)
        except StoreUnavailable:
            return False
        db.conn.execute("ROLLBACK")
        return True


def contents(db) -> dict[str, list[tuple]]:
    """Every row of every table of a node database (a `Database`, or a node home's path),
    sorted: to compare before and after, or to search for a value, on either backend."""
    if isinstance(db, Path):
        with connection(db) as opened:
            return contents(opened)
    found = {}
    for table in db.table_names():
        rows = db.conn.execute(f"SELECT * FROM {table}").fetchall()
        found[table] = sorted((tuple(row) for row in rows), key=repr)
    return found


def dump(db) -> str:
    """`contents` as one text, as SQLite's iterdump gives it, to search for a value."""
    return "\n".join(f"{table}: {row!r}" for table, rows in contents(db).items() for row in rows)
