"""Re-verify a stored mirror of another node's log, offline.

The same checks as when the entries arrived (``fedcommons.log.replica``), from the stored
bytes: each entry's bytes hash to its leaf hash, its Data Integrity proof verifies with
a key the log published earlier (starting from the pinned node key), the Merkle nodes it
completes match the stored ones (every proof and fork evidence is built from them), the
root at every checkpoint seen for the origin equals its signed root, and the verified
size's checkpoint is signed by the pinned key and matches the entries. Entries are
streamed batch by batch, so memory stays flat, and examined in other processes when
the mirror is large.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from ...errors import FedcommonsError, IntegrityError
from ...log.checkpoint import parse_checkpoint
from ...log.merkle import Frontier, root_at
from ...log.replica import ReplicaChecker, examine_all, examine_stored
from ...node import Node
from ...sig.note import open_note, parse_verifier_key
from ...store import mirrors as mirror_store
from ...store.db import SEQUENTIAL_CACHE_KIB, page_cache
from ..log.processes import checking_pool, default_workers
from .mirrors import lookup, require

BATCH = 2000


@dataclass
class MirrorReport:
    """What ``verify_mirror`` checked."""

    origin: str
    entries: int = 0
    staged: int = 0
    proofs: int = 0
    unchecked: int = 0
    redacted: int = 0
    nodes: int = 0
    checkpoints: int = 0
    root: bytes = b""
    forks: int = 0
    notes: list[str] = field(default_factory=list)


def verify_mirror(node: Node, origin_or_url: str, progress: Callable[[int], None] | None = None, *,
                  workers: int | None = None) -> MirrorReport:
    """Check everything the module docstring lists; IntegrityError names the first failure.

    Entries are examined (bytes against leaf hash, proofs) in `workers` other processes
    (default: one per core, at most four, for a mirror of more than a few batches; 0
    examines them here), and taken in order here, where the tree is rebuilt.
    """
    row = require(node, origin_or_url)
    report = MirrorReport(row.origin, forks=len(mirror_store.forks(node.db, row.origin)))
    verifier = parse_verifier_key(row.verifier_key)
    checker = ReplicaChecker.start(row.url, row.actor, verifier.public_key)
    # Notes already kept as fork evidence contradict the entries by definition.
    contested = {note for fork in mirror_store.forks(node.db, row.origin) for note in fork.evidence["notes"]}
    seen = _seen_by_size(node, row.origin, row.size, contested)
    if workers is None:
        workers = default_workers(row.staged_size, BATCH)

    def take(batch: list, examined) -> None:
        try:
            checked = checker.settle(examined, batch[0][0])
        except IntegrityError as exc:
            raise IntegrityError(f"mirror of {row.origin}: {exc}") from None
        report.nodes += _compare_nodes(node, row.origin, checked.nodes)
        # Roots at the sizes of checkpoints seen inside this batch.
        for size in [s for s in seen if batch[0][0] < s <= batch[-1][0] + 1]:
            partial = checker.frontier.copy()
            for _, leaf, _ in batch[: size - batch[0][0]]:
                partial.append(leaf)
            for root in seen.pop(size):
                if partial.root() != root:
                    raise IntegrityError(
                        f"mirror of {row.origin}: a checkpoint signed for size {size} does not match the entries"
                    )
                report.checkpoints += 1
        checker.accept(checked)
        if progress:
            progress(len(batch))

    with page_cache(node.db, SEQUENTIAL_CACHE_KIB):
        batches = _batches(mirror_store.iter_entries(node.db, row.origin, verified=False, batch=BATCH))
        if workers <= 0:
            for batch in batches:
                take(batch, examine_all(batch, checker.keys, row.url))
        else:
            _examine_elsewhere(batches, checker, row, workers, take)

    counts = checker.counts
    report.entries, report.proofs = counts.entries, counts.proofs
    report.unchecked, report.redacted = counts.unchecked, counts.redacted
    if counts.entries != row.staged_size:
        raise IntegrityError(f"mirror of {row.origin}: {counts.entries} entries stored, {row.staged_size} recorded")
    report.staged = row.staged_size - row.size
    if checker.frontier.hashes != row.staged_frontier:
        raise IntegrityError(f"mirror of {row.origin}: the stored staging frontier does not match the entries")
    _check_verified(node, row, verifier)
    report.root = row.root
    if report.staged:
        report.notes.append(f"{report.staged} entries past size {row.size} wait for a checkpoint to cover them")
    return report


def _batches(entries) -> Iterator[list[tuple[int, bytes, bytes | None]]]:
    batch = []
    for entry in entries:
        batch.append((entry.idx, entry.leaf_hash, entry.body))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _examine_elsewhere(batches, checker: ReplicaChecker, row, workers: int, take) -> None:
    """Examine batches in checking processes, a few ahead, each with the keys known when
    it is sent (settle checks in order what a batch could not know); take them in order."""
    pool = checking_pool(workers)
    inflight: deque = deque()

    def take_first() -> None:
        batch, future = inflight.popleft()
        try:
            examined = future.result()
        except IntegrityError as exc:
            raise IntegrityError(f"mirror of {row.origin}: {exc}") from None
        except BrokenProcessPool as exc:
            raise FedcommonsError(f"a checking process stopped ({exc}); run again with --workers 0") from None
        take(batch, examined)

    try:
        for batch in batches:
            inflight.append((batch, pool.submit(examine_stored, batch, row.url, checker.key_material())))
            if len(inflight) > 2 * workers:
                take_first()
        while inflight:
            take_first()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _check_verified(node: Node, row, verifier) -> None:
    """The verified size's root, frontier and checkpoint agree with the entries."""
    if row.size == 0:
        return
    root = root_at(row.size, lookup(node, row.origin))
    if root != row.root:
        raise IntegrityError(f"mirror of {row.origin}: the entries up to {row.size} do not give the recorded root")
    if Frontier.from_hashes(row.size, row.frontier).root() != root:
        raise IntegrityError(f"mirror of {row.origin}: the stored frontier does not give the recorded root")
    try:
        body = parse_checkpoint(open_note(row.checkpoint, [verifier]).text)
    except FedcommonsError as exc:
        raise IntegrityError(f"mirror of {row.origin}: its checkpoint does not verify with the pinned key: {exc}") from None
    if (body.origin, body.size, body.root) != (row.origin, row.size, root):
        raise IntegrityError(f"mirror of {row.origin}: its checkpoint states another size or root than the mirror")


def _seen_by_size(node: Node, origin: str, up_to: int, contested: set[str]) -> dict[int, list[bytes]]:
    found: dict[int, list[bytes]] = {}
    for seen in mirror_store.seen_between(node.db, origin, 0, up_to + 1):
        if seen.note not in contested:
            found.setdefault(seen.size, []).append(seen.root)
    return found


def _compare_nodes(node: Node, origin: str, computed: list[tuple[int, int, bytes]]) -> int:
    """Compare the subtree hashes recomputed for a batch with the stored ones."""
    by_level: dict[int, list[tuple[int, bytes]]] = {}
    for level, index, value in computed:
        if level > 0:
            by_level.setdefault(level, []).append((index, value))
    checked = 0
    for level, items in by_level.items():
        stored = mirror_store.nodes_at_level(node.db, origin, level, items[0][0], items[-1][0])
        for index, value in items:
            if stored.get(index) != value:
                raise IntegrityError(f"mirror of {origin}: stored Merkle node ({level}, {index}) does not match the entries")
            checked += 1
    return checked
