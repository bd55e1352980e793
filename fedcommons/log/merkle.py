"""RFC 9162 Merkle tree: incremental roots, inclusion and consistency proofs.

Pure code, no I/O. The tree is stored as its *complete perfect subtrees*: node
``(level, index)`` covers leaves ``[index * 2**level, (index + 1) * 2**level)``; level 0
index ``i`` is leaf ``i``. Every such node is written once, when the leaf that completes
it is appended, and never changes afterwards. A node of the RFC 9162 tree of any size
``n`` is either one of these (when it is perfect) or the right edge of the tree, which
is a short chain of them; so the root of any past size and every proof come from
O(log n) lookups through a ``NodeLookup`` callable that the store provides.

Proof verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 step by step, after checks
that turn malformed input into a ``ProofError`` with a precise reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from fedcommons.errors import BadInput, ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Frontier",
    "NodeLookup",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_at",
    "root_from_inclusion",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Length in bytes of every hash in the tree (SHA-256)."""

NodeLookup = Callable[[int, int], bytes]
"""``(level, index) -> hash`` of a stored complete perfect subtree."""

_sha256 = hashlib.sha256

EMPTY_ROOT: bytes = _sha256(b"").digest()
"""Root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1)."""


def leaf_hash(data: bytes) -> bytes:
    """Hash one log entry: SHA-256(0x00 || data)."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash an interior node: SHA-256(0x01 || left || right)."""
    return _sha256(b"\x01" + left + right).digest()


# --------------------------------------------------------------------------- frontier


class Frontier:
    """The compact range ``[0, size)``: the roots of the perfect subtrees that make up
    a tree of ``size`` leaves, largest (leftmost) first, one per set bit of ``size``.

    It is all an appender needs: appending a leaf merges equal-sized subtrees like a
    binary counter and reports the nodes that became complete, for the store to keep.
    """

    __slots__ = ("_size", "_hashes")

    def __init__(self, size: int, hashes: list[bytes]) -> None:
        # Private: use empty(), from_hashes() or from_lookup(), which validate.
        self._size = size
        self._hashes = hashes

    @classmethod
    def empty(cls) -> Frontier:
        """The frontier of the empty tree."""
        return cls(0, [])

    @classmethod
    def from_hashes(cls, size: int, hashes: Sequence[bytes]) -> Frontier:
        """Rebuild a frontier persisted through ``.size`` and ``.hashes``."""
        _require_size(size, "size", BadInput)
        hashes = list(hashes)
        if len(hashes) != size.bit_count():
            raise BadInput(
                f"a frontier of size {size} has {size.bit_count()} hashes, got {len(hashes)}"
            )
        for position, value in enumerate(hashes):
            _require_hash(value, f"frontier hash {position}", BadInput)
        return cls(size, [bytes(h) for h in hashes])

    @classmethod
    def from_lookup(cls, size: int, lookup: NodeLookup) -> Frontier:
        """Rebuild the frontier of ``size`` leaves from stored nodes, in popcount(size) lookups."""
        _require_size(size, "size", BadInput)
        return cls(size, [lookup(level, index) for level, index in _perfect_nodes(0, size)])

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The subtree roots, largest first; with ``size`` they are the whole state."""
        return tuple(self._hashes)

    def copy(self) -> Frontier:
        """An independent frontier, to append a batch that may still be rolled back."""
        return Frontier(self._size, list(self._hashes))

    def root(self) -> bytes:
        """Root hash of the tree of ``size`` leaves."""
        return _fold(self._hashes)

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Append many LEAF HASHES, reporting no nodes: what a reader rehashing a whole
        log needs (the same state as :meth:`append` of each, at a fraction of the cost)."""
        hashes = self._hashes
        pop, push = hashes.pop, hashes.append
        sha256 = _sha256
        size = self._size
        try:
            for leaf in leaves:
                if type(leaf) is not bytes or len(leaf) != HASH_SIZE:
                    raise BadInput(
                        f"Frontier.extend takes {HASH_SIZE}-byte leaf hashes; hash each entry with leaf_hash() first"
                    )
                node = leaf
                index = size
                # As in append: each trailing 1-bit of the old size merges one subtree.
                while index & 1:
                    node = sha256(b"\x01" + pop() + node).digest()
                    index >>= 1
                push(node)
                size += 1
        finally:
            self._size = size

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Append one LEAF HASH (see ``leaf_hash``); return the nodes it completed.

        The list starts with ``(0, n, leaf)`` for the new leaf ``n`` and goes up one
        level per subtree it completes: O(log n) in the worst case, 2 on average.
        """
        if not isinstance(leaf, bytes) or len(leaf) != HASH_SIZE:
            raise BadInput(
                f"Frontier.append takes a {HASH_SIZE}-byte leaf hash; hash the entry with leaf_hash() first"
            )
        index = self._size
        created = [(0, index, leaf)]
        node = leaf
        level = 0
        # Each trailing 1-bit of the old size is a complete subtree of that level
        # waiting for a right sibling of the same size: exactly what we now have.
        while (index >> level) & 1:
            node = node_hash(self._hashes.pop(), node)
            level += 1
            created.append((level, index >> level, node))
        self._hashes.append(node)
        self._size = index + 1
        return created

    def __repr__(self) -> str:
        return f"Frontier(size={self._size}, root={self.root().hex()})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Frontier):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    __hash__ = None  # mutable


# ---------------------------------------------------------------------- proof building


def root_at(size: int, lookup: NodeLookup) -> bytes:
    """Root hash of the tree's first ``size`` leaves, from popcount(size) lookups."""
    _require_size(size, "size", BadInput)
    return _range_hash(0, size, lookup)


