"""Fork evidence: two checkpoints one log signed that cannot both be true. Pure.

Evidence is a JSON object anyone can check with the published algorithms (C2SP signed
notes and checkpoints, RFC 9162 consistency proofs), holding the two notes verbatim and
the origin's verifier key. There are three kinds:

``same-size``
    Both notes state the same tree size with different roots. The signatures alone
    prove the fork.

``prefix``
    The notes state sizes ``m < n``. A consistency proof from ``m`` to ``n`` is given
    together with ``impliedRoot``: the root the size-``n`` tree has at size ``m``,
    recomputed from the entries of one of the two histories. The proof verifies
    against ``impliedRoot`` and the size-``n`` root, so the size-``n`` tree contains a
    size-``m`` tree with that root, and ``impliedRoot`` differs from the root the log
    signed for size ``m``: conclusive.

``unproven-consistency``
    The notes state sizes ``m < n`` and the consistency proof the origin itself served
    for them does not verify. This shows the origin did not prove its log append-only
    between the two; it is not conclusive by itself (anyone can ask the origin for the
    proof again).

Hashes are standard base64, as in checkpoints.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import BadInput, FedcommonsError, ProofError
from ..sig.note import open_note, parse_verifier_key
from .checkpoint import Checkpoint, parse_checkpoint
from .merkle import HASH_SIZE, Frontier, consistency_proof, root_at, verify_consistency

EVIDENCE_TYPE = "fedcommons-fork-evidence/v1"
KINDS = ("same-size", "prefix", "unproven-consistency")


@dataclass(frozen=True)
class Verdict:
    """What checking a piece of evidence showed."""

    proven: bool
    conclusive: bool
    reason: str


def same_size_evidence(origin: str, verifier_key: str, note_a: str, note_b: str) -> dict:
    """Evidence of two signed roots for one tree size."""
    a, b = _body(note_a), _body(note_b)
    return _evidence("same-size", origin, verifier_key, [note_a, note_b],
                     f"the log signed two different roots for tree size {a.size}",
                     sizes=[a.size, b.size])


def prefix_evidence(origin: str, verifier_key: str, small_note: str, large_note: str,
                    implied_root: bytes, proof: Sequence[bytes], derived_from: str) -> dict:
    """Evidence that the larger tree does not contain the smaller one the log signed.

    ``derived_from`` says whose entries gave ``implied_root`` and the proof (for people
    reading it; the check does not depend on it).
    """
    small, large = _body(small_note), _body(large_note)
    return _evidence(
        "prefix", origin, verifier_key, [small_note, large_note],
        f"the tree of size {large.size} the log signed has root {_b64(implied_root)} at size "
        f"{small.size}, where the log signed {_b64(small.root)}",
        sizes=[small.size, large.size], impliedRoot=_b64(implied_root),
        proof=[_b64(h) for h in proof], derivedFrom=derived_from,
    )


def unproven_evidence(origin: str, verifier_key: str, old_note: str, new_note: str,
                      served_proof: Sequence[bytes] | None, failure: str) -> dict:
    """Evidence that the origin's own consistency proof between two checkpoints fails."""
    old, new = _body(old_note), _body(new_note)
    return _evidence(
        "unproven-consistency", origin, verifier_key, [old_note, new_note],
        f"the origin's consistency proof from size {old.size} to {new.size} does not verify: {failure}",
        sizes=[old.size, new.size], proof=[_b64(h) for h in served_proof or []],
    )


def verify_evidence(evidence: Any) -> Verdict:
    """Check fork evidence from scratch; never raises for bad evidence, the verdict says why."""
    try:
        return _verify(evidence)
    except (FedcommonsError, KeyError, TypeError, ValueError) as exc:
        return Verdict(False, False, f"malformed evidence: {exc}")


