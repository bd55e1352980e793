"""Opening the database, and the one way to write to it: an immediate transaction."""

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import BadInput, HomeError
from .database import POSTGRESQL, Database, is_server_url
from .migrations import migrate

# A concurrent writer (the server while the CLI imports) waits this long for the lock
# instead of failing at once.
BUSY_TIMEOUT_MS = 30_000
READ_BUSY_TIMEOUT_MS = 1_000

# The database's own failures, named here so that nothing above the store imports the
# driver: any of them (StoreError), and the machine's rather than the query's
# (StoreUnavailable: locked, busy, unreadable, disk full, a server gone). PostgreSQL's are
# raised as subclasses of these (store/postgresql.py).
StoreError = sqlite3.Error
StoreUnavailable = sqlite3.OperationalError
CACHE_KIB = 64 * 1024
SEQUENTIAL_CACHE_KIB = 2000  # SQLite's own default
PAGE_SIZE = 16 * 1024
BULK_CACHE_KIB = 16 * 1024  # see bulk_writes
BULK_CHECKPOINT_PAGES = 16 * 1024
# The write-ahead log is cut back to this after a checkpoint (a large import may have
# grown it to hundreds of MB, which SQLite would otherwise keep and reuse).
WAL_LIMIT_BYTES = 64 * 1024 * 1024


def open_db(location: Path | str, *, create: bool = False, readonly: bool = False) -> Database:
    """Open the node database and bring its schema up to date: a SQLite file (in WAL mode)
    or a PostgreSQL URL.

    `readonly` opens a connection that refuses every write (the server's event loop reads
    on one; its writes go through `store.writer`) and leaves the schema to the writer."""
    if is_server_url(location):
        return _open_postgresql(location, create=create, readonly=readonly)
    path = Path(location)
    if not create and not path.exists():
        raise HomeError(f"no database at {path}: run `fedcommons init` first")
    new = not path.exists()
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    if readonly:
        # In WAL mode a read never waits for a writer; the short wait covers the rare
        # moments (opening the WAL index) when a reader must.
        conn.execute(f"PRAGMA busy_timeout = {READ_BUSY_TIMEOUT_MS}")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        conn.execute("PRAGMA query_only = ON")
        return Database(conn)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if new:
        # A log entry is about 3 KB: a 4 KB page holds one and wastes a quarter, a 16 KB
        # page holds five. Only a new database can choose; an existing one keeps its size.
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}")
    # FULL: a write the node has acknowledged survives power loss, not only a killed process.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    # Entry ids are random URLs, so their unique index is written all over; a bulk import
    # outgrows SQLite's default 2 MB page cache within a few thousand entries.
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    db = Database(conn)
    migrate(db)
    return db


def check_server_url(url: str | None, option: str = "--database") -> str | None:
    """A PostgreSQL URL as init (`option` --database) or `db migrate` (--to) takes it
    (BadInput for anything else), or None."""
    if url is None:
        return None
    if not is_server_url(url):
        why = (" (without --database the node keeps its data in a SQLite file in its home)"
               if option == "--database" else "")
        raise BadInput(f"{option} must be a PostgreSQL URL such as postgresql://fedcommons@localhost/commons, "
                       f"not {url!r}{why}")
    from . import postgresql  # psycopg takes 0.18 s to load: only for a node on PostgreSQL

    try:
        postgresql.database_name(url)
    except ValueError as exc:
        raise BadInput(f"{option}: {exc}") from None
    return url


def refuse_used_database(url: str) -> None:
    """HomeError if the database at `url` already holds a node (two homes must never share
    one log)."""
    from . import postgresql  # psycopg takes 0.18 s to load: only for a node on PostgreSQL

    if not postgresql.create_database(url):
        conn = postgresql.connect(url)
        try:
            used = postgresql.applied(conn) is not None
        finally:
            conn.close()
        if used:
            raise HomeError(f"{postgresql.redacted(url)} already holds a node; name a new or empty database")


def _open_postgresql(url: str, *, create: bool, readonly: bool) -> Database:
    from . import postgresql  # psycopg takes 0.18 s to load: only for a node on PostgreSQL

    try:
        db = Database(postgresql.connect(url, readonly=readonly), POSTGRESQL)
    except postgresql.PostgresqlError as exc:
        if postgresql.no_such_database(exc):
            raise HomeError(f"no database at {postgresql.redacted(url)}: run `fedcommons init` first") from None
        raise
    if readonly:
        return db
    if not create and postgresql.applied(db.conn) is None:
        db.close()
        raise HomeError(f"{postgresql.redacted(url)} holds no node: run `fedcommons init --database URL` first")
    migrate(db)
    # As SQLite's busy_timeout: a command waits this long for another writer, then fails as
    # busy ("database is locked") instead of waiting for ever.
    postgresql.wait_for_locks(db.conn, BUSY_TIMEOUT_MS)
    return db