def inclusion_proof(index: int, size: int, lookup: NodeLookup) -> list[bytes]:
    """Audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1)."""
    _require_size(index, "index", BadInput)
    _require_size(size, "size", BadInput)
    if index >= size:
        raise BadInput(f"leaf index {index} is not in a tree of size {size}")
    return [_range_hash(begin, end, lookup) for begin, end in _inclusion_ranges(index, size)]


def consistency_proof(size1: int, size2: int, lookup: NodeLookup) -> list[bytes]:
    """Proof that the tree of ``size1`` leaves is a prefix of the one of ``size2`` (RFC 9162 §2.1.4.1).

    ``size1`` must be at least 1: see ``verify_consistency`` for why a proof from the
    empty tree is refused rather than returned empty.
    """
    _require_size(size1, "size1", BadInput)
    _require_size(size2, "size2", BadInput)
    if size1 > size2:
        raise BadInput(f"size1 {size1} is larger than size2 {size2}; a log only grows")
    if size1 == 0:
        raise BadInput("no consistency proof from the empty tree: it proves nothing; check the entries instead")
    if size1 == size2:
        return []
    # The proof is the inclusion proof, into the tree of size2, of the largest perfect
    # subtree that ends at size1, done on a tree coarsened so that subtree is a leaf.
    level = _trailing_zeros(size1)
    index = (size1 - 1) >> level
    coarse_size = ((size2 - 1) >> level) + 1
    ranges = [
        (begin << level, min(end << level, size2))
        for begin, end in _inclusion_ranges(index, coarse_size)
    ]
    if index != 0:
        # Unless size1 is a power of two (the verifier then starts from root1 itself),
        # the proof opens with that subtree.
        ranges.insert(0, (index << level, (index + 1) << level))
    return [_range_hash(begin, end, lookup) for begin, end in ranges]


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges of the audit path of ``index`` in a tree of ``size``, leaf upwards."""
    # Below level `inner` the path of `index` and the path of the last leaf differ, so
    # siblings are perfect (the topmost may be cut short by the tree's right edge).
    # From `inner` up both paths are the same: only left siblings exist there, a right
    # one would lie past the last leaf.
    inner = (index ^ (size - 1)).bit_length()
    ranges = []
    for level in range(inner):
        begin = ((index >> level) ^ 1) << level
        ranges.append((begin, min(begin + (1 << level), size)))
    node, level = index >> inner, inner
    while node:
        if node & 1:
            ranges.append(((node ^ 1) << level, node << level))
        node >>= 1
        level += 1
    return ranges


def _perfect_nodes(begin: int, end: int) -> list[tuple[int, int]]:
    """Stored nodes that tile ``[begin, end)``, largest first.

    Valid for the ranges a tree node can cover: ``begin`` is 0 or a multiple of a power
    of two larger than ``end - begin``.
    """
    nodes = []
    while begin < end:
        level = (end - begin).bit_length() - 1
        nodes.append((level, begin >> level))
        begin += 1 << level
    return nodes


def _range_hash(begin: int, end: int, lookup: NodeLookup) -> bytes:
    """Hash of the tree node covering leaves ``[begin, end)``, from stored nodes."""
    width = end - begin
    if width and not width & (width - 1):
        # Perfect: the common case in proofs, and a single stored node.
        level = width.bit_length() - 1
        return lookup(level, begin >> level)
    return _fold([lookup(level, index) for level, index in _perfect_nodes(begin, end)])


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Combine subtree roots, largest first, into the root over all of them."""
    if not hashes:
        return EMPTY_ROOT
    # The RFC tree splits at the largest power of two, so smaller subtrees nest to the right.
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def _trailing_zeros(value: int) -> int:
    return (value & -value).bit_length() - 1


