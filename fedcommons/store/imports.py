"""SQL for the keys of rows that bulk imports have appended."""

from itertools import islice
from typing import Iterable, Sequence

from sqlite_utils import Database

# Well under SQLite's limit on bound parameters (32,766 since 3.32, 999 before).
_CHUNK = 500


def imported(db: Database, pool: str, keys: Iterable[str]) -> set[str]:
    """Those of `keys` already imported into `pool`."""
    found: set[str] = set()
    keys = iter(keys)
    while chunk := list(islice(keys, _CHUNK)):
        marks = ", ".join("?" * len(chunk))
        found.update(row[0] for row in db.conn.execute(
            f"SELECT key FROM import_keys WHERE pool = ? AND key IN ({marks})", (pool, *chunk)))
    return found


def record_imported(db: Database, rows: Sequence[tuple[str, str, str]]) -> None:
    """Record (pool, key, contribution id) of appended rows; a key already there is an error."""
    db.conn.executemany("INSERT INTO import_keys (pool, key, contribution) VALUES (?, ?, ?)", rows)


def count_imported(db: Database) -> int:
    """How many rows imports have appended, all pools together."""
    return db.conn.execute("SELECT count(*) FROM import_keys").fetchone()[0]
