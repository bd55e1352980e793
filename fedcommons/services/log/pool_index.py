"""The per-pool index of log entries, kept in step with the log inside each append.

A pool's standing then reads the entries filed under it (:func:`pool_leaves`), so what it
costs grows with the pool, not with the log. Which entries are filed where follows the
ledger's own reading rules (:mod:`fedcommons.standing.relevance`). A log older than the
index is indexed once, from its first entry (:func:`catch_up`, run when the server starts
and by the commands that read standings); until it is, :func:`pool_leaves` says so and
standings are read from the whole log, never from half an index.
"""

from collections.abc import Callable, Iterator, Sequence

import orjson

from ...errors import IntegrityError
from ...node import Node
from ...standing.relevance import NOTHING, concerns, url_key
from ...store import log as log_store
from ...store import pool_index as index_store
from ...store import redactions as redaction_store
from ...store.db import transaction

CATCH_UP_BATCH = 5000


def index_entries(node: Node, entries: Sequence[tuple[int, object]]) -> set[int]:
    """File ``(index, activity)`` entries, in log order, under the pools they concern;
    returns the keys of the pools that got entries.

    The caller holds the write transaction and gives the entries that follow the indexed
    ones; the indexed size is the caller's to move on. What a batch reads of the index is
    asked in a few statements: the owners of the URLs it refers to, and which of the URLs it
    introduces something already refers to (usually none: then nothing waits on them).
    """
    concerned = []
    for idx, activity in entries:
        concern = concerns(activity)
        if concern is not NOTHING and (concern.pool is not None or concern.ref is not None):
            concerned.append((idx, concern, url_key(concern.owns) if concern.owns else None))
    batch = _Batch(node, {url_key(c.ref) for _, c, _ in concerned if c.pool is None},
                   {owns for _, _, owns in concerned if owns is not None})
    names: dict[str, int] = {}  # pool URL -> key: a batch names few pools, many times
    for idx, concern, owns in concerned:
        if concern.pool is not None:
            pool = names.get(concern.pool)
            if pool is None:
                pool = names[concern.pool] = url_key(concern.pool)
            pools = (pool,)
        else:
            ref = url_key(concern.ref)
            batch.refer(ref, idx, owns)
            pools = batch.owners(ref)
        for pool in pools:
            batch.filed.append((pool, idx, idx))
            if owns is not None:
                batch.own(owns, pool, idx)
    batch.flush()
    index_store.name_pools(node.db, {key: url for url, key in names.items()}.items())
    index_store.file_entries(node.db, batch.filed)
    return {pool for pool, _, _ in batch.filed}


class _Batch:
    """The index as one batch sees it: what is stored, and what the batch added so far."""

    def __init__(self, node: Node, refs: set[int], introduced: set[int]):
        self.db = node.db
        self.filed: list[tuple[int, int, int]] = []
        self._owners = index_store.owners_of(self.db, refs | introduced)
        self._referred = index_store.referred(self.db, introduced)  # stored references to these
        self._checked = set(introduced)  # the URLs whose stored references were looked for
        self._new_owners: list[tuple[int, int]] = []
        self._new_refs: list[tuple[int, int, int | None]] = []

    def owners(self, ref: int) -> set[int]:
        return self._owners.get(ref, set())

    def refer(self, ref: int, idx: int, owns: int | None) -> None:
        self._new_refs.append((ref, idx, owns))
        self._referred.add(ref)

    def own(self, ref: int, pool: int, now: int) -> None:
        """``ref`` (a contribution's or a Like's id) belongs to ``pool`` since entry ``now``:
        so does every entry that refers to it, whenever it arrived, and what those introduce."""
        if ref in self._checked and ref not in self._referred:  # a new contribution: nothing waits on it
            owners = self._owners.setdefault(ref, set())
            if pool not in owners:
                owners.add(pool)
                self._new_owners.append((ref, pool))
            return
        waiting = [ref]
        while waiting:
            key = waiting.pop()
            if key not in self._checked:  # a Like's id, found by following references
                self._checked.add(key)
                self._owners.update(index_store.owners_of(self.db, {key}))
                self._referred |= index_store.referred(self.db, {key})
            owners = self._owners.setdefault(key, set())
            if pool in owners:
                continue
            owners.add(pool)
            self._new_owners.append((key, pool))
            if key not in self._referred:
                continue  # nothing refers to it yet
            self.flush()
            for idx, owns in index_store.referrers(self.db, key):
                self.filed.append((pool, idx, now))
                if owns is not None:
                    waiting.append(owns)

    def flush(self) -> None:
        """Write what the batch added, so that the stored index answers for it."""
        index_store.add_references(self.db, self._new_refs)
        index_store.add_owners(self.db, self._new_owners)
        self._new_refs, self._new_owners = [], []


