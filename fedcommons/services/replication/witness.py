"""Witnessing (c2sp.org/tlog-witness, c2sp.org/tlog-cosignature), database side.

As a witness, a node cosigns checkpoints of the logs it mirrors (their verifier keys are
pinned), after checking that each new one is consistent with the last it cosigned and
with the entries it mirrors. As a log, a node keeps the cosignatures others make on its
checkpoints and serves them with ``/log/checkpoint``.

The witness key is an Ed25519 key of its own (``keys/node/witness.ed25519.pem``, made on
first use), never the key that signs the node's checkpoints. Its name is the node's log
origin followed by ``/witness``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ...errors import (
    BadInput,
    Conflict,
    FedcommonsError,
    NotFound,
    ProofError,
    VerificationError,
)
from ...keystore import save_private_key
from ...log.checkpoint import parse_checkpoint
from ...log.merkle import consistency_proof, verify_consistency
from ...log.witness import SIZE_CONTENT_TYPE, parse_add_checkpoint
from ...node import Node, now
from ...sig import keys
from ...sig.cosignature import Cosigner, parse_cosigner_key, verify_cosignature
from ...sig.note import open_note, parse_verifier_key
from ...store import log as log_store
from ...store import mirrors as mirror_store
from ...store import witness as witness_store
from ...store.db import transaction
from ..log.log_writer import lookup
from . import mirrors

WITNESS_KEY = "witness"


@dataclass(frozen=True)
class Answer:
    """The HTTP answer to an add-checkpoint request, as the spec fixes it."""

    status: int
    text: str
    content_type: str = "text/plain"


def cosigner(node: Node) -> Cosigner:
    """This node's witness identity, its key made on first use."""
    path = node.keys.path("node", WITNESS_KEY, "ed25519")
    if not path.exists():
        try:
            save_private_key(path, keys.generate_ed25519())
        except Conflict:
            pass  # another process made it first: use theirs
    return Cosigner(f"{node.config.origin}/{WITNESS_KEY}", node.keys.ed25519("node", WITNESS_KEY))


def add_checkpoint(node: Node, body: bytes, *, clock=time.time) -> Answer:
    """Handle ``POST /witness/add-checkpoint`` and answer as c2sp.org/tlog-witness says."""
    try:
        request = parse_add_checkpoint(body)
        text, sep, _ = request.note.rpartition("\n\n")
        claimed = parse_checkpoint(text + "\n") if sep else None
    except BadInput as exc:
        return Answer(400, f"{exc}\n")
    if claimed is None:
        return Answer(400, "the checkpoint is not a signed note\n")
    row = mirror_store.mirror(node.db, claimed.origin)
    if row is None:
        return Answer(404, f"this witness does not follow the log {claimed.origin}; it cosigns the logs it mirrors\n")
    try:
        opened = open_note(request.note, [parse_verifier_key(row.verifier_key)])
        checkpoint = parse_checkpoint(opened.text)
    except FedcommonsError as exc:
        return Answer(403, f"no signature by the pinned key of {claimed.origin} verifies: {exc}\n")
    if request.old_size > checkpoint.size:
        return Answer(400, f"old size {request.old_size} is larger than the checkpoint's {checkpoint.size}\n")
    if request.old_size == 0 and request.proof:
        return Answer(400, "the consistency proof must be empty when the old size is 0\n")
    observed = mirrors.observe(node, checkpoint.origin, request.note, "submitted to the witness")
    with transaction(node.db):
        state = witness_store.witnessed(node.db, checkpoint.origin)
        current = state.size if state else 0
        size_answer = Answer(409, f"{current}\n", SIZE_CONTENT_TYPE)
        if observed.fork_id is not None or mirror_store.mirror(node.db, checkpoint.origin).forked:
            return size_answer
        if request.old_size != current:
            return size_answer
        if state is not None and request.old_size == checkpoint.size:
            if state.root != checkpoint.root:
                return size_answer
        elif state is not None:
            try:
                verify_consistency(current, checkpoint.size, state.root, checkpoint.root, request.proof)
            except ProofError as exc:
                return Answer(422, f"the consistency proof does not verify: {exc}\n")
        witness_store.set_witnessed(node.db, checkpoint.origin, checkpoint.size, checkpoint.root,
                                    request.note, now())
        line = cosigner(node).cosign(opened.text, int(clock()))
    return Answer(200, line)


# ------------------------------------------------------------- as a log asking witnesses


def request_body(node: Node, url: str) -> tuple[int, int, str, list[bytes]]:
    """(the size the witness at ``url`` last cosigned, our size, our note, the consistency
    proof between the two)."""
    latest = log_store.latest_checkpoint(node.db)
    if latest is None:
        raise NotFound("the log has no checkpoint yet")
    size, _, note = latest
    peer = witness_store.witness_peer(node.db, url)
    old = peer.cosigned_size if peer else 0
    if old > size:
        raise VerificationError(
            f"the witness at {url} says it cosigned size {old} of our log, which has {size} entries"
        )
    proof = consistency_proof(old, size, lookup(node)) if 0 < old < size else []
    return old, size, note, proof


def pin_witness(node: Node, url: str, verifier_key: str) -> None:
    """Pin a witness's cosigner key on first use; refuse another key later."""
    verifier = parse_cosigner_key(verifier_key)
    with transaction(node.db):
        peer = witness_store.witness_peer(node.db, url)
        if peer is None:
            witness_store.pin_witness(node.db, url, verifier.name, verifier_key, now())
        elif peer.verifier_key != verifier_key:
            raise VerificationError(
                f"the witness at {url} now names the key {verifier_key}, {peer.verifier_key} was pinned"
            )


def set_cosigned_size(node: Node, url: str, size: int, error: str | None = None) -> None:
    """Remember the size a witness holds for us (from a 409 answer, or after cosigning)."""
    with transaction(node.db):
        witness_store.set_cosigned_size(node.db, url, size, error, now())


def store_cosignatures(node: Node, url: str, size: int, note: str, lines: str) -> int:
    """Verify the cosignature lines a witness answered on our note of ``size`` and keep them.

    Lines by other keys are ignored (the spec allows a witness several); at least one
    must be by the pinned key and verify. Returns how many were kept.
    """
    peer = witness_store.witness_peer(node.db, url)
    verifier = parse_cosigner_key(peer.verifier_key)
    text = note[: note.rindex("\n\n") + 1]
    kept = []
    for line in lines.splitlines():
        if not line.strip():
            continue
        if not line.startswith(f"\u2014 {verifier.name} "):
            continue
        cosig = verify_cosignature(line, text, verifier)
        kept.append(cosig)
    if not kept:
        raise VerificationError(f"the witness at {url} answered no cosignature by its key {peer.verifier_key}")
    with transaction(node.db):
        for cosig in kept:
            witness_store.add_cosignature(node.db, size, cosig.name, cosig.key_id, cosig.timestamp,
                                          cosig.line, now())
        witness_store.set_cosigned_size(node.db, url, size, None, now())
    return len(kept)

