"""RFC 9162 Merkle tree: conformance probes, a naive reference model, and tampering."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from conftest import VECTORS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedcommons.errors import BadInput, ProofError
from fedcommons.log.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_at,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)

# ------------------------------------------------------------------ reference model
# Written straight from the RFC 9162 §2.1 definitions with hashlib, sharing no code
# with the module under test.


def ref_leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def ref_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def ref_split(n: int) -> int:
    """Largest power of two strictly smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(hashes: list[bytes]) -> bytes:
    """MTH over leaf hashes."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = ref_split(len(hashes))
    return ref_node(ref_mth(hashes[:k]), ref_mth(hashes[k:]))


def ref_path(m: int, hashes: list[bytes]) -> list[tuple[bytes, str]]:
    """PATH(m, D[n]) with the side each sibling sits on, leaf upwards."""
    n = len(hashes)
    if n == 1:
        return []
    k = ref_split(n)
    if m < k:
        return ref_path(m, hashes[:k]) + [(ref_mth(hashes[k:]), "right")]
    return ref_path(m - k, hashes[k:]) + [(ref_mth(hashes[:k]), "left")]


def ref_proof(m: int, hashes: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) for 0 < m <= n."""

    def subproof(m: int, d: list[bytes], complete: bool) -> list[bytes]:
        n = len(d)
        if m == n:
            return [] if complete else [ref_mth(d)]
        k = ref_split(n)
        if m <= k:
            return subproof(m, d[:k], complete) + [ref_mth(d[k:])]
        return subproof(m - k, d[k:], False) + [ref_mth(d[:k])]

    return subproof(m, hashes, True)


