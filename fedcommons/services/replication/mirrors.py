"""Keeping mirrors of other nodes' logs: pinning, checkpoints, pages, forks.

The HTTP side lives in ``fedcommons.services.replication.sync``; everything here reads and writes
the database and calls the pure checks. The rules:

- The verifier key an origin publishes is pinned the first time it is mirrored; a
  checkpoint not signed by that key is refused.
- Every validly signed checkpoint is kept (``seen_checkpoints``) and compared with those
  seen before and with the mirrored entries: two that cannot both be true are a fork.
- A page is written only after all its entries pass, as *staged*; the mirror's verified
  size moves only when the root of the staged entries equals a signed checkpoint's, in
  the transaction that writes the page reaching it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...config import normalise_url
from ...errors import FedcommonsError, IntegrityError, NotFound, VerificationError
from ...log.checkpoint import Checkpoint, parse_checkpoint
from ...log.fork import prefix_evidence, same_size_evidence
from ...log.merkle import EMPTY_ROOT, Frontier, consistency_proof, root_at
from ...log.replica import CheckedPage, ReplicaChecker
from ...node import Node, now
from ...sig.keys import ed25519_public_from_multibase
from ...sig.note import open_note, parse_verifier_key
from ...store import mirrors as mirror_store
from ...store.db import transaction
from ...store.mirrors import MirrorRow
from . import mirror_redactions
from .forks import record_fork


class RootMismatch(IntegrityError):
    """Entries that passed every check do not reproduce the root a checkpoint signed."""


@dataclass(frozen=True)
class Observation:
    """A checkpoint whose signature verified, and the fork it revealed, if any."""

    checkpoint: Checkpoint
    note: str
    fork_id: int | None = None


def pin(node: Node, url: str, origin: str, actor: str, verifier_key: str) -> MirrorRow:
    """The mirror of ``origin``, created on first use with the verifier key pinned.

    A later call naming another key is refused: a node does not change the key its
    checkpoints are signed with, and a peer that seems to has to be looked at by a person.
    """
    parse_verifier_key(verifier_key)
    with transaction(node.db):
        row = mirror_store.mirror(node.db, origin)
        if row is None:
            other = mirror_store.mirror_by_url(node.db, url)
            if other is not None:
                raise VerificationError(
                    f"{url} now names its log {origin}, but it was mirrored as {other.origin}; refusing to mix them"
                )
            mirror_store.create_mirror(node.db, origin, url, actor, verifier_key, EMPTY_ROOT, now())
            return mirror_store.mirror(node.db, origin)
    if row.verifier_key != verifier_key:
        raise VerificationError(
            f"{origin} now publishes the verifier key {verifier_key}, but {row.verifier_key} was pinned "
            f"on {row.created_at}; its checkpoints are refused until an operator looks into it"
        )
    if row.url != url:
        raise VerificationError(f"the log {origin} is mirrored from {row.url}, not {url}")
    return row


def require(node: Node, origin_or_url: str) -> MirrorRow:
    """A mirror by origin or base URL, or NotFound-like error naming the known ones."""
    row = mirror_store.mirror(node.db, origin_or_url)
    if row is None and "://" in origin_or_url:
        try:
            row = mirror_store.mirror_by_url(node.db, normalise_url(origin_or_url))
        except FedcommonsError:
            row = None
    if row is None:
        known = ", ".join(mirror_store.origins(node.db)) or "none yet"
        raise NotFound(f"no mirror of {origin_or_url} (mirrored: {known}); run `fedcommons sync URL` first")
    return row


def lookup(node: Node, origin: str):
    """The Merkle node lookup over a mirror's stored entries and nodes."""
    db = node.db
    return lambda level, index: mirror_store.node(db, origin, level, index)


def observe(node: Node, origin: str, note: str, source: str) -> Observation:
    """Verify ``note`` with the pinned key, keep it, and check it against everything held.

    Raises VerificationError for a note the pinned key did not sign (nothing is kept).
    A contradiction is recorded as a fork; the observation carries its id.
    """
    row = require(node, origin)
    verifier = parse_verifier_key(row.verifier_key)
    try:
        opened = open_note(note, [verifier])
        checkpoint = parse_checkpoint(opened.text)
    except FedcommonsError as exc:
        raise VerificationError(
            f"a checkpoint for {origin} is not signed by its pinned key {row.verifier_key}: {exc}"
        ) from None
    if checkpoint.origin != origin:
        raise VerificationError(f"a checkpoint from {row.url} names the origin {checkpoint.origin}, not {origin}")
    with transaction(node.db):
        mirror_store.add_seen(node.db, origin, checkpoint.size, checkpoint.root, note, source, now())
        evidence = _contradiction(node, row, checkpoint, note)
    fork_id = record_fork(node, origin, evidence) if evidence else None
    return Observation(checkpoint, note, fork_id)


