"""Copying a node's SQLite database into a PostgreSQL one, table by table, in batches.

The source is read in each table's key order (its primary key; SQLite's rowid for the
tables whose PostgreSQL twin numbers its rows in a `rowid` column, so that the order
they were recorded in is kept; merkle_nodes in the order they are added), on one connection
holding one read transaction, so every batch comes from the same snapshot. Each batch is
written with COPY and committed together with the copy's progress (`_node_copy`: rows
copied so far per table and a SHA-256 of those rows as read), so a copy that is killed
resumes after its last committed batch, and a resumed copy can tell whether the rows it
copied before are still the source's.

Nothing is disabled on the target, so no superuser is needed: the append-only guards
refuse updates and deletes, never inserts, and no trigger fills a table (since migration
133 the pools' contribution counts are kept by the store, and copied as they are).
Identity columns are given their values, then their sequences are moved past them.
The progress table is dropped once the node has switched to the copy.
"""

import hashlib
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence
from urllib.parse import quote

from . import postgresql
from .database import POSTGRESQL, Database
from .migrations import migrate

PROGRESS_TABLE = "_node_copy"
# Filled by the schema, not copied: the migrations the new database has seen.
INSTALLED = {"_migrations"}
# The PostgreSQL column that numbers a table's rows in SQLite's rowid order.
ROWID = "rowid"
# pg_try_advisory_lock's first key ('fccp'); the second is the schema's hash, so copies
# into different schemas of one database do not wait for each other.
COPY_LOCK = 0x66636370
# Tables read in the order their rows are added rather than by their key, so that what
# the node appends after a copy was interrupted comes after what was copied: a Merkle
# node (level, idx) is added when leaf (idx + 1) * 2**level - 1 is.
APPEND_ORDER = {"merkle_nodes": "((idx + 1) << level), level"}


@dataclass(frozen=True)
class Table:
    """A table to copy: its columns in the target's order, and the order the source is
    read in (an ORDER BY list: the key, or APPEND_ORDER)."""

    name: str
    columns: tuple[str, ...]
    order: str


@dataclass(frozen=True)
class Progress:
    """What a table's copy has written so far: rows, and the SHA-256 of them as read."""

    rows: int
    digest: str


EMPTY_DIGEST = hashlib.sha256().hexdigest()


def add_rows(digest, rows: Sequence[tuple]) -> None:
    """Feed rows, as read from the source, to a running digest (repr is exact for the
    int, float, str, bytes and None that SQLite gives)."""
    for row in rows:
        digest.update(repr(row).encode() + b"\n")


# ---------------------------------------------------------------------------- source (SQLite)


def source_columns(source: Database) -> dict[str, tuple[str, ...]]:
    """Each SQLite table but SQLite's own, with its columns in order."""
    return {name: tuple(row[1] for row in source.conn.execute(f'PRAGMA table_info("{name}")'))
            for name in source.table_names() if not name.startswith("sqlite_")}


def count_rows(db: Database, table: str) -> int:
    return db.conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def read_rows(source: Database, table: Table, batch: int) -> Iterator[list[tuple]]:
    """The table's rows in key order, `batch` at a time (in the caller's read transaction)."""
    # rowid unquoted: SQLite reads an unknown "name" in double quotes as a string.
    columns = ", ".join(f'"{c}"' if c != ROWID else ROWID for c in table.columns)
    cursor = source.conn.execute(f'SELECT {columns} FROM "{table.name}" ORDER BY {table.order}')
    try:
        while rows := cursor.fetchmany(batch):
            yield rows
    finally:
        cursor.close()  # when the caller is done, not when collected (the connection may be closed by then)


def begin_snapshot(source: Database) -> int:
    """Start the read transaction every batch is read in; SQLite's data_version before it,
    to tell later whether anything was written since."""
    version = source.conn.execute("PRAGMA data_version").fetchone()[0]
    source.conn.execute("BEGIN")
    source.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts here
    return version


def end_snapshot(source: Database) -> None:
    if source.conn.in_transaction:
        source.conn.execute("COMMIT")


def unchanged_since(source: Database, version: int) -> bool:
    """Whether nothing was committed to the source since `version` was read (after
    `end_snapshot`, on the same connection)."""
    return source.conn.execute("PRAGMA data_version").fetchone()[0] == version


@contextmanager
def sole_use(path: Path) -> Iterator[bool]:
    """Hold the SQLite database at `path` so that nobody else may open it, if nobody else
    has it open (any connection, in any process, this one's included): whether it could.

    A connection in exclusive locking mode needs an exclusive lock on the file itself, which
    every connection to a database in WAL mode keeps from it for as long as it is open, even
    idle: so this tells an idle server from no server, which a failed write could not."""
    # mode=rw: a missing file is an error, not a new empty database.
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, isolation_level=None, timeout=0)
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        try:
            conn.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError:
            yield False
            return
        try:
            yield True
        finally:
            conn.execute("ROLLBACK")
    finally:
        conn.close()


# ---------------------------------------------------------------------------- target (PostgreSQL)


def _by_table(conn, sql: str) -> dict[str, list[str]]:
    """(table, column) rows grouped by table, in the order read."""
    found: dict[str, list[str]] = {}
    for table, column in conn.execute(sql):
        found.setdefault(table, []).append(column)
    return found