def flip(value: bytes, bit: int) -> bytes:
    data = bytearray(value)
    data[(bit // 8) % len(data)] ^= 1 << (bit % 8)
    return bytes(data)


def build(hashes: list[bytes]) -> tuple[Frontier, dict[tuple[int, int], bytes]]:
    """Append every leaf hash; return the frontier and the stored nodes."""
    frontier = Frontier.empty()
    store: dict[tuple[int, int], bytes] = {}
    for h in hashes:
        for level, index, value in frontier.append(h):
            assert (level, index) not in store, "a node was produced twice"
            store[level, index] = value
    return frontier, store


def lookup_in(store: dict[tuple[int, int], bytes]):
    return lambda level, index: store[level, index]


# ------------------------------------------------------------ conformance vectors


def _probe_files(kind: str) -> list[str]:
    root = VECTORS / "merkle" / kind
    if not root.is_dir():
        # Keep one case so the `vectors` fixture reports why everything was skipped.
        return [f"merkle/{kind}/(vectors absent)"]
    return sorted(str(p.relative_to(VECTORS)) for p in root.rglob("*.json"))


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


@pytest.mark.parametrize("relpath", _probe_files("inclusion"))
def test_inclusion_probe(vectors, relpath):
    probe = json.loads((vectors / relpath).read_text())
    proof = [_b64(p) for p in probe["proof"] or []]
    args = (probe["leafIdx"], probe["treeSize"], _b64(probe["leafHash"]), proof, _b64(probe["root"]))
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("relpath", _probe_files("consistency"))
def test_consistency_probe(vectors, relpath):
    probe = json.loads((vectors / relpath).read_text())
    proof = [_b64(p) for p in probe["proof"] or []]
    args = (probe["size1"], probe["size2"], _b64(probe["root1"]), _b64(probe["root2"]), proof)
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_probe_files_are_all_found(vectors):
    # 196 probes are published (README); a glob that silently matched fewer would
    # make the parametrized tests above pass vacuously.
    count = sum(1 for _ in (vectors / "merkle").rglob("*.json")) - 1  # minus rfc6962-basic
    assert count == len(_probe_files("inclusion")) + len(_probe_files("consistency")) == 196


def test_rfc6962_basic_roots(vectors):
    basic = json.loads((vectors / "merkle" / "rfc6962-basic.json").read_text())
    leaves = [bytes.fromhex(x) for x in basic["leaves"]]
    hashes = [leaf_hash(x) for x in leaves]
    assert [h.hex() for h in hashes] == basic["leaf_hashes"]
    expected = {r["tree_size"]: bytes.fromhex(r["root"]) for r in basic["roots"]}
    assert sorted(expected) == list(range(9))

    frontier = Frontier.empty()
    store: dict[tuple[int, int], bytes] = {}
    assert frontier.root() == expected[0]
    for size, h in enumerate(hashes, start=1):
        for level, index, value in frontier.append(h):
            store[level, index] = value
        assert frontier.size == size
        assert frontier.root() == expected[size]
    for size in range(9):
        assert root_at(size, lookup_in(store)) == expected[size]


def test_known_answers():
    # SHA-256("") from FIPS 180-4 examples; RFC 9162 §2.1.1 makes it the empty root.
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()


# -------------------------------------------------------------- property tests

distinct_leaves = st.lists(st.binary(max_size=12), unique=True, max_size=300)
FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(distinct_leaves, st.lists(st.integers(min_value=0, max_value=40), max_size=20))
def test_frontier_extend_is_append_of_each(leaves, cuts):
    hashes = [leaf_hash(x) for x in leaves]
    one_by_one, chunked = Frontier.empty(), Frontier.empty()
    for h in hashes:
        one_by_one.append(h)
    at = 0
    for cut in cuts:
        chunked.extend(hashes[at:at + cut])
        at += cut
    chunked.extend(hashes[at:])
    assert chunked == one_by_one and chunked.root() == one_by_one.root()
    with pytest.raises(BadInput):
        chunked.extend([b"short"])
    assert chunked == one_by_one  # a refused leaf changes nothing


@FAST
@given(distinct_leaves)
def test_frontier_and_root_at_match_naive_mth(leaves):
    hashes = [ref_leaf(x) for x in leaves]
    assert [leaf_hash(x) for x in leaves] == hashes
    frontier = Frontier.empty()
    store: dict[tuple[int, int], bytes] = {}
    for size, h in enumerate(hashes, start=1):
        for level, index, value in frontier.append(h):
            # Every stored node is exactly the MTH of the perfect range it names.
            assert value == ref_mth(hashes[index << level : (index + 1) << level])
            store[level, index] = value
        assert frontier.root() == ref_mth(hashes[:size])
    lookup = lookup_in(store)
    for size in range(len(hashes) + 1):
        assert root_at(size, lookup) == ref_mth(hashes[:size])
    rebuilt = Frontier.from_lookup(len(hashes), lookup)
    assert rebuilt == frontier
    assert Frontier.from_hashes(frontier.size, frontier.hashes) == frontier


@FAST
@given(distinct_leaves.filter(bool), st.data())
def test_inclusion_proofs_verify_and_resist_tampering(leaves, data):
    hashes = [ref_leaf(x) for x in leaves]
    _, store = build(hashes)
    lookup = lookup_in(store)
    size = data.draw(st.integers(1, len(hashes)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    root = ref_mth(hashes[:size])
    leaf = hashes[index]
    expected = ref_path(index, hashes[:size])

    proof = inclusion_proof(index, size, lookup)
    assert proof == [h for h, _ in expected]
    verify_inclusion(index, size, leaf, proof, root)
    assert root_from_inclusion(index, size, leaf, proof) == root

    bit = data.draw(st.integers(0, 255), label="bit")
    with pytest.raises(ProofError):
        verify_inclusion(index, size, flip(leaf, bit), proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf, proof, flip(root, bit))
    for position in range(len(proof)):
        tampered = list(proof)
        tampered[position] = flip(tampered[position], bit)
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaf, tampered, root)
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf, proof + [leaf], root)
    if proof:
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaf, proof[:-1], root)

    # Another index in the same tree is another path from the root: always refused.
    other = data.draw(st.integers(0, size - 1).filter(lambda j: j != index) if size > 1 else st.none())
    if other is not None:
        with pytest.raises(ProofError):
            verify_inclusion(other, size, leaf, proof, root)
    # A proof binds a tree size only through the shape of the path: a size whose path
    # to `index` turns the same way at every level computes the same root. Whether the
    # wrong size must be refused is read off the reference model, never assumed.
    wrong_size = data.draw(st.integers(index + 1, 2 * size + 2).filter(lambda s: s != size), label="wrong size")
    same_shape = [side for _, side in ref_path(index, [b""] * wrong_size)] == [side for _, side in expected]
    if same_shape:
        verify_inclusion(index, wrong_size, leaf, proof, root)
    else:
        with pytest.raises(ProofError):
            verify_inclusion(index, wrong_size, leaf, proof, root)


@FAST
@given(distinct_leaves.filter(bool), st.data())
def test_consistency_proofs_verify_and_resist_tampering(leaves, data):
    hashes = [ref_leaf(x) for x in leaves]
    _, store = build(hashes)
    lookup = lookup_in(store)
    size2 = data.draw(st.integers(1, len(hashes)), label="size2")
    size1 = data.draw(st.integers(1, size2), label="size1")
    root1, root2 = ref_mth(hashes[:size1]), ref_mth(hashes[:size2])

    proof = consistency_proof(size1, size2, lookup)
    assert proof == ref_proof(size1, hashes[:size2])
    verify_consistency(size1, size2, root1, root2, proof)

    bit = data.draw(st.integers(0, 255), label="bit")
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, flip(root1, bit), root2, proof)
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, root1, flip(root2, bit), proof)
    for position in range(len(proof)):
        tampered = list(proof)
        tampered[position] = flip(tampered[position], bit)
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, root1, root2, tampered)
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, root1, root2, proof + [root1])
    if proof:
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, root1, root2, proof[:-1])
    if root1 != root2:
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, root2, root1, proof)
    # A different prefix of the same log, with its true root, does not pass either.
    if size1 > 1:
        other = data.draw(st.integers(1, size1 - 1), label="other size1")
        with pytest.raises(ProofError):
            verify_consistency(other, size2, ref_mth(hashes[:other]), root2, proof)


