"""SQL for the per-pool index of log entries (what each table holds: migration 50).

Pools and references are named by the 64-bit keys of
:func:`fedcommons.standing.relevance.url_key`.
"""

from typing import Iterable, Iterator, Sequence

from .database import Database

from .bodies import open_body
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
    db.conn.executemany("INSERT INTO pool_index_pools (key, url) VALUES (?, ?) ON CONFLICT DO NOTHING", pools)


def file_entries(db: Database, rows: Sequence[tuple[int, int, int]]) -> None:
    """File entries under pools: (pool key, entry index, log size when filed); an entry
    already filed under a pool stays as it was."""
    db.conn.executemany("INSERT INTO pool_index_entries (pool, idx, filed) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                        rows)


def add_references(db: Database, rows: Sequence[tuple[int, int, int | None]]) -> None:
    """Record entries that refer to a URL: (ref key, entry index, key of the URL it introduces)."""
    db.conn.executemany("INSERT INTO pool_index_refs (ref, idx, owns) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", rows)


def owners_of(db: Database, refs: set[int]) -> dict[int, set[int]]:
    """{ref key: the pool keys it belongs to} for those of ``refs`` that belong to any."""
    found: dict[int, set[int]] = {}
    for chunk in _chunks(refs):
        marks = ",".join("?" * len(chunk))
        for ref, pool in db.conn.execute(f"SELECT ref, pool FROM pool_index_owners WHERE ref IN ({marks})", chunk):
            found.setdefault(ref, set()).add(pool)
    return found


def referred(db: Database, refs: set[int]) -> set[int]:
    """Those of ``refs`` that some stored entry refers to."""
    found: set[int] = set()
    for chunk in _chunks(refs):
        marks = ",".join("?" * len(chunk))
        found.update(row[0] for row in db.conn.execute(
            f"SELECT DISTINCT ref FROM pool_index_refs WHERE ref IN ({marks})", chunk))
    return found


def add_owners(db: Database, rows: Sequence[tuple[int, int]]) -> None:
    """Record that URLs belong to pools: (ref key, pool key) pairs."""
    db.conn.executemany("INSERT INTO pool_index_owners (ref, pool) VALUES (?, ?) ON CONFLICT DO NOTHING", rows)


def referrers(db: Database, ref: int) -> list[tuple[int, int | None]]:
    """(entry index, introduced key) of every entry that refers to the URL keyed ``ref``."""
    return db.conn.execute("SELECT idx, owns FROM pool_index_refs WHERE ref = ?", (ref,)).fetchall()


def _chunks(keys: set[int], size: int = 500) -> Iterator[list[int]]:
    """``keys`` in lists short enough for one statement's parameters."""
    ordered = list(keys)
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


def filed_count(db: Database, pool: int, start: int, stop: int) -> int:
    """How many entries were filed under ``pool`` while the log grew from ``start`` to ``stop``."""
    return db.conn.execute("SELECT count(*) FROM pool_index_entries WHERE pool = ? AND filed >= ? AND filed < ?",
                           (pool, start, stop)).fetchone()[0]


def ledger_parts(db: Database, pool: int, size: int) -> Iterator[tuple[int, int, bytes]]:
    """(size, entries, bytes) of each stored part of the ledger of ``pool`` read from at most
    the first ``size`` entries of the log, in the order they were stored, one at a time."""
    cursor = db.conn.execute("SELECT size, entries, part FROM pool_ledger_parts WHERE pool = ? AND size <= ? "
                             "ORDER BY size", (pool, size))
    try:
        while row := cursor.fetchone():
            yield row
    finally:
        cursor.close()


def ledger_position(db: Database, pool: int) -> tuple[int, int] | None:
    """(size, entries) of the newest stored part of the ledger of ``pool``: its parts hold
    what the first ``size`` entries of the log say about it, ``entries`` of them filed
    under it; or None."""
    return db.conn.execute("SELECT size, entries FROM pool_ledger_parts WHERE pool = ? ORDER BY size DESC LIMIT 1",
                           (pool,)).fetchone()


def add_ledger_part(db: Database, pool: int, size: int, entries: int, part: bytes) -> None:
    """Store the ledger of what the entries filed under ``pool`` since its newest part, up
    to log size ``size``, say (``entries``: how many are filed under it in all)."""
    db.conn.execute("INSERT INTO pool_ledger_parts (pool, size, entries, part) VALUES (?, ?, ?, ?)",
                    (pool, size, entries, part))


def pool_url(db: Database, pool: int) -> str | None:
    """The URL of a pool key."""
    row = db.conn.execute("SELECT url FROM pool_index_pools WHERE key = ?", (pool,)).fetchone()
    return row[0] if row else None


def checkpoint_root(db: Database, size: int) -> bytes | None:
    """The root of the checkpoint at ``size``, if one was signed (to tell one log from another)."""
    row = db.conn.execute("SELECT root FROM checkpoints WHERE size = ?", (size,)).fetchone()
    return row[0] if row else None


def pool_leaves(db: Database, pool: int, start: int, stop: int, batch: int = 5000) -> Iterator[Leaf]:
    """(index, leaf hash, bytes) of the entries filed under ``pool`` while the log grew from
    ``start`` to ``stop`` entries, in the order filed (then by index), paged."""
    after = (start, -1)  # every (filed, idx) from (start, 0) on
    while True:
        rows = db.conn.execute(
            "SELECT p.filed, e.idx, e.leaf_hash, e.body, e.dictionary FROM pool_index_entries p"
            " JOIN log_entries e ON e.idx = p.idx"
            " WHERE p.pool = ? AND (p.filed, p.idx) > (?, ?) AND p.filed < ? ORDER BY p.filed, p.idx LIMIT ?",
            (pool, *after, stop, batch),
        ).fetchall()
        if not rows:
            return
        for row in rows:
            yield Leaf(row[1], row[2], open_body(db, row[1], row[4], row[3]))
        after = (rows[-1][0], rows[-1][1])



def filed_since(db: Database, pool: int, start: int, stop: int) -> list[int]:
    """The indexes of the entries filed under ``pool`` while the log grew from ``start`` to
    ``stop`` entries, in the order :func:`pool_leaves` gives them."""
    return [row[0] for row in db.conn.execute(
        "SELECT idx FROM pool_index_entries WHERE pool = ? AND filed >= ? AND filed < ? ORDER BY filed, idx",
        (pool, start, stop))]


def leaves_at(db: Database, indexes: Iterable[int]) -> dict[int, Leaf]:
    """{index: (index, leaf hash, bytes)} of the entries at ``indexes``."""
    found: dict[int, Leaf] = {}
    for chunk in _chunks(set(indexes)):
        marks = ",".join("?" * len(chunk))
        for idx, leaf, body, dictionary in db.conn.execute(
                f"SELECT idx, leaf_hash, body, dictionary FROM log_entries WHERE idx IN ({marks})", chunk):
            found[idx] = Leaf(idx, leaf, open_body(db, idx, dictionary, body))
    return found
