"""A local pool's ledger, kept per pool so that its standing costs what the pool costs.

Three layers, each giving the ledger the whole log would give (a property test holds them
to the same bytes, ``tests/test_standing_fast.py``):

- the per-pool index of entries (:mod:`fedcommons.services.log.pool_index`), kept in the
  append transaction: a ledger read from it reads only the pool's entries;
- a stored ledger of each busy pool, in parts (``pool_ledger_parts``): each part is the
  ledger of the pool's entries since the part before, stored in the append transaction once
  enough of them came, so a new process (the CLI) reads on from the newest part rather
  than from the pool's first entry, and storing one writes only what is new; the writing
  process keeps the ledger of each pool's entries since its newest part (a tail, never
  longer than a part) and reads each append into it as it comes;
- in a long-running process (the server), the ledger of each pool at the newest size it
  was asked for, read on by the entries appended since, with the last Standing computed
  from it (a Standing is a function of its pool, method, asOf and treeSize).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import orjson

from ...errors import IntegrityError
from ...log.merkle import Frontier, leaf_hash
from ...node import Node
from ...standing import PoolLedger
from ...standing.ledger import has_type
from ...standing.relevance import url_key
from ...store import pool_index as index_store
from ...store import redactions as redaction_store
from ...store.log import EntryRow, Leaf
from ..log import log_writer, pool_index

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


# -- stored parts (the after-append step) ----------------------------------------------


def index_log(node: Node, progress: Callable[[int], None] | None = None, batches: int | None = None) -> int:
    """Index the entries of a log older than the per-pool index (after the migration that
    made it), storing the busy pools' ledgers as it goes; how many entries it indexed.
    Until it is done, standings are read from the whole log."""
    return pool_index.catch_up(node, progress, then=refresh_snapshots, batches=batches)


def refresh_snapshots(node: Node, pools: set[int], fresh: Sequence[tuple[EntryRow, object]] = ()) -> None:
    """Store a new part of the ledger of each of ``pools`` that enough new entries came
    after (the caller holds the write transaction; the index covers the log). ``fresh``:
    the entries just appended (consecutive), each with the activity its body is the JCS
    bytes of, which need not be read back.

    A part is the ledger of the pool's entries since the part before it alone, so storing
    one never reads, nor holds, what the pool's earlier entries say: once a pool's part was
    stored by this process, or when its first entries are appended, the process keeps the
    ledger of its entries since (its tail), reading each append into it as it comes."""
    db = node.db
    size = index_store.indexed_size(db)
    for pool in pools:
        kept = _kept(node, pool) or _begun(node, pool, size, fresh)
        if kept is None:
            start, stored = index_store.ledger_position(db, pool) or (0, 0)
            tail = index_store.filed_count(db, pool, start, size)
            url = index_store.pool_url(db, pool) if tail >= _due(stored) else None
            if url is None:
                continue
            ledger = read_ledger(index_store.pool_leaves(db, pool, start, size), url,
                                 retained=redaction_store.redacted(db))
            index_store.add_ledger_part(db, pool, size, stored + tail, ledger.snapshot())
            _keep(node, pool, _Kept(PoolLedger(url), size, size, 0, stored + tail, _frontier(node, size)))
            continue
        filed = index_store.filed_since(db, pool, kept.size, size)
        _read_on(node, kept.tail, filed, fresh)
        kept.size, kept.entries, kept.frontier = size, kept.entries + len(filed), _frontier(node, size)
        if kept.entries >= _due(kept.stored):
            index_store.add_ledger_part(db, pool, size, kept.stored + kept.entries, kept.tail.snapshot())
            kept.tail, kept.start, kept.entries, kept.stored = PoolLedger(kept.tail.pool), size, 0, kept.stored + kept.entries


def _begun(node: Node, pool: int, size: int, fresh: Sequence[tuple[EntryRow, object]]) -> _Kept | None:
    """A tail kept from here on for a pool that has no stored part and whose every entry was
    filed by this append (a new pool), read on from nothing; else None."""
    if not fresh or index_store.ledger_position(node.db, pool) is not None:
        return None
    first = fresh[0][0].idx
    if index_store.filed_count(node.db, pool, 0, first):
        return None
    url = index_store.pool_url(node.db, pool)
    if url is None:
        return None
    return _keep(node, pool, _Kept(PoolLedger(url), 0, first, 0, 0, _frontier(node, first)))


def _read_on(node: Node, ledger: PoolLedger, filed: list[int], fresh: Sequence[tuple[EntryRow, object]]) -> None:
    """Read the entries at ``filed`` on into ``ledger`` as :func:`read_ledger` would. A fresh
    Create of a Contribution (most of a busy pool) is read from its activity, not parsed
    again from its bytes: what the ledger reads of one whose actor and authors are plain
    strings (strings, and an effort whose number reads the same before and after JCS) is
    the same either way; anything else is read from its bytes."""
    first = fresh[0][0].idx if fresh else 0
    stored = index_store.leaves_at(node.db, [i for i in filed if not 0 <= i - first < len(fresh)])
    retained = redaction_store.redacted(node.db) if stored else None
    add = ledger.add
    for idx in filed:
        leaf = stored.get(idx)
        if leaf is None:
            entry, activity = fresh[idx - first]
            if type(activity) is dict and activity.get("type") == "Create":
                obj = activity.get("object")
                if type(obj) is dict and has_type(obj.get("type"), "Contribution"):
                    # No tuples where JSON has lists: the ledger reads these through ref().
                    actor, provider, attributed = activity.get("actor"), obj.get("provider"), obj.get("attributedTo")
                    if ((type(actor) is str or actor is None) and (type(provider) is str or provider is None)
                            and (type(attributed) is str or attributed is None)):
                        add(activity)
                        continue
            leaf = Leaf(idx, entry.leaf_hash, entry.body)
        read_ledger((leaf,), ledger.pool, retained=retained, ledger=ledger)


def _due(stored_entries: int) -> int:
    """How many new entries of a pool make a new part of its stored ledger worth storing."""
    return max(MIN_TAIL, min(MAX_TAIL, stored_entries // 4))


@dataclass
class _Kept:
    """The ledger (``tail``) of what a pool's entries filed since its newest stored part say,
    as this process read them: that part was stored at log size ``start`` and holds
    ``stored`` of the pool's entries; the tail was read on up to log size ``size``, whose
    Merkle frontier is ``frontier``, and holds ``entries`` more."""

    tail: PoolLedger
    start: int
    size: int
    entries: int
    stored: int
    frontier: tuple[bytes, ...]


# Kept by the writing process, per database and pool key; only the write transaction
# touches them, and one process writes one database a transaction at a time.
_KEPT: dict[tuple[str, int], _Kept] = {}
# At most this many, the least recently appended to dropped first (its tail is read again
# from the log when it is due): a server hosting many pools holds only the busy ones.
KEPT_POOLS = 32


def _keep(node: Node, pool: int, kept: _Kept) -> _Kept:
    """Keep ``kept`` for ``pool`` of this database (the newest last); returns it."""
    _KEPT[(str(node.config.database), pool)] = kept
    while len(_KEPT) > KEPT_POOLS:
        del _KEPT[next(iter(_KEPT))]
    return kept


def _kept(node: Node, pool: int) -> _Kept | None:
    """The tail kept for ``pool``, when it was read from this log (an append rolled back or
    a database replaced at the same path has another frontier at that size) and follows the
    pool's newest stored part (another process writing the database may have stored one
    since): else None."""
    key = (str(node.config.database), pool)
    kept = _KEPT.get(key)
    if kept is None:
        return None
    frontier = _frontier(node, kept.size) if kept.size <= index_store.indexed_size(node.db) else None
    position = index_store.ledger_position(node.db, pool) or (0, 0)
    if frontier is None or frontier != kept.frontier or position != (kept.start, kept.stored):
        del _KEPT[key]
        return None
    _KEPT[key] = _KEPT.pop(key)  # the most recently used last
    return kept


def _frontier(node: Node, size: int) -> tuple[bytes, ...] | None:
    """The Merkle frontier of the log's first ``size`` entries (None when it has fewer)."""
    try:
        return Frontier.from_lookup(size, log_writer.lookup(node)).hashes
    except KeyError:
        return None


def _stored(node: Node, pool: int, url: str, size: int) -> tuple[PoolLedger, int]:
    """The ledger of ``pool`` its stored parts give, as read from the first entries of the
    log up to the newest part stored at most at ``size``, with that size; else a new
    ledger, and 0."""
    ledger, start = PoolLedger(url), 0
    for part_size, _, data in index_store.ledger_parts(node.db, pool, size):
        try:
            part = PoolLedger.restore(data)
        except ValueError as exc:
            raise IntegrityError(f"the stored ledger of {url} is unreadable ({exc})") from None
        if part.pool != url:
            return PoolLedger(url), 0  # two URLs with one key: read that pool from its first entry
        if start:
            ledger.absorb(part)
        else:
            ledger = part
        start = part_size
    return ledger, start


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
    """The pool's ledger at ``size`` from storage: its stored parts, read on by the
    entries filed under it since."""
    ledger, start = _stored(node, url_key(pool), pool, size)
    read_ledger(index_store.pool_leaves(node.db, url_key(pool), start, size), pool,
                retained=redaction_store.redacted(node.db), ledger=ledger)
    return Held(ledger, size, index_store.checkpoint_root(node.db, size))
