"""Fork evidence: each kind proves what it says, tampering breaks it, and a replay of a
history rebuilds the same proofs as the stored tree."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from fedcommons.errors import BadInput
from fedcommons.log.checkpoint import Checkpoint, format_checkpoint
from fedcommons.log.fork import (
    HistoryReplay,
    prefix_evidence,
    same_size_evidence,
    unproven_evidence,
    verify_evidence,
)
from fedcommons.log.merkle import Frontier, consistency_proof, root_at
from fedcommons.sig.note import NoteSigner

ORIGIN = "log.example"
SIGNER = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
VKEY = SIGNER.verifier_key()


def leaves(n: int, salt: bytes = b"") -> list[bytes]:
    return [hashlib.sha256(salt + i.to_bytes(8, "big")).digest() for i in range(n)]


def tree(values: list[bytes]):
    nodes = {}
    frontier = Frontier.empty()
    for leaf in values:
        for level, index, value in frontier.append(leaf):
            nodes[(level, index)] = value
    return lambda level, index: nodes[(level, index)]


def note(size: int, root: bytes, signer: NoteSigner = SIGNER) -> str:
    return signer.sign(format_checkpoint(Checkpoint(ORIGIN, size, root)))


def test_same_size_evidence():
    good, bad = tree(leaves(9)), tree(leaves(9, b"x"))
    evidence = same_size_evidence(ORIGIN, VKEY, note(9, root_at(9, good)), note(9, root_at(9, bad)))
    verdict = verify_evidence(evidence)
    assert verdict.proven and verdict.conclusive
    twice = same_size_evidence(ORIGIN, VKEY, note(9, root_at(9, good)), note(9, root_at(9, good)))
    assert not verify_evidence(twice).proven


def prefix_case():
    """A log signed size 6 of one history and size 11 of a history that rewrote entry 2."""
    honest = leaves(11)
    rewritten = list(honest)
    rewritten[2] = hashlib.sha256(b"rewritten").digest()
    old, new = tree(honest), tree(rewritten)
    small, large = note(6, root_at(6, old)), note(11, root_at(11, new))
    return small, large, root_at(6, new), consistency_proof(6, 11, new)


def test_prefix_evidence_is_conclusive_and_breaks_when_tampered():
    small, large, implied, proof = prefix_case()
    evidence = prefix_evidence(ORIGIN, VKEY, small, large, implied, proof, "the replayed history")
    verdict = verify_evidence(evidence)
    assert verdict.proven and verdict.conclusive, verdict.reason
    tampered = dict(evidence, proof=[base64.b64encode(bytes(32)).decode()] + evidence["proof"][1:])
    assert not verify_evidence(tampered).proven
    other_key = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    forged = dict(evidence, notes=[note(6, b"\x01" * 32, other_key), large])
    assert "malformed" in verify_evidence(forged).reason
    honest_root = dict(evidence, impliedRoot=small.split("\n")[2])
    assert not verify_evidence(honest_root).proven


def test_unproven_consistency_is_evidence_but_not_conclusive():
    small, large, _, _ = prefix_case()
    evidence = unproven_evidence(ORIGIN, VKEY, small, large, [bytes(32)] * 4, "it did not verify")
    verdict = verify_evidence(evidence)
    assert verdict.proven and not verdict.conclusive
    honest = tree(leaves(11))
    consistent = unproven_evidence(ORIGIN, VKEY, note(6, root_at(6, honest)), note(11, root_at(11, honest)),
                                   consistency_proof(6, 11, honest), "")
    assert not verify_evidence(consistent).proven


@pytest.mark.parametrize("broken", [None, {}, {"type": "x"}, {"type": "fedcommons-fork-evidence/v1", "kind": "?"}])
def test_malformed_evidence_is_refused_without_raising(broken):
    assert not verify_evidence(broken).proven


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.integers(1, 300))
def test_replay_rebuilds_the_stored_trees_proof(a, b):
    small, large = min(a, b), max(a, b) + 1
    values = leaves(large)
    replay = HistoryReplay(small, large)
    for leaf in values:
        replay.add(leaf)
    lookup = tree(values)
    assert replay.finish() == (root_at(large, lookup), root_at(small, lookup), consistency_proof(small, large, lookup))


def test_replay_bounds():
    with pytest.raises(BadInput):
        HistoryReplay(0, 5)
    replay = HistoryReplay(2, 3)
    with pytest.raises(BadInput):
        replay.finish()
    for leaf in leaves(3):
        replay.add(leaf)
    with pytest.raises(BadInput):
        replay.add(leaves(1)[0])
