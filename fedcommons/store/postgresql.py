"""The node database on PostgreSQL (15 or newer), through psycopg 3.

The store's functions are written once, in the SQL both databases share (`INSERT ... ON
CONFLICT`, `RETURNING`, standard types), against the small part of the standard `sqlite3`
connection they use: `execute`, `executemany`, `in_transaction`, `close`, and cursors'
`fetchone`, `fetchall`, iteration and `rowcount`. `Connection` gives that part on a psycopg
connection. What it changes in a statement is its spelling, never its meaning: SQLite's `?`
placeholders become psycopg's `%s` (a literal `%` is doubled), and nothing else.

Values keep the types they have on SQLite: integers are BIGINT and come back as `int`, a
flag written as a Python bool is stored as 0 or 1, and an aggregate PostgreSQL gives as
NUMERIC (a SUM of integers) comes back as an `int`, or a `float` when it has a fraction.
Text columns use the "C" collation, so that text sorts by its bytes as on SQLite.

One writer at a time: a write transaction takes a transaction-scoped advisory lock first
(`BEGIN` then `pg_advisory_xact_lock`), as SQLite's `BEGIN IMMEDIATE` takes the database's
write lock. Reads never wait for it. `synchronous_commit` is on for every connection, so a
write the node has acknowledged survives a crash of the database server.
"""

import re
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Sequence
from urllib.parse import urlsplit, urlunsplit

import sqlite3

import psycopg
from psycopg import adapt, pq

from ..errors import BadInput
from psycopg.types.numeric import NumericLoader

# pg_advisory_xact_lock's first key: 'fcwr' and 'fcmg' as 32-bit integers (any constant
# unlikely to be used by another program sharing the database would do). The second is the
# hash of the node's schema, so that nodes in different schemas of one database (a host's
# many nodes, the tests) never wait for each other.
WRITE_LOCK = 0x66637772
MIGRATION_LOCK = 0x66636D67


def lock_of(key: int) -> str:
    """The SQL that waits for the node's lock `key`, held until the transaction ends."""
    return f"SELECT pg_advisory_xact_lock({key}, hashtext(current_schema()))"
SCHEMA_FILE = "postgresql.sql"



# The store's failures follow the DB-API 2 hierarchy (PEP 249), whose classes the standard
# library gives in `sqlite3`: `store.db.StoreError` is its Error and `StoreUnavailable` its
# OperationalError. PostgreSQL's failures are raised as these subclasses, so that a caller
# catches a failure of the store whichever database is underneath, and the import of
# psycopg waits until a node on PostgreSQL is opened. The original is the `__cause__`.
class PostgresqlError(sqlite3.DatabaseError):
    """A statement PostgreSQL refused (its SQLSTATE is `sqlstate`)."""

    sqlstate: str | None = None


class PostgresqlIntegrityError(PostgresqlError, sqlite3.IntegrityError):
    """A constraint or an append-only trigger refused the change."""


class PostgresqlValueRefused(PostgresqlError, sqlite3.DataError, BadInput):
    """A value PostgreSQL cannot hold where SQLite holds it (text with a NUL character, an
    integer beyond 64 bits): the input's fault, so a 400 or exit 2, and nothing written."""


class PostgresqlUnavailable(PostgresqlError, sqlite3.OperationalError):
    """The server could not do it now: connection lost, shut down, a lock that stayed taken."""

    @property
    def busy(self) -> bool:
        return self.sqlstate in ("55P03", "57014")  # lock_not_available, query_canceled


def no_such_database(exc: PostgresqlError) -> bool:
    """Whether a failure to connect was for a database the server does not have (psycopg
    gives no SQLSTATE for a refused connection: the server's message names it)."""
    return exc.sqlstate == "3D000" or (exc.sqlstate is None and "does not exist" in str(exc))


def _translated(exc: psycopg.Error) -> PostgresqlError:
    if isinstance(exc, psycopg.IntegrityError):
        kind = PostgresqlIntegrityError
    elif isinstance(exc, psycopg.DataError):
        kind = PostgresqlValueRefused
    elif isinstance(exc, (psycopg.OperationalError, psycopg.errors.LockNotAvailable)):
        kind = PostgresqlUnavailable
    else:
        kind = PostgresqlError
    error = kind(str(exc).strip().splitlines()[0] if kind is PostgresqlValueRefused else str(exc).strip())
    error.sqlstate = exc.sqlstate
    return error


