"""The node's database handle: a connection to SQLite (the standard `sqlite3` module) or to
PostgreSQL (`store.postgresql`, the same methods on psycopg), and which of the two it is.

Every store function takes one and reaches the connection as ``db.conn``. It is not a
wrapper with behaviour of its own: opening the log's connection through a library that
switches on settings (recursive triggers) or runs installed plugins would put what the
log guarantees in someone else's hands. `db.open_db` makes one; sqlite-utils is kept for
what it is made for, building analysis exports.
"""

from urllib.parse import urlsplit

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
SCHEMES = ("postgresql", "postgres")


def is_server_url(location) -> bool:
    """Whether a database location is a PostgreSQL URL (else it is a SQLite file's path)."""
    return isinstance(location, str) and urlsplit(location).scheme in SCHEMES


class Database:
    """A node database connection (``conn``), opened and configured by `store.db.open_db`,
    and its ``dialect``: SQLITE or POSTGRESQL."""

    __slots__ = ("conn", "dialect")

    def __init__(self, conn, dialect: str = SQLITE):
        self.conn = conn
        self.dialect = dialect

    @property
    def on_postgresql(self) -> bool:
        return self.dialect == POSTGRESQL

    def table_names(self) -> list[str]:
        """The tables, in name order."""
        if self.on_postgresql:
            from . import postgresql  # psycopg takes 0.18 s to load: only for a node on PostgreSQL

            return postgresql.table_names(self.conn)
        rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        return [name for (name,) in rows]

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()