def begin_write(db: Database) -> None:
    """Start a write transaction holding the node's write lock from the start (SQLite's
    BEGIN IMMEDIATE; on PostgreSQL an advisory lock), so read-then-write is safe across
    processes (the server and the CLI may write the same database)."""
    if db.on_postgresql:
        from . import postgresql  # psycopg takes 0.18 s to load: only for a node on PostgreSQL

        postgresql.begin_write(db.conn)
    else:
        db.conn.execute("BEGIN IMMEDIATE")


def wait_for_locks(db: Database, milliseconds: int) -> None:
    """How long the next statements wait for another writer before failing as busy."""
    if db.on_postgresql:
        from . import postgresql  # psycopg takes 0.18 s to load: only for a node on PostgreSQL

        postgresql.wait_for_locks(db.conn, milliseconds)
    else:
        db.conn.execute(f"PRAGMA busy_timeout = {max(1, int(milliseconds))}")


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """BEGIN IMMEDIATE ... COMMIT: take the write lock up front so read-then-write is safe
    across processes (the server and the CLI may write the same database)."""
    conn = db.conn
    if conn.in_transaction:
        # Nested use joins the outer transaction.
        yield db
        return
    begin_write(db)
    try:
        yield db
        conn.execute("COMMIT")
    except BaseException:
        # After some errors (a full disk, say) SQLite has already rolled back, and a
        # second ROLLBACK would fail and hide the error that matters.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


@contextmanager
def trial(db: Database) -> Iterator[Database]:
    """A transaction that is always rolled back: to count what a change would do."""
    conn = db.conn
    begin_write(db)
    try:
        yield db
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


@contextmanager
def page_cache(db: Database, kib: int) -> Iterator[Database]:
    """Hold this connection's page cache to `kib` KiB for a while: a read from one end of
    the log to the other gains nothing from a large cache, which would only be memory
    that grows with the log up to its cap."""
    if db.on_postgresql:  # the server's shared buffers are not the connection's
        yield db
        return
    conn = db.conn
    before = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield db
    finally:
        conn.execute(f"PRAGMA cache_size = {int(before)}")


@contextmanager
def bulk_writes(db: Database, cache_kib: int = BULK_CACHE_KIB, checkpoint_pages: int = BULK_CHECKPOINT_PAGES
                ) -> Iterator[Database]:
    """Tune this connection for a long run of large write transactions (an import), then
    put it back.

    A large log's random-keyed indexes (contribution ids, the per-pool references) take a
    page write per entry: a transaction of a thousand entries writes thousands of 16 KB
    pages to the write-ahead log, and the checkpoint after it writes them again.
    Checkpointing every `checkpoint_pages` pages rather than every thousand writes a page
    that several transactions rewrote once (a 300,000-revision wiki import wrote 3.1 GB
    instead of 4.9 GB). The page cache is held to `cache_kib`: those pages are seldom read
    twice, and the memory is better left to the batches in flight. After the run the
    write-ahead log is checkpointed; ``journal_size_limit`` cuts its file back at the next
    write. On PostgreSQL the server manages both."""
    if db.on_postgresql:
        yield db
        return
    conn = db.conn
    cache, pages = (conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("cache_size", "wal_autocheckpoint"))
    conn.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
    conn.execute(f"PRAGMA wal_autocheckpoint = {int(checkpoint_pages)}")
    try:
        yield db
    finally:
        conn.execute(f"PRAGMA cache_size = {int(cache)}")
        conn.execute(f"PRAGMA wal_autocheckpoint = {int(pages)}")
        if not conn.in_transaction:
            # PASSIVE: never waits for the server's readers; what they still need stays.
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


def data_version(db: Database) -> int:
    """A number that changes when other connections (the writer thread, another process
    such as a CLI command) commit: SQLite's data_version, PostgreSQL's write-ahead log
    position. Constant-time, so it can be asked often."""
    if db.on_postgresql:
        from . import postgresql  # psycopg takes 0.18 s to load: only for a node on PostgreSQL

        return postgresql.data_version(db.conn)
    return db.conn.execute("PRAGMA data_version").fetchone()[0]