def test_proofs_bind_their_sizes():
    # Exhaustive on a small log: with the true roots, a proof made for one pair of
    # sizes verifies for no other pair (where the proofs themselves differ).
    hashes = [ref_leaf(bytes([i])) for i in range(17)]
    _, store = build(hashes)
    lookup = lookup_in(store)
    roots = [ref_mth(hashes[:n]) for n in range(18)]
    pairs = [(a, b) for b in range(1, 18) for a in range(1, b + 1)]
    proofs = {pair: consistency_proof(*pair, lookup) for pair in pairs}
    for pair, proof in proofs.items():
        for other in pairs:
            a, b = other
            if other == pair:
                verify_consistency(a, b, roots[a], roots[b], proof)
            elif proofs[other] != proof:
                with pytest.raises(ProofError):
                    verify_consistency(a, b, roots[a], roots[b], proof)
    for size in range(1, 18):
        for index in range(size):
            proof = inclusion_proof(index, size, lookup)
            for other_size in range(index + 1, 18):
                if other_size != size and inclusion_proof(index, other_size, lookup) != proof:
                    with pytest.raises(ProofError):
                        verify_inclusion(index, other_size, hashes[index], proof, roots[other_size])


# ------------------------------------------------------------------- bad input

GOOD = hashlib.sha256(b"x").digest()


@pytest.mark.parametrize(
    "args, reason",
    [
        ((0, 0, GOOD, [], GOOD), "not in a tree"),
        ((3, 3, GOOD, [GOOD, GOOD], GOOD), "not in a tree"),
        ((-1, 3, GOOD, [GOOD, GOOD], GOOD), "negative"),
        ((True, 3, GOOD, [GOOD, GOOD], GOOD), "integer"),
        ((0, 2.0, GOOD, [GOOD], GOOD), "integer"),
        ((0, 2, GOOD[:31], [GOOD], GOOD), "31 bytes"),
        ((0, 2, "x" * 32, [GOOD], GOOD), "must be bytes"),
        ((0, 2, GOOD, [GOOD + b"\x00"], GOOD), "33 bytes"),
        ((0, 2, GOOD, ["x" * 32], GOOD), "must be bytes"),
        ((0, 2, GOOD, GOOD, GOOD), "list of hashes"),
        ((0, 2, GOOD, 7, GOOD), "list of hashes"),
        ((0, 2, GOOD, [GOOD], None), "must be bytes"),
        ((0, 2, GOOD, [], GOOD), "has 0 hashes, needs 1"),
        ((0, 2, GOOD, [GOOD, GOOD], GOOD), "has 2 hashes, needs 1"),
    ],
)
def test_verify_inclusion_rejects_malformed_input_with_reason(args, reason):
    with pytest.raises(ProofError, match=reason):
        verify_inclusion(*args)


@pytest.mark.parametrize(
    "args, reason",
    [
        ((3, 2, GOOD, GOOD, []), "larger than size2"),
        ((0, 0, EMPTY_ROOT, EMPTY_ROOT, []), "empty tree"),
        ((0, 5, EMPTY_ROOT, GOOD, []), "empty tree"),
        ((-1, 5, GOOD, GOOD, []), "negative"),
        ((1, "5", GOOD, GOOD, []), "integer"),
        ((2, 2, GOOD, GOOD, [GOOD]), "must be empty"),
        ((2, 2, GOOD, EMPTY_ROOT, []), "different roots"),
        ((2, 2, GOOD, "x", []), "must be bytes"),
        ((1, 2, GOOD[:5], GOOD, [GOOD]), "root1 is 5 bytes"),
        ((1, 2, GOOD, GOOD, [b""]), "0 bytes"),
        ((1, 2, GOOD, GOOD, []), "has 0 hashes, needs 1"),
        ((3, 7, GOOD, GOOD, [GOOD]), "has 1 hashes, needs 4"),
        ((3, 7, GOOD, GOOD, "abc"), "list of hashes"),
    ],
)
def test_verify_consistency_rejects_malformed_input_with_reason(args, reason):
    with pytest.raises(ProofError, match=reason):
        verify_consistency(*args)