# ---------------------------------------------------------------------- verification


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for leaf hash ``leaf`` at ``index`` in a tree of ``size``.

    Raises ``ProofError`` when the input cannot be a valid proof (index out of range,
    wrong number of hashes, hashes of the wrong length).
    """
    _require_size(index, "index", ProofError)
    _require_size(size, "size", ProofError)
    if index >= size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    _require_hash(leaf, "leaf hash", ProofError)
    proof = _require_proof(proof)
    inner = (index ^ (size - 1)).bit_length()
    expected = inner + (index >> inner).bit_count()
    if len(proof) != expected:
        raise ProofError(
            f"inclusion proof for leaf {index} in a tree of size {size} has {len(proof)} hashes, needs {expected}"
        )

    # RFC 9162 §2.1.3.2, steps 2 to 5. The length check above already guarantees the
    # sn conditions; they stay so the algorithm reads as the RFC does.
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the path to the root")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Check that leaf hash ``leaf`` is entry ``index`` of the tree of ``size`` with ``root``.

    Returns None when the proof holds; raises ``ProofError`` saying why otherwise.
    """
    _require_hash(root, "root", ProofError)
    computed = root_from_inclusion(index, size, leaf, proof)
    if computed != root:
        raise ProofError(
            f"inclusion proof for leaf {index} gives root {computed.hex()}, expected {root.hex()}"
        )


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``size1`` with ``root1`` is a prefix of the tree of ``size2`` with ``root2``.

    Returns None when the proof holds; raises ``ProofError`` saying why otherwise.
    """
    _require_size(size1, "size1", ProofError)
    _require_size(size2, "size2", ProofError)
    if size1 > size2:
        raise ProofError(f"size1 {size1} is larger than size2 {size2}; a log only grows")
    if size1 == 0:
        # RFC 9162 defines verification only for 0 < size1 < size2. The empty tree is a
        # prefix of every tree, so a "proof" from it checks nothing about root2; a caller
        # with no earlier checkpoint must verify the entries themselves. Rejecting it
        # (as transparency-dev/merkle does, and its test vectors expect) keeps that
        # mistake from passing silently, even for 0 -> 0.
        raise ProofError("consistency from the empty tree proves nothing; verify the entries instead")
    proof = _require_proof(proof)
    if not isinstance(root1, bytes) or not isinstance(root2, bytes):
        raise ProofError("roots must be bytes")
    if size1 == size2:
        # Same tree: nothing is hashed, the roots must simply be identical and the
        # proof empty (RFC 9162 §2.1.4.1 gives an empty proof for m = n). Root length
        # is not checked here: transparency-dev's vectors accept equal roots of any length.
        if proof:
            raise ProofError(f"consistency proof between equal sizes must be empty, has {len(proof)} hashes")
        if root1 != root2:
            raise ProofError(f"trees of the same size {size1} have different roots")
        return
    _require_hash(root1, "root1", ProofError)
    _require_hash(root2, "root2", ProofError)

    level = _trailing_zeros(size1)
    inner = ((size1 - 1) ^ (size2 - 1)).bit_length() - level
    border = ((size1 - 1) >> (level + inner)).bit_count()
    opening = 0 if size1 == 1 << level else 1
    expected = opening + inner + border
    if len(proof) != expected:
        raise ProofError(
            f"consistency proof from size {size1} to {size2} has {len(proof)} hashes, needs {expected}"
        )

    # RFC 9162 §2.1.4.2, steps 1 to 7.
    path = list(proof)
    if not path:
        raise ProofError("consistency proof is empty")
    if size1 == 1 << level:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than the path to the root")
    if fr != root1:
        raise ProofError(f"consistency proof gives root1 {fr.hex()}, expected {root1.hex()}")
    if sr != root2:
        raise ProofError(f"consistency proof gives root2 {sr.hex()}, expected {root2.hex()}")


# -------------------------------------------------------------------------- checking


def _require_size(value: object, name: str, error: type[Exception]) -> None:
    # bool is an int subclass; True as a tree size is always a caller bug.
    if not isinstance(value, int) or isinstance(value, bool):
        raise error(f"{name} must be an integer, got {type(value).__name__}")
    if value < 0:
        raise error(f"{name} must not be negative, got {value}")


def _require_hash(value: object, name: str, error: type[Exception]) -> None:
    if not isinstance(value, bytes):
        raise error(f"{name} must be bytes, got {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise error(f"{name} is {len(value)} bytes, a SHA-256 hash is {HASH_SIZE}")


def _require_proof(proof: Iterable[bytes] | None) -> list[bytes]:
    # None is accepted as the empty proof: JSON sources (and Go's nil slice) use it so.
    if proof is None:
        return []
    if isinstance(proof, (bytes, str)) or not isinstance(proof, Iterable):
        raise ProofError(f"proof must be a list of hashes, got {type(proof).__name__}")
    proof = list(proof)
    for position, value in enumerate(proof):
        _require_hash(value, f"proof hash {position}", ProofError)
    return proof