def target_tables(target: Database) -> list[Table]:
    """The target's tables in the order they can be filled (a table after those its
    foreign keys name; else by name), without those the schema or a trigger fills."""
    conn = target.conn
    columns = _by_table(conn, "SELECT table_name, column_name FROM information_schema.columns "
                              "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position")
    keys = _by_table(conn, "SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc "
                           "JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name "
                           "AND kcu.table_schema = tc.table_schema AND kcu.table_name = tc.table_name "
                           "WHERE tc.table_schema = current_schema() AND tc.constraint_type = 'PRIMARY KEY' "
                           "ORDER BY tc.table_name, kcu.ordinal_position")
    parents: dict[str, set[str]] = {}
    for child, parent in conn.execute(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE c.contype = 'f' AND n.nspname = current_schema()"):
        if child != parent:
            parents.setdefault(child, set()).add(parent)
    skip = INSTALLED | {PROGRESS_TABLE}
    names = sorted(name for name in columns if name not in skip)
    ordered: list[str] = []

    def place(name: str) -> None:
        if name in ordered:
            return
        for parent in sorted(parents.get(name, ())):
            if parent in columns and parent not in skip:
                place(parent)
        ordered.append(name)

    for name in names:
        place(name)
    tables = []
    for name in ordered:
        cols = tuple(columns[name])
        key = (ROWID,) if cols[-1] == ROWID else tuple(f'"{c}"' for c in keys.get(name, ())) or (ROWID,)
        tables.append(Table(name, cols, APPEND_ORDER.get(name, ", ".join(key))))
    return tables


def open_target(url: str) -> Database:
    """A connection to the database `url` names (made when the server has none by that
    name), its schema left as it is."""
    postgresql.create_database(url)
    return Database(postgresql.connect(url), POSTGRESQL)


def install_schema(target: Database) -> None:
    """Give the target the node's tables (nothing when it has them already)."""
    migrate(target)


def holds_node(target: Database) -> bool:
    """Whether the target has the node's tables."""
    return postgresql.applied(target.conn) is not None


def lock_copy(target: Database) -> bool:
    """Take the copy's session lock on the target (held until the connection closes):
    whether no other copy into the same schema holds it."""
    return target.conn.execute(
        f"SELECT pg_try_advisory_lock({COPY_LOCK}, hashtext(current_schema()))").fetchone()[0]


def has_progress(target: Database) -> bool:
    return target.conn.execute("SELECT to_regclass(?)", (PROGRESS_TABLE,)).fetchone()[0] is not None


@contextmanager
def _transaction(target: Database) -> Iterator[None]:
    """BEGIN ... COMMIT without the node's write lock: nothing else writes to a database
    being filled, and that lock is shared by every schema of the database."""
    conn = target.conn
    conn.execute("BEGIN")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def start_progress(target: Database, source: str) -> None:
    """Mark an empty database as the copy of `source`, before the node's tables are made
    in it: the row whose `tbl` is empty names the source; the others, each table's progress."""
    with _transaction(target):
        target.conn.execute(f"CREATE TABLE {PROGRESS_TABLE} (tbl TEXT PRIMARY KEY, source TEXT NOT NULL, "
                            "rows BIGINT NOT NULL, digest TEXT NOT NULL)")
        target.conn.execute(f"INSERT INTO {PROGRESS_TABLE} (tbl, source, rows, digest) VALUES ('', ?, 0, ?)",
                            (source, EMPTY_DIGEST))


def copy_source(target: Database) -> str:
    """The source a database's unfinished copy comes from (what `start_progress` was given)."""
    return target.conn.execute(f"SELECT source FROM {PROGRESS_TABLE} WHERE tbl = ''").fetchone()[0]


def progress(target: Database) -> dict[str, Progress]:
    """Each table's progress so far (a table not begun has none)."""
    return {name: Progress(rows, digest) for name, rows, digest in
            target.conn.execute(f"SELECT tbl, rows, digest FROM {PROGRESS_TABLE} WHERE tbl <> ''")}


def write_batch(target: Database, table: Table, rows: Sequence[tuple], done: Progress, *,
                restart: bool = False) -> None:
    """Append rows to a table and record the table's progress, in one transaction.

    `restart`: first empty the table (the rows the schema put there, or a copy the
    source no longer matches)."""
    conn = target.conn
    with _transaction(target):
        if restart:
            conn.execute(f'DELETE FROM "{table.name}"')
        if rows:
            postgresql.copy_rows(conn, table.name, table.columns, rows)
        conn.execute(f"INSERT INTO {PROGRESS_TABLE} (tbl, source, rows, digest) "
                     f"SELECT ?, source, ?, ? FROM {PROGRESS_TABLE} WHERE tbl = '' "
                     "ON CONFLICT (tbl) DO UPDATE SET rows = excluded.rows, digest = excluded.digest",
                     (table.name, done.rows, done.digest))


def advance_identities(target: Database) -> None:
    """Move every identity column's sequence past the largest value copied into it."""
    conn = target.conn
    rows = conn.execute("SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE table_schema = current_schema() AND is_identity = 'YES'").fetchall()
    for table, column in rows:
        conn.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                     f'(SELECT COALESCE(MAX("{column}"), 0) + 1 FROM "{table}"), false)')


def finish(target: Database) -> None:
    """Forget the copy's progress: the database is now the node's."""
    target.conn.execute(f"DROP TABLE IF EXISTS {PROGRESS_TABLE}")

