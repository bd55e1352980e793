"""Copying a live node database with SQLite's online backup API.

The copy is read inside one read transaction on a connection of its own, so it is the
database as it stood at one instant (WAL readers see a fixed snapshot), however much the
server writes meanwhile; the log size and checkpoint read in the same transaction
describe exactly the copy.
"""

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import HomeError

# Pages copied per step: small enough that a progress bar moves and a writer is never
# kept waiting, large enough that a big database copies at disk speed.
PAGES_PER_STEP = 256

Progress = Callable[[int, int], None]  # (pages copied, pages in all)


@dataclass(frozen=True)
class Snapshot:
    """What a copied database holds of its log: size, root and signed note of its newest checkpoint."""

    size: int
    root: bytes
    note: str


def copy_database(source: Path, target: Path, *, pages: int = PAGES_PER_STEP,
                  progress: Progress | None = None) -> Snapshot:
    """Copy the database at ``source`` to a new file ``target`` while others may write it."""
    if target.exists():
        raise HomeError(f"{target} already exists")
    src = sqlite3.connect(source, isolation_level=None)
    dst = sqlite3.connect(target, isolation_level=None)
    try:
        src.execute("PRAGMA busy_timeout = 5000")
        src.execute("PRAGMA query_only = ON")
        # One read transaction for the whole copy: every step reads the same snapshot,
        # so writers elsewhere neither restart the copy nor tear it.
        src.execute("BEGIN")
        latest = src.execute("SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1").fetchone()
        if latest is None:
            raise HomeError(f"{source} holds no signed checkpoint: not a node database")

        def step(status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)

        src.backup(dst, pages=pages, progress=step)
        src.execute("COMMIT")
        # The copy is a file on its own: no WAL beside it.
        dst.execute("PRAGMA journal_mode = DELETE")
        return Snapshot(*latest)
    finally:
        dst.close()
        src.close()


def log_snapshot(path: Path) -> Snapshot:
    """The newest checkpoint of a database file (a restored copy, say)."""
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        latest = conn.execute("SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1").fetchone()
    except sqlite3.DatabaseError as exc:
        raise HomeError(f"{path} is not a node database: {exc}") from None
    finally:
        conn.close()
    if latest is None:
        raise HomeError(f"{path} holds no signed checkpoint: not a node database")
    return Snapshot(*latest)
