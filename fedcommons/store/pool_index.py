"""SQL for the per-pool index of log entries (what each table holds: migration 50).

Pools and references are named by the 64-bit keys of
:func:`fedcommons.standing.relevance.url_key`.
"""

from typing import Iterable, Iterator, Sequence

from sqlite_utils import Database

from .log import Leaf


def indexed_size(db: Database) -> int:
    """How many entries of the log, from the first, the index covers."""
    row = db.conn.execute("SELECT size FROM pool_index_state WHERE id = 1").fetchone()
    return row[0] if row else 0


def set_indexed_size(db: Database, size: int) -> None:
    """Record that the first ``size`` entries are indexed (the caller holds the transaction)."""
    db.conn.execute("UPDATE pool_index_state SET size = ? WHERE id = 1", (size,))


def name_pools(db: Database, pools: Iterable[tuple[int, str]]) -> None:
    """Remember the URL of each (key, url) pool key, for reading and for people."""
    db.conn.executemany("INSERT OR IGNORE INTO pool_index_pools (key, url) VALUES (?, ?)", pools)


def file_entries(db: Database, pairs: Sequence[tuple[int, int]]) -> None:
    """File entries under pools: (pool key, entry index) pairs; pairs already filed are skipped."""
    db.conn.executemany("INSERT OR IGNORE INTO pool_index_entries (pool, idx) VALUES (?, ?)", pairs)


def add_references(db: Database, rows: Sequence[tuple[int, int, int | None]]) -> None:
    """Record entries that refer to a URL: (ref key, entry index, key of the URL it introduces)."""
    db.conn.executemany("INSERT OR IGNORE INTO pool_index_refs (ref, idx, owns) VALUES (?, ?, ?)", rows)


def owners(db: Database, ref: int) -> list[int]:
    """The pool keys the URL keyed ``ref`` belongs to."""
    return [row[0] for row in db.conn.execute("SELECT pool FROM pool_index_owners WHERE ref = ?", (ref,))]


def add_owner(db: Database, ref: int, pool: int) -> bool:
    """Record that the URL keyed ``ref`` belongs to ``pool``; False if that was known already."""
    return db.conn.execute("INSERT OR IGNORE INTO pool_index_owners (ref, pool) VALUES (?, ?)",
                           (ref, pool)).rowcount == 1


def referrers(db: Database, ref: int) -> list[tuple[int, int | None]]:
    """(entry index, introduced key) of every entry that refers to the URL keyed ``ref``."""
    return db.conn.execute("SELECT idx, owns FROM pool_index_refs WHERE ref = ?", (ref,)).fetchall()


def pool_entry_count(db: Database, pool: int, stop: int) -> int:
    """How many entries below index ``stop`` are filed under ``pool``."""
    return db.conn.execute("SELECT count(*) FROM pool_index_entries WHERE pool = ? AND idx < ?",
                           (pool, stop)).fetchone()[0]


def pool_leaves(db: Database, pool: int, start: int, stop: int, batch: int = 5000) -> Iterator[Leaf]:
    """(index, leaf hash, bytes) of the entries filed under ``pool`` with ``start <= idx < stop``,
    in index order, paged so memory stays flat."""
    idx = start
    while idx < stop:
        rows = db.conn.execute(
            "SELECT e.idx, e.leaf_hash, e.body FROM pool_index_entries p JOIN log_entries e ON e.idx = p.idx"
            " WHERE p.pool = ? AND p.idx >= ? AND p.idx < ? ORDER BY p.idx LIMIT ?",
            (pool, idx, stop, batch),
        ).fetchall()
        if not rows:
            return
        yield from map(Leaf._make, rows)
        idx = rows[-1][0] + 1
