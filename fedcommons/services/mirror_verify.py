"""Re-verify a stored mirror of another node's log, offline.

The same checks as when the entries arrived (``fedcommons.log.replica``), from the stored
bytes: each entry's bytes hash to its leaf hash, its Data Integrity proof verifies with
a key the log published earlier (starting from the pinned node key), the Merkle nodes it
completes match the stored ones (every proof and fork evidence is built from them), the
root at every checkpoint seen for the origin equals its signed root, and the verified
size's checkpoint is signed by the pinned key and matches the entries. Entries are
streamed page by page, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import FedcommonsError, IntegrityError
from ..log.checkpoint import parse_checkpoint
from ..log.replica import ReplicaChecker
from ..node import Node
from ..sig.note import open_note, parse_verifier_key
from ..store import mirrors as mirror_store
from .mirrors import require

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


def verify_mirror(node: Node, origin_or_url: str,
                  progress: Callable[[int], None] | None = None) -> MirrorReport:
    """Check everything the module docstring lists; IntegrityError names the first failure."""
    row = require(node, origin_or_url)
    report = MirrorReport(row.origin, forks=len(mirror_store.forks(node.db, row.origin)))
    verifier = parse_verifier_key(row.verifier_key)
    checker = ReplicaChecker.start(row.url, row.actor, verifier.public_key)
    # Notes already kept as fork evidence contradict the entries by definition.
    contested = {note for fork in mirror_store.forks(node.db, row.origin) for note in fork.evidence["notes"]}
    seen = _seen_by_size(node, row.origin, row.size, contested)
    batch: list = []

    def flush() -> None:
        if not batch:
            return
        try:
            checked = checker.check_entries(batch, batch[0][0])
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
        batch.clear()

    for entry in mirror_store.iter_entries(node.db, row.origin, verified=False, batch=BATCH):
        batch.append((entry.idx, entry.leaf_hash, entry.body))
        if len(batch) == BATCH:
            flush()
    flush()

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


def _check_verified(node: Node, row, verifier) -> None:
    """The verified size's root, frontier and checkpoint agree with the entries."""
    from ..log.merkle import Frontier, root_at
    from .mirrors import lookup

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
