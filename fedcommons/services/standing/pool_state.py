"""A local pool's ledger, kept per pool so that its standing costs what the pool costs.

Three layers, each giving the ledger the whole log would give (a property test holds them
to the same bytes, ``tests/test_standing_fast.py``):

- the per-pool index of entries (:mod:`fedcommons.services.log.pool_index`), kept in the
  append transaction: a ledger read from it reads only the pool's entries;
- a stored snapshot of each busy pool's ledger (``pool_ledgers``), brought up to date in
  the append transaction once enough of the pool's entries came after it, so a new
  process (the CLI) reads on from it rather than from the pool's first entry;
- in a long-running process (the server), the ledger of each pool at the newest size it
  was asked for, read on by the entries appended since, with the last Standing computed
  from it (a Standing is a function of its pool, method, asOf and treeSize).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import orjson

from ...errors import IntegrityError
from ...log.merkle import Frontier, leaf_hash
from ...node import Node
from ...standing import PoolLedger
from ...standing.relevance import url_key
from ...store import pool_index as index_store
from ...store import redactions as redaction_store
from ..log import pool_index

# A stored ledger is brought up to date once this many of its pool's entries came after
# it: a quarter of what it holds, within these bounds. Reading on from it then costs at
# most MAX_TAIL entries, and storing it again costs little over the pool's appends.
MIN_TAIL = 5000
MAX_TAIL = 20000


def read_ledger(entries: Iterable, pool: str, frontier: Frontier | None = None,
                retained: Mapping[int, bytes] | None = None,
                also: Callable[[int, object], None] | None = None, *,
                ledger: PoolLedger | None = None) -> PoolLedger:
    """Stream log rows into the pool's ledger (a new one, or ``ledger`` read on); with
    ``frontier``, also rehash every entry into it; with ``also``, hand it each (index,
    parsed activity) too (the governance log and the followed pool's view read them).

    A redacted entry (no bytes) keeps its stored leaf hash, and is read as the figures its
    redaction notice ``retained`` (by index), so a redaction changes no one's standing.
    """
    ledger = PoolLedger(pool) if ledger is None else ledger
    add = ledger.add
    # Leaf hashes go to the frontier a chunk at a time (Frontier.extend: no node lists).
    hashed: list[bytes] = []
    for row in entries:
        body = row.body
        if frontier is not None:
            if body is None:  # a redacted entry's stored hash: checked as it comes, as before
                hashed.append(row.leaf_hash)
                frontier.extend(hashed)
                hashed.clear()
            else:
                hashed.append(leaf_hash(body))
                if len(hashed) == _HASH_CHUNK:
                    frontier.extend(hashed)
                    hashed.clear()
        if body is None:
            body = retained.get(row.idx) if retained else None
            if body is None:
                continue
        try:
            # Parsing is most of the work on a large log: orjson, in half the time of the
            # standard parser (its JSONDecodeError is a ValueError).
            activity = orjson.loads(body)
            add(activity)
        except ValueError:
            raise IntegrityError(f"log entry {row.idx} is not JSON; run `fedcommons log verify`") from None
        if also is not None:
            also(row.idx, activity)
    if frontier is not None:
        frontier.extend(hashed)
    return ledger


_HASH_CHUNK = 4096


# -- stored snapshots (the after-append step) ------------------------------------------


def index_log(node: Node, progress: Callable[[int], None] | None = None, batches: int | None = None) -> int:
    """Index the entries of a log older than the per-pool index (after the migration that
    made it), storing the busy pools' ledgers as it goes; how many entries it indexed.
    Until it is done, standings are read from the whole log."""
    return pool_index.catch_up(node, progress, then=refresh_snapshots, batches=batches)


def refresh_snapshots(node: Node, pools: set[int]) -> None:
    """Store again the ledger of each of ``pools`` that enough new entries came after
    (the caller holds the write transaction; the index covers the log)."""
    db = node.db
    size = index_store.indexed_size(db)
    for pool in pools:
        held_size, held_entries = index_store.pool_ledger_position(db, pool) or (0, 0)
        tail = index_store.pool_entry_count(db, pool, size) - held_entries
        if tail < max(MIN_TAIL, min(MAX_TAIL, held_entries // 4)):
            continue
        url = index_store.pool_url(db, pool)
        if url is None:
            continue
        ledger = _stored(node, pool, url, size)
        read_ledger(index_store.pool_leaves(db, pool, ledger[1], size), url, retained=redaction_store.redacted(db),
                    ledger=ledger[0])
        index_store.save_pool_ledger(db, pool, size, held_entries + tail, ledger[0].snapshot())


def _stored(node: Node, pool: int, url: str, size: int) -> tuple[PoolLedger, int]:
    """The stored ledger of ``pool`` if it was read from at most ``size`` entries, with the
    size it was read from; else a new ledger, and 0."""
    row = index_store.pool_ledger(node.db, pool)
    if row is None or row[0] > size:
        return PoolLedger(url), 0
    try:
        ledger = PoolLedger.restore(row[2])
    except ValueError as exc:
        raise IntegrityError(f"the stored ledger of {url} is unreadable ({exc})") from None
    if ledger.pool != url:
        return PoolLedger(url), 0  # two URLs with one key: read that pool from its first entry
    return ledger, row[0]


# -- the ledgers a process holds --------------------------------------------------------


@dataclass
class Held:
    """A pool's ledger read from the first ``size`` entries of a log, and the last
    Standing computed from it (``memo``, under ``memo_key``)."""

    ledger: PoolLedger
    size: int
    root: bytes | None
    memo_key: tuple | None = None
    memo: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_HELD: dict[tuple[str, str], Held] = {}
_HELD_LOCK = threading.Lock()


@contextmanager
def pool_ledger(node: Node, pool: str, size: int) -> Iterator[Held | None]:
    """The ledger of the local pool ``pool`` (a URL) read from the first ``size`` entries,
    held for the duration of the ``with`` (others wait); None when the index does not
    cover them yet."""
    db = node.db
    if index_store.indexed_size(db) < size:
        yield None
        return
    key = (str(node.config.database), pool)
    with _HELD_LOCK:
        held = _HELD.get(key)
    if held is not None:
        with held.lock:
            # The same log? A database replaced at the same path has another root.
            if held.size <= size and index_store.checkpoint_root(db, held.size) == held.root:
                read_ledger(index_store.pool_leaves(db, url_key(pool), held.size, size), pool,
                            retained=redaction_store.redacted(db), ledger=held.ledger)
                if held.size != size:
                    held.size, held.root = size, index_store.checkpoint_root(db, size)
                    held.memo_key = held.memo = None
                yield held
                return
            if held.size > size and index_store.checkpoint_root(db, held.size) == held.root:
                yield _read(node, pool, size)  # an earlier size: read apart, keep the newest
                return
    fresh = _read(node, pool, size)
    if fresh.root is not None:
        with _HELD_LOCK:
            _HELD[key] = fresh
    with fresh.lock:
        yield fresh


def _read(node: Node, pool: str, size: int) -> Held:
    """The pool's ledger at ``size`` from storage: its stored snapshot, read on by the
    entries filed under it since."""
    ledger, start = _stored(node, url_key(pool), pool, size)
    read_ledger(index_store.pool_leaves(node.db, url_key(pool), start, size), pool,
                retained=redaction_store.redacted(node.db), ledger=ledger)
    return Held(ledger, size, index_store.checkpoint_root(node.db, size))
