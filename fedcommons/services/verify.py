"""Re-verify a node's whole log from its stored bytes.

Memory stays flat: entries are streamed page by page and the tree is rebuilt with an
O(log n) frontier. Checks, in order for each entry: its bytes hash to its stored leaf hash;
its Data Integrity proof verifies with a key the log itself published earlier (remote
entries: with the sender's key when we hold it); the Merkle nodes it completes match the
stored ones (every inclusion and consistency proof is assembled from those nodes); and at
every checkpoint size, the recomputed root equals the signed root and the note's signature
verifies with the node key.
"""

import json
from dataclasses import dataclass, field
from typing import Callable

from ..errors import FedcommonsError, IntegrityError
from ..log.checkpoint import parse_checkpoint
from ..log.merkle import Frontier, leaf_hash
from ..log.published_keys import learn_keys
from ..node import NODE_NAME, Node
from ..sig.keys import ed25519_public_from_multibase
from ..sig.note import open_note, parse_verifier_key, verifier_key
from ..ld.canonical import parse_plain
from ..sig.proof import proof_verification_method, verify_proof
from ..store import actors as actor_store
from ..store import log as log_store


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


def verify_log(node: Node, progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Check everything listed in the module docstring; IntegrityError names the first failure."""
    db = node.db
    report = VerifyReport()
    node_key = node.keys.ed25519("node", NODE_NAME).public_key()
    verifier = parse_verifier_key(verifier_key(node.config.origin, node_key))
    checkpoints = iter(log_store.checkpoints(db))
    next_checkpoint = next(checkpoints, None)
    frontier = Frontier.empty()
    # The node's own key signs entry 0, which publishes it: start from the key in the home.
    keys: dict[str, object] = {f"{node.actor_id}#ed25519-key": node_key}
    pending_progress = 0

    for row in log_store.iter_entries(db):
        where = f"entry {row.idx} ({row.activity_id})"
        if row.body is None:
            report.redacted += 1
            leaf = row.leaf_hash
        else:
            leaf = leaf_hash(row.body)
            if leaf != row.leaf_hash:
                raise IntegrityError(f"{where}: its bytes do not hash to its stored leaf hash")
            _check_entry(node, row, where, keys, report)
        for level, index, expected in frontier.append(leaf):
            try:
                stored = log_store.node(db, level, index)
            except KeyError:
                raise IntegrityError(f"{where}: Merkle node ({level}, {index}) is missing") from None
            if stored != expected:
                raise IntegrityError(f"{where}: stored Merkle node ({level}, {index}) does not match the entries")
            report.nodes += 1
        report.entries += 1
        while next_checkpoint and next_checkpoint[0] == frontier.size:
            _check_checkpoint(node, next_checkpoint, frontier.root(), verifier)
            report.checkpoints += 1
            next_checkpoint = next(checkpoints, None)
        pending_progress += 1
        if progress and pending_progress == 1000:
            progress(pending_progress)
            pending_progress = 0
    if progress and pending_progress:
        progress(pending_progress)
    if next_checkpoint is not None:
        raise IntegrityError(
            f"checkpoint for size {next_checkpoint[0]} is beyond the log's {frontier.size} entries"
        )
    report.root = frontier.root()
    return report


def _check_entry(node: Node, row, where: str, keys: dict, report: VerifyReport) -> None:
    try:
        activity, plain = parse_plain(row.body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise IntegrityError(f"{where}: its bytes are not JSON") from None
    if not isinstance(activity, dict) or activity.get("id") != row.activity_id:
        raise IntegrityError(f"{where}: its bytes are not the activity its index says")
    method = proof_verification_method(activity)
    if method is None:
        if row.origin == "local":
            raise IntegrityError(f"{where}: a local entry without a Data Integrity proof")
        report.transport_only += 1
    else:
        key = keys.get(method) or _stored_key(node, method)
        if key is None:
            if row.origin == "local":
                raise IntegrityError(f"{where}: signed with {method}, a key the log never published")
            report.transport_only += 1
        else:
            result = verify_proof(activity, key, plain=plain)
            if not result.ok:
                raise IntegrityError(f"{where}: proof does not verify ({result.reason})")
            report.proofs += 1
    learn_keys(activity, keys)


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