def _verify(evidence: Any) -> Verdict:
    if not isinstance(evidence, dict) or evidence.get("type") != EVIDENCE_TYPE:
        return Verdict(False, False, f"not {EVIDENCE_TYPE} evidence")
    kind = evidence.get("kind")
    if kind not in KINDS:
        return Verdict(False, False, f"unknown kind {kind!r}")
    verifier = parse_verifier_key(evidence["verifierKey"])
    notes = evidence["notes"]
    if not isinstance(notes, list) or len(notes) != 2:
        return Verdict(False, False, "evidence needs exactly two notes")
    bodies: list[Checkpoint] = []
    for position, note in enumerate(notes):
        opened = open_note(note, [verifier])
        body = parse_checkpoint(opened.text)
        if body.origin != evidence["origin"]:
            return Verdict(False, False, f"note {position + 1} is for origin {body.origin}")
        bodies.append(body)
    first, second = bodies
    if kind == "same-size":
        if first.size != second.size:
            return Verdict(False, False, "the notes state different sizes")
        if first.root == second.root:
            return Verdict(False, False, "the notes state the same root")
        return Verdict(True, True, f"two signed roots for tree size {first.size}")
    if first.size >= second.size or first.size == 0:
        return Verdict(False, False, "the first note must state a smaller, non-empty tree")
    proof = [_unb64(h) for h in evidence["proof"]]
    if kind == "prefix":
        implied = _unb64(evidence["impliedRoot"])
        try:
            verify_consistency(first.size, second.size, implied, second.root, proof)
        except ProofError as exc:
            return Verdict(False, False, f"the consistency proof does not verify: {exc}")
        if implied == first.root:
            return Verdict(False, False, "the implied root is the signed one: no fork")
        return Verdict(True, True, f"the size-{second.size} tree has another root at size {first.size} "
                                   "than the one the log signed")
    try:
        verify_consistency(first.size, second.size, first.root, second.root, proof)
    except ProofError as exc:
        return Verdict(True, False, f"the origin's consistency proof fails: {exc}")
    return Verdict(False, False, "the consistency proof verifies: the checkpoints are consistent")


def _evidence(kind: str, origin: str, verifier_key: str, notes: list[str], explanation: str,
              **fields) -> dict:
    return {"type": EVIDENCE_TYPE, "kind": kind, "origin": origin, "verifierKey": verifier_key,
            "notes": notes, "hashEncoding": "base64", "explanation": explanation, **fields}


def _body(note: str) -> Checkpoint:
    """The checkpoint a note states (its signatures are checked by the caller)."""
    text, sep, _ = note.rpartition("\n\n")
    if not sep:
        raise BadInput("a checkpoint note needs a blank line before its signatures")
    return parse_checkpoint(text + "\n")


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _unb64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ValueError(f"{value!r} is not base64") from None


class HistoryReplay:
    """Rebuilds, from a stream of leaf hashes, what ``prefix`` evidence needs: the root of
    the first ``small`` leaves and a consistency proof from ``small`` to ``large``.

    Memory is O(log n): only the few subtree hashes the proof is made of are kept, picked
    out as the leaves complete them.
    """

    def __init__(self, small: int, large: int):
        if not 0 < small < large:
            raise BadInput(f"a replay needs 0 < small < large, got {small} and {large}")
        self.small, self.large = small, large
        self._wanted = _nodes_used(lambda lookup: consistency_proof(small, large, lookup))
        self._wanted |= _nodes_used(lambda lookup: root_at(small, lookup))
        self._kept: dict[tuple[int, int], bytes] = {}
        self._frontier = Frontier.empty()

    @property
    def size(self) -> int:
        """Leaves added so far."""
        return self._frontier.size

    def add(self, leaf: bytes) -> None:
        """The next leaf hash of the history."""
        if self._frontier.size >= self.large:
            raise BadInput(f"the replay holds {self.large} leaves already")
        for level, index, value in self._frontier.append(leaf):
            if (level, index) in self._wanted:
                self._kept[(level, index)] = value

    def finish(self) -> tuple[bytes, bytes, list[bytes]]:
        """(root at ``large``, root at ``small``, consistency proof from small to large)."""
        if self._frontier.size != self.large:
            raise BadInput(f"the replay has {self._frontier.size} of {self.large} leaves")
        lookup = lambda level, index: self._kept[(level, index)]
        return self._frontier.root(), root_at(self.small, lookup), consistency_proof(self.small, self.large, lookup)


def _nodes_used(compute) -> set[tuple[int, int]]:
    """The (level, index) nodes a proof computation reads, found by running it on placeholders."""
    used: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        used.add((level, index))
        return bytes(HASH_SIZE)

    compute(record)
    return used
