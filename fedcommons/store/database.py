"""The node's database handle: a connection of the standard `sqlite3` module, nothing more.

Every store function takes one and reaches the connection as ``db.conn``. It is not a
wrapper with behaviour of its own: opening the log's connection through a library that
switches on settings (recursive triggers) or runs installed plugins would put what the
log guarantees in someone else's hands. `db.open_db` makes one; sqlite-utils is kept for
what it is made for, building analysis exports.
"""

import sqlite3


class Database:
    """A node database connection (``conn``), opened and configured by `store.db.open_db`."""

    __slots__ = ("conn",)

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def table_names(self) -> list[str]:
        """The tables, in name order."""
        rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        return [name for (name,) in rows]

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()