def _contradiction(node: Node, row: MirrorRow, checkpoint: Checkpoint, note: str) -> dict | None:
    """Evidence that ``checkpoint`` contradicts a seen checkpoint or the mirrored entries."""
    for seen in mirror_store.seen_at_size(node.db, row.origin, checkpoint.size):
        if seen.root != checkpoint.root:
            return same_size_evidence(row.origin, row.verifier_key, seen.note, note)
    if 0 < checkpoint.size < row.size:
        # The mirrored entries fix the root of every smaller size: a different signed
        # root is proven wrong by a consistency proof from our own copy.
        tree = lookup(node, row.origin)
        implied = root_at(checkpoint.size, tree)
        if implied != checkpoint.root:
            proof = consistency_proof(checkpoint.size, row.size, tree)
            return prefix_evidence(row.origin, row.verifier_key, note, row.checkpoint, implied, proof,
                                   f"the entries {node.config.origin} mirrored up to size {row.size}")
    return None


def recheck_seen(node: Node, origin: str, low: int, high: int) -> list[int]:
    """Check the checkpoints seen earlier (say, held by other nodes) whose sizes lie between
    ``low`` and ``high``, now that the mirror covers them; returns new fork ids."""
    row = mirror_store.mirror(node.db, origin)
    tree = lookup(node, origin)
    forks = []
    for seen in mirror_store.seen_between(node.db, origin, low, high):
        implied = root_at(seen.size, tree)
        if implied != seen.root:
            evidence = prefix_evidence(origin, row.verifier_key, seen.note, row.checkpoint, implied,
                                       consistency_proof(seen.size, row.size, tree),
                                       f"the entries {node.config.origin} mirrored up to size {row.size}")
            forks.append(record_fork(node, origin, evidence))
    return forks


def checker(node: Node, row: MirrorRow) -> ReplicaChecker:
    """A checker that continues after the mirror's staged entries (O(log n) to set up,
    plus the keys the log published)."""
    verifier = parse_verifier_key(row.verifier_key)
    published = []
    for key_id, multibase in mirror_store.keys_before(node.db, row.origin, row.staged_size):
        try:
            published.append((key_id, ed25519_public_from_multibase(multibase)))
        except FedcommonsError:
            continue
    frontier = Frontier.from_hashes(row.staged_size, row.staged_frontier)
    return ReplicaChecker.start(row.url, row.actor, verifier.public_key, frontier, published)


def store_page(node: Node, origin: str, page: CheckedPage, covering: Observation | None = None) -> bool:
    """Write a checked page as staged; with ``covering``, a checkpoint whose size the page
    reaches, also promote the mirror to it when the roots match. Returns whether it did.

    A page that reaches the checkpoint's size with another root is not written: the
    caller decides whether the entries or the origin are at fault.
    """
    frontier = page.frontier
    if covering is not None and frontier.size == covering.checkpoint.size \
            and frontier.root() != covering.checkpoint.root:
        raise RootMismatch(
            f"the entries of {origin} up to {frontier.size} give root {frontier.root().hex()}, "
            f"its signed checkpoint says {covering.checkpoint.root.hex()}"
        )
    with transaction(node.db):
        row = mirror_store.mirror(node.db, origin)
        if row.forked:
            raise IntegrityError(f"{origin} is marked as forked; its entries are no longer trusted")
        first = page.entries[0][0] if page.entries else frontier.size
        if first != row.staged_size:
            raise IntegrityError(
                f"the mirror of {origin} holds {row.staged_size} entries; a page from {first} "
                "would leave a gap or a duplicate (another sync ran at the same time?)"
            )
        mirror_store.write_staged(node.db, origin, page.entries, page.nodes, page.keys,
                                  frontier.size, frontier.hashes)
        mirror_redactions.stage_notices(node, row, page.entries)
        if covering is not None and frontier.size == covering.checkpoint.size:
            mirror_store.set_verified(node.db, origin, frontier.size, frontier.root(),
                                      frontier.hashes, covering.note, now())
            mirror_redactions.apply_verified(node, origin, frontier.size)
            return True
    return False


def promote_if_covered(node: Node, origin: str, covering: Observation) -> bool:
    """Promote staged entries that exactly reach a signed checkpoint (after a resume)."""
    with transaction(node.db):
        row = mirror_store.mirror(node.db, origin)
        if row.staged_size != covering.checkpoint.size or row.forked:
            return False
        frontier = Frontier.from_hashes(row.staged_size, row.staged_frontier)
        if frontier.root() != covering.checkpoint.root:
            return False
        mirror_store.set_verified(node.db, origin, frontier.size, frontier.root(), frontier.hashes,
                                  covering.note, now())
        mirror_redactions.apply_verified(node, origin, frontier.size)
    return True


def discard_staged(node: Node, origin: str) -> int:
    """Drop staged entries no signed checkpoint covered; returns how many."""
    with transaction(node.db):
        mirror_redactions.discard_staged(node, origin)
        return mirror_store.discard_staged(node.db, origin)


def record_result(node: Node, origin: str, error: str | None) -> None:
    """Note when a sync ran and what went wrong (None when it went well)."""
    with transaction(node.db):
        row = mirror_store.mirror(node.db, origin)
        if row is not None:
            # A forked origin keeps the fork as its error: nothing later clears it.
            mirror_store.record_sync(node.db, origin, now(), row.last_error if row.forked else error)