def redacted(url: str) -> str:
    """The URL without its password, to show in messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{netloc[1]}"))


@lru_cache(maxsize=4096)
def spelled(sql: str) -> str:
    """A statement of the store with psycopg's placeholders: `?` outside string literals and
    quoted names becomes `%s`, and every literal `%` is doubled."""
    out, quote = [], None
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        if ch == "%":
            out.append("%%")
            continue
        out.append(ch)
    return "".join(out)


class _NumberLoader(NumericLoader):
    """NUMERIC as SQLite gives it: an integer when whole, a float otherwise."""

    def load(self, data) -> int | float:
        value: Decimal = super().load(data)
        if value == value.to_integral_value():
            return int(value)
        return float(value)


class _FlagDumper(adapt.Dumper):
    """A Python bool stored as the 0 or 1 an INTEGER column holds on SQLite."""

    oid = psycopg.postgres.types["int8"].oid

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


class Connection:
    """The `sqlite3.Connection` methods the store uses, on a psycopg connection in
    autocommit mode (the store opens its transactions itself, with BEGIN)."""

    __slots__ = ("raw",)

    def __init__(self, raw: psycopg.Connection):
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor:
        try:
            return self.raw.execute(spelled(sql), params)
        except psycopg.Error as exc:
            raise _translated(exc) from exc

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> psycopg.Cursor:
        cursor = self.raw.cursor()
        rows = list(rows)
        if rows:
            try:
                cursor.executemany(spelled(sql), rows)
            except psycopg.Error as exc:
                raise _translated(exc) from exc
        return cursor

    def script(self, sql: str) -> None:
        """Several statements, as written (no placeholders): a schema."""
        try:
            self.raw.execute(sql)
        except psycopg.Error as exc:
            raise _translated(exc) from exc

    @property
    def in_transaction(self) -> bool:
        # In a transaction block, or one that failed and awaits its ROLLBACK. Not ACTIVE: a
        # statement of another thread in flight on this connection (the event loop's read
        # while the writer's thread begins) says nothing about a transaction, and taking it
        # for one would run the writer's statements outside any.
        return self.raw.info.transaction_status in (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR)

    def close(self) -> None:
        self.raw.close()


def connect(url: str, *, readonly: bool = False) -> Connection:
    """Open a connection for the store: autocommit (explicit BEGIN), durable commits, and,
    for `readonly`, every transaction read-only."""
    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise _translated(exc) from exc
    raw.adapters.register_loader("numeric", _NumberLoader)
    raw.adapters.register_dumper(bool, _FlagDumper)
    raw.execute("SET synchronous_commit = on")
    raw.execute("SET TIME ZONE 'UTC'")
    if readonly:
        raw.execute("SET default_transaction_read_only = on")
    return Connection(raw)


def _begin_holding(conn: Connection, key: int) -> None:
    """BEGIN and wait for a lock; a wait that fails (busy) leaves no transaction open."""
    conn.execute("BEGIN")
    try:
        conn.execute(lock_of(key))
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def begin_write(conn: Connection) -> None:
    """BEGIN, then wait for the node's write lock (held until COMMIT or ROLLBACK)."""
    _begin_holding(conn, WRITE_LOCK)


def wait_for_locks(conn: Connection, milliseconds: int) -> None:
    """How long a statement waits for a lock before failing (PostgresqlUnavailable.busy)."""
    conn.execute(f"SET lock_timeout = {int(milliseconds)}")


def table_names(conn: Connection) -> list[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
    return [name for (name,) in rows]


def data_version(conn: Connection) -> int:
    """A number that changes whenever anything was committed to the server since it was
    last read (the write-ahead log's insert position): constant-time, like SQLite's
    data_version, and never the same after a commit."""
    lsn = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0]
    high, low = lsn.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def schema_script() -> str:
    return resources.files(__package__).joinpath(SCHEMA_FILE).read_text()


def begin_migration(conn: Connection) -> None:
    """BEGIN, then wait until no other process is migrating the same database."""
    _begin_holding(conn, MIGRATION_LOCK)


def install_schema(conn: Connection, versions: Iterable[tuple[int, str]], applied_at: str) -> list[int]:
    """Create the node's tables in a new database, as the SQLite migrations up to the
    newest leave them, and record those migrations as applied. Returns their numbers, or []
    when another process had installed it first."""
    begin_migration(conn)
    try:
        if conn.execute("SELECT to_regclass('_migrations')").fetchone()[0] is not None:
            conn.execute("ROLLBACK")
            return []
        conn.script(schema_script())
        versions = list(versions)
        conn.executemany("INSERT INTO _migrations (number, name, applied_at) VALUES (?, ?, ?)",
                         [(number, name, applied_at) for number, name in versions])
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return [number for number, _ in versions]


def applied(conn: Connection) -> set[int] | None:
    """The migrations a database has seen, or None for a database without the node's tables."""
    if conn.execute("SELECT to_regclass('_migrations')").fetchone()[0] is None:
        return None
    return {number for (number,) in conn.execute("SELECT number FROM _migrations")}


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")


def database_name(url: str) -> str:
    """The database a URL names (its path), checked to be a plain identifier."""
    name = urlsplit(url).path.lstrip("/")
    if not _NAME.fullmatch(name):
        raise ValueError(f"name a database in the URL, such as postgresql://fedcommons@localhost/commons "
                         f"(letters, digits and _), not {redacted(url)!r}")
    return name


def create_database(url: str) -> bool:
    """Create the database a URL names when the server has none by that name (connected to
    the server's `postgres` database as the same user); whether it was created."""
    name = database_name(url)
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as raw:
            if raw.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                return False
            raw.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\' '
                        "LC_COLLATE 'C' LC_CTYPE 'C'")
    except psycopg.Error as exc:
        raise _translated(exc) from exc
    return True


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Append rows to a table with COPY (in the caller's transaction): its triggers fire and
    its constraints hold as for INSERT, and identity columns take the values given, as
    with OVERRIDING SYSTEM VALUE."""
    names = ", ".join(f'"{column}"' for column in columns)
    try:
        with conn.raw.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:
        raise _translated(exc) from exc
