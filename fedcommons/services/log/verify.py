"""Re-verify a node's whole log from its stored bytes.

Memory stays flat: entries are streamed page by page and the tree is rebuilt with an
O(log n) frontier. Checks, in order for each entry: its bytes hash to its stored leaf hash;
its Data Integrity proof verifies with a key the log itself published earlier (remote
entries: with the sender's key when we hold it); the Merkle nodes it completes match the
stored ones (every inclusion and consistency proof is assembled from those nodes); and at
every checkpoint size, the recomputed root equals the signed root and the note's signature
verifies with the node key.
"""

from dataclasses import dataclass, field
from typing import Callable

from ...errors import FedcommonsError, IntegrityError
from ...ld.canonical import parse_plain
from ...log.checkpoint import parse_checkpoint
from ...log.merkle import Frontier, leaf_hash
from ...node import NODE_NAME, Node
from ...sig.keys import ed25519_public_from_multibase
from ...sig.note import open_note, parse_verifier_key, verifier_key
from ...sig.proof import verify_proof
from ...store import actors as actor_store
from ...store import log as log_store
from ...store.db import SEQUENTIAL_CACHE_KIB, page_cache
from .processes import default_workers
from .proof_checks import PAGE, ProofChecker, Task


@dataclass
class VerifyReport:
    """What `verify_log` checked."""

    entries: int = 0
    proofs: int = 0
    redacted: int = 0
    transport_only: int = 0
    checkpoints: int = 0
    nodes: int = 0
    root: bytes = b""
    notes: list[str] = field(default_factory=list)


def verify_log(node: Node, progress: Callable[[int], None] | None = None, *,
               workers: int | None = None) -> VerifyReport:
    """Check everything listed in the module docstring; IntegrityError names the first failure.

    Object proofs are checked in `workers` other processes (default: one per core, at most
    four, for a log of more than a few pages; 0 checks them here).
    """
    db = node.db
    report = VerifyReport()
    node_key = node.keys.ed25519("node", NODE_NAME).public_key()
    verifier = parse_verifier_key(verifier_key(node.config.origin, node_key))
    checkpoints = iter(log_store.checkpoints(db))
    next_checkpoint = next(checkpoints, None)
    frontier = Frontier.empty()
    if workers is None:
        workers = default_workers(log_store.log_size(db), PAGE)
    # The node's own key signs entry 0, which publishes it: start from the key in the home.
    proofs = ProofChecker(f"{node.actor_id}#ed25519-key", node_key, workers)
    pending_progress = 0
    with page_cache(db, SEQUENTIAL_CACHE_KIB):
        try:
            for row in log_store.iter_entries(db):
                where = f"entry {row.idx} ({row.activity_id})"
                try:
                    if row.body is None:
                        report.redacted += 1
                        leaf = row.leaf_hash
                    else:
                        leaf = leaf_hash(row.body)
                        if leaf != row.leaf_hash:
                            raise IntegrityError(f"{where}: its bytes do not hash to its stored leaf hash")
                        proofs.submit(Task(row.idx, row.activity_id, row.origin == "local", row.body))
                    for level, index, expected in frontier.append(leaf):
                        try:
                            stored = log_store.node(db, level, index)
                        except KeyError:
                            raise IntegrityError(f"{where}: Merkle node ({level}, {index}) is missing") from None
                        if stored != expected:
                            raise IntegrityError(f"{where}: stored Merkle node ({level}, {index}) does not match the entries")
                        report.nodes += 1
                    while next_checkpoint and next_checkpoint[0] == frontier.size:
                        _check_checkpoint(node, next_checkpoint, frontier.root(), verifier)
                        report.checkpoints += 1
                        next_checkpoint = next(checkpoints, None)
                except IntegrityError:
                    proofs.settle()  # an earlier entry's bad proof is the first failure
                    raise
                report.entries += 1
                pending_progress += 1
                if progress and pending_progress == 1000:
                    progress(pending_progress)
                    pending_progress = 0
            proofs.settle()
        finally:
            proofs.close()
    for task, method in proofs.unknown:
        _check_remote(node, task, method, report)
    report.proofs += proofs.proofs
    report.transport_only += proofs.transport_only
    if progress and pending_progress:
        progress(pending_progress)
    if next_checkpoint is not None:
        raise IntegrityError(
            f"checkpoint for size {next_checkpoint[0]} is beyond the log's {frontier.size} entries"
        )
    report.root = frontier.root()
    return report


def _check_remote(node: Node, task: Task, method: str, report: VerifyReport) -> None:
    """A remote entry signed with a key its log never published: check it with the sender's
    key when we hold it; otherwise it was verified by HTTP signature on receipt."""
    key = _stored_key(node, method)
    if key is None:
        report.transport_only += 1
        return
    activity, plain = parse_plain(task.body)
    result = verify_proof(activity, key, plain=plain, canonical=task.body)
    if not result.ok:
        raise IntegrityError(f"entry {task.idx} ({task.activity_id}): proof does not verify ({result.reason})")
    report.proofs += 1


def _stored_key(node: Node, key_id: str):
    actor = actor_store.actor_by_key(node.db, key_id)
    if actor is None or actor.local or not actor.ed25519_multibase or actor.ed25519_key_id != key_id:
        return None
    return ed25519_public_from_multibase(actor.ed25519_multibase)


def _check_checkpoint(node: Node, checkpoint, root: bytes, verifier) -> None:
    size, stored_root, note = checkpoint
    try:
        opened = open_note(note, [verifier])
        body = parse_checkpoint(opened.text)
    except FedcommonsError as exc:  # a malformed or badly signed note
        raise IntegrityError(f"checkpoint at size {size}: {exc}") from None
    if body.origin != node.config.origin or body.size != size:
        raise IntegrityError(f"checkpoint at size {size}: its note names {body.origin} size {body.size}")
    if body.root != root or stored_root != root:
        raise IntegrityError(f"checkpoint at size {size}: signed root differs from the entries' root")