def index_appended(node: Node, entries: Sequence[tuple[int, dict]]) -> set[int]:
    """The after-append step: file new entries when the index covers everything before
    them (else leave them to :func:`catch_up`, which indexes in log order); returns the
    keys of the pools that got entries."""
    if not entries or index_store.indexed_size(node.db) != entries[0][0]:
        return set()
    touched = index_entries(node, entries)
    index_store.set_indexed_size(node.db, entries[-1][0] + 1)
    return touched


def behind(node: Node) -> int:
    """How many entries of the log the index does not cover yet."""
    return max(0, log_store.log_size(node.db) - index_store.indexed_size(node.db))


def catch_up(node: Node, progress: Callable[[int], None] | None = None, batch: int = CATCH_UP_BATCH,
             then: Callable[[Node, set[int]], None] | None = None, batches: int | None = None) -> int:
    """Index the entries the index does not cover yet, ``batch`` to a transaction (so a
    running server keeps writing meanwhile), at most ``batches`` transactions; ``progress``
    is told how many each batch did, ``then`` is called in each transaction with the pools
    that got entries. Returns how many were indexed."""
    done = 0
    for _ in iter(int, 1) if batches is None else range(batches):
        if not behind(node):
            return done  # found by a read: no write lock is taken when all is indexed
        with transaction(node.db):
            start = index_store.indexed_size(node.db)
            leaves = list(log_store.iter_leaves(node.db, start, start + batch))
            if not leaves:
                return done
            retained = redaction_store.redacted(node.db)
            touched = index_entries(node, [(leaf.idx, _activity(leaf, retained)) for leaf in leaves])
            index_store.set_indexed_size(node.db, leaves[-1].idx + 1)
            if then is not None:
                then(node, touched)
        done += len(leaves)
        if progress is not None:
            progress(len(leaves))
    return done


def _activity(leaf: log_store.Leaf, retained: dict[int, bytes]) -> object:
    # A redacted entry (no bytes) is filed by the figures its redaction notice retained,
    # which is also what the ledger reads in its place (docs/methods.md, "Redaction").
    body = leaf.body if leaf.body is not None else retained.get(leaf.idx)
    if body is None:
        return None
    try:
        return orjson.loads(body)
    except ValueError:
        raise IntegrityError(f"log entry {leaf.idx} is not JSON; run `fedcommons log verify`") from None


def pool_leaves(node: Node, pool: str, stop: int, start: int = 0) -> Iterator[log_store.Leaf] | None:
    """The entries that can concern ``pool`` (a URL) filed while the log grew from ``start``
    to ``stop`` entries, in the order filed; None when the index does not cover the first
    ``stop`` entries yet (read the whole log then).

    An entry is filed when it is appended, or, when it refers to something not yet in the
    log, when that is: the ledger's figures do not depend on the order it reads entries in.
    """
    if index_store.indexed_size(node.db) < stop:
        return None
    return index_store.pool_leaves(node.db, url_key(pool), start, stop)