def test_proof_generation_rejects_impossible_requests():
    _, store = build([ref_leaf(bytes([i])) for i in range(5)])
    lookup = lookup_in(store)
    with pytest.raises(BadInput):
        inclusion_proof(5, 5, lookup)
    with pytest.raises(BadInput):
        inclusion_proof(-1, 5, lookup)
    with pytest.raises(BadInput):
        consistency_proof(4, 3, lookup)
    with pytest.raises(BadInput):
        consistency_proof(0, 3, lookup)
    with pytest.raises(BadInput):
        root_at(-1, lookup)
    assert consistency_proof(3, 3, lookup) == []


# ------------------------------------------------------------------- frontier


def test_frontier_append_takes_a_leaf_hash():
    frontier = Frontier.empty()
    with pytest.raises(BadInput, match="leaf_hash"):
        frontier.append(b"raw entry bytes")
    with pytest.raises(BadInput):
        frontier.append("x" * 32)
    assert frontier.size == 0 and frontier.root() == EMPTY_ROOT


def test_frontier_copy_is_independent():
    hashes = [ref_leaf(bytes([i])) for i in range(6)]
    frontier, _ = build(hashes[:5])
    batch = frontier.copy()
    batch.append(hashes[5])
    assert frontier.size == 5 and frontier.root() == ref_mth(hashes[:5])
    assert batch.size == 6 and batch.root() == ref_mth(hashes)


def test_frontier_from_hashes_validates():
    frontier, _ = build([ref_leaf(bytes([i])) for i in range(6)])
    assert len(frontier.hashes) == 2  # 6 = 0b110
    with pytest.raises(BadInput, match="has 3 hashes, got 2"):
        Frontier.from_hashes(7, frontier.hashes)
    with pytest.raises(BadInput, match="31 bytes"):
        Frontier.from_hashes(6, [frontier.hashes[0], frontier.hashes[1][:31]])
    with pytest.raises(BadInput):
        Frontier.from_hashes(-1, [])
    restored = Frontier.from_hashes(6, frontier.hashes)
    assert restored.root() == frontier.root()


# ------------------------------------------------------------------ complexity


class CountingLookup:
    """A stand-in store of 2**40 leaves: node hashes derived from their position."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, level: int, index: int) -> bytes:
        self.calls += 1
        return hashlib.sha256(level.to_bytes(1, "big") + index.to_bytes(8, "big")).digest()


def test_append_creates_amortised_two_nodes_and_at_most_log_n():
    frontier = Frontier.empty()
    total = 0
    n = 1 << 14
    for i in range(n):
        created = frontier.append(hashlib.sha256(i.to_bytes(4, "big")).digest())
        # One leaf plus one node per trailing 1-bit of i: never more than log2(i) + 2.
        assert len(created) == 1 + (i ^ (i + 1)).bit_length() - 1
        assert len(created) <= i.bit_length() + 1
        # The frontier itself stays one hash per set bit of the size.
        assert len(frontier.hashes) == (i + 1).bit_count()
        total += len(created)
    assert total == 2 * n - 1


@pytest.mark.parametrize("size", [1, 2, 3, 1000, 2**20 - 1, 2**20, 2**40 - 12345])
def test_roots_and_proofs_use_logarithmic_lookups(size):
    bound = 2 * size.bit_length() + 2
    lookup = CountingLookup()
    root_at(size, lookup)
    assert lookup.calls == size.bit_count()

    lookup = CountingLookup()
    Frontier.from_lookup(size, lookup)
    assert lookup.calls == size.bit_count()

    for index in {0, size // 3, size // 2, size - 1}:
        lookup = CountingLookup()
        proof = inclusion_proof(index, size, lookup)
        assert len(proof) <= size.bit_length()
        assert lookup.calls <= bound

    for size1 in {1, size // 3, size // 2, size - 1}:
        if size1 == 0:
            continue
        lookup = CountingLookup()
        proof = consistency_proof(size1, size, lookup)
        assert len(proof) <= size.bit_length() + 1
        assert lookup.calls <= bound
