"""SQL for mirrors of other nodes' logs: their state, entries, Merkle nodes, published
keys, the checkpoints seen for each origin, and fork evidence.

A mirror's *verified* size is always one a checkpoint signed by the pinned key matched;
entries past it (up to ``staged_size``) passed every per-entry check and wait for a
checkpoint to cover them. Readers (:func:`iter_entries`) only ever see verified entries.
"""

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .database import Database

from ..log.merkle import HASH_SIZE


@dataclass(frozen=True)
class MirrorRow:
    """What this node holds of another node's log."""

    origin: str
    url: str
    actor: str
    verifier_key: str
    size: int
    root: bytes
    frontier: tuple[bytes, ...]
    checkpoint: str | None
    staged_size: int
    staged_frontier: tuple[bytes, ...]
    forked: bool
    last_sync: str | None
    last_error: str | None
    created_at: str


@dataclass(frozen=True)
class MirrorEntry:
    """One mirrored entry: its index, leaf hash and JCS bytes (None when redacted)."""

    idx: int
    leaf_hash: bytes
    body: bytes | None


@dataclass(frozen=True)
class SeenCheckpoint:
    """A validly signed checkpoint of an origin, kept verbatim."""

    origin: str
    size: int
    root: bytes
    note: str
    source: str
    seen_at: str


@dataclass(frozen=True)
class ForkRow:
    """Evidence that an origin signed two checkpoints that cannot both be true."""

    id: int
    origin: str
    kind: str
    evidence: dict
    flag: str | None
    detected_at: str


_COLUMNS = (
    "origin, url, actor, verifier_key, size, root, frontier, checkpoint, staged_size, "
    "staged_frontier, forked, last_sync, last_error, created_at"
)


def pack_hashes(hashes: Sequence[bytes]) -> bytes:
    """Frontier hashes as one blob."""
    return b"".join(hashes)


def unpack_hashes(blob: bytes) -> tuple[bytes, ...]:
    """The hashes of a blob written by :func:`pack_hashes`."""
    return tuple(blob[i:i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE))


def _row(row) -> MirrorRow | None:
    if row is None:
        return None
    values = list(row)
    values[6] = unpack_hashes(values[6])
    values[9] = unpack_hashes(values[9])
    values[10] = bool(values[10])
    return MirrorRow(*values)


def mirror(db: Database, origin: str) -> MirrorRow | None:
    """The mirror of a log origin."""
    return _row(db.conn.execute(f"SELECT {_COLUMNS} FROM mirrors WHERE origin = ?", (origin,)).fetchone())


def mirror_by_url(db: Database, url: str) -> MirrorRow | None:
    """The mirror of the node at a base URL."""
    return _row(db.conn.execute(f"SELECT {_COLUMNS} FROM mirrors WHERE url = ?", (url,)).fetchone())


def mirrors(db: Database) -> list[MirrorRow]:
    """Every mirror, by origin."""
    return [_row(r) for r in db.conn.execute(f"SELECT {_COLUMNS} FROM mirrors ORDER BY origin")]


def origins(db: Database) -> list[str]:
    """The origins this node mirrors."""
    return [r[0] for r in db.conn.execute("SELECT origin FROM mirrors ORDER BY origin")]


def forked_origins(db: Database) -> list[str]:
    """Origins marked as forked."""
    return [r[0] for r in db.conn.execute("SELECT origin FROM mirrors WHERE forked = 1 ORDER BY origin")]


def create_mirror(db: Database, origin: str, url: str, actor: str, verifier_key: str,
                  empty_root: bytes, created_at: str) -> None:
    """Start a mirror of an empty tree, pinning the origin's verifier key."""
    db.conn.execute(
        "INSERT INTO mirrors (origin, url, actor, verifier_key, root, frontier, staged_frontier, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (origin, url, actor, verifier_key, empty_root, b"", b"", created_at),
    )


def write_staged(db: Database, origin: str, entries: Sequence[tuple[int, bytes, bytes | None]],
                 nodes: Sequence[tuple[int, int, bytes]], keys: Sequence[tuple[int, str, str]],
                 staged_size: int, staged_frontier: Sequence[bytes]) -> None:
    """Append checked entries with the Merkle nodes they completed and the keys they
    published, and move the staged frontier (the caller holds the transaction)."""
    conn = db.conn
    conn.executemany(
        "INSERT INTO mirror_entries (origin, idx, leaf_hash, body) VALUES (?, ?, ?, ?)",
        [(origin, idx, leaf, body) for idx, leaf, body in entries],
    )
    conn.executemany(
        "INSERT INTO mirror_nodes (origin, level, idx, hash) VALUES (?, ?, ?, ?)",
        [(origin, level, idx, value) for level, idx, value in nodes if level > 0],
    )
    if keys:
        conn.executemany(
            "INSERT INTO mirror_keys (origin, idx, key_id, multibase) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (origin, idx, key_id) DO UPDATE SET multibase = excluded.multibase",
            [(origin, idx, key_id, multibase) for idx, key_id, multibase in keys],
        )
    conn.execute(
        "UPDATE mirrors SET staged_size = ?, staged_frontier = ? WHERE origin = ?",
        (staged_size, pack_hashes(staged_frontier), origin),
    )


def set_verified(db: Database, origin: str, size: int, root: bytes, frontier: Sequence[bytes],
                 checkpoint: str, synced_at: str) -> None:
    """Record that a signed checkpoint covers the mirror up to ``size``."""
    db.conn.execute(
        "UPDATE mirrors SET size = ?, root = ?, frontier = ?, checkpoint = ?, last_sync = ?, "
        "last_error = NULL WHERE origin = ?",
        (size, root, pack_hashes(frontier), checkpoint, synced_at, origin),
    )


def discard_staged(db: Database, origin: str) -> int:
    """Drop the entries, nodes and keys past the verified size; returns how many entries."""
    conn = db.conn
    size = conn.execute("SELECT size FROM mirrors WHERE origin = ?", (origin,)).fetchone()[0]
    dropped = conn.execute(
        "DELETE FROM mirror_entries WHERE origin = ? AND idx >= ?", (origin, size)
    ).rowcount
    # A node (level, idx) covers leaves [idx << level, (idx + 1) << level). PostgreSQL shifts
    # a BIGINT by an INTEGER only, hence the CAST.
    conn.execute(
        "DELETE FROM mirror_nodes WHERE origin = ? AND ((idx + 1) << CAST(level AS INTEGER)) > ?", (origin, size)
    )
    conn.execute("DELETE FROM mirror_keys WHERE origin = ? AND idx >= ?", (origin, size))
    conn.execute(
        "UPDATE mirrors SET staged_size = size, staged_frontier = frontier WHERE origin = ?", (origin,)
    )
    return dropped


def record_sync(db: Database, origin: str, synced_at: str, error: str | None) -> None:
    """When the mirror was last synced, and what went wrong if anything did."""
    db.conn.execute(
        "UPDATE mirrors SET last_sync = ?, last_error = ? WHERE origin = ?", (synced_at, error, origin)
    )


def mark_forked(db: Database, origin: str, reason: str) -> None:
    """Stop trusting an origin: it signed two checkpoints that cannot both be true."""
    db.conn.execute(
        "UPDATE mirrors SET forked = 1, last_error = ? WHERE origin = ?", (reason, origin)
    )


def node(db: Database, origin: str, level: int, index: int) -> bytes:
    """A stored subtree hash of a mirror (level 0 is a leaf); KeyError if not stored."""
    if level == 0:
        row = db.conn.execute(
            "SELECT leaf_hash FROM mirror_entries WHERE origin = ? AND idx = ?", (origin, index)
        ).fetchone()
    else:
        row = db.conn.execute(
            "SELECT hash FROM mirror_nodes WHERE origin = ? AND level = ? AND idx = ?",
            (origin, level, index),
        ).fetchone()
    if row is None:
        raise KeyError(f"mirror of {origin} has no Merkle node at level {level} index {index}")
    return row[0]


def nodes_at_level(db: Database, origin: str, level: int, first: int, last: int) -> dict[int, bytes]:
    """Stored subtree hashes of one level (>= 1), by index, for indexes first..last."""
    return dict(db.conn.execute(
        "SELECT idx, hash FROM mirror_nodes WHERE origin = ? AND level = ? AND idx BETWEEN ? AND ?",
        (origin, level, first, last)).fetchall())


def keys_before(db: Database, origin: str, size: int) -> list[tuple[str, str]]:
    """(key id, multibase) the mirrored log published in its first ``size`` entries, in order."""
    return db.conn.execute(
        "SELECT key_id, multibase FROM mirror_keys WHERE origin = ? AND idx < ? ORDER BY idx",
        (origin, size),
    ).fetchall()


def iter_entries(db: Database, origin: str, start: int = 0, stop: int | None = None,
                 batch: int = 2000, *, verified: bool = True) -> Iterator[MirrorEntry]:
    """A mirror's entries in index order, fetched in pages so memory stays flat.

    Only entries a signed checkpoint covers are yielded unless ``verified=False`` (which
    also yields the staged ones, for re-verification).
    """
    column = "size" if verified else "staged_size"
    row = db.conn.execute(f"SELECT {column} FROM mirrors WHERE origin = ?", (origin,)).fetchone()
    if row is None:
        return
    end = row[0] if stop is None else min(stop, row[0])
    idx = start
    while idx < end:
        rows = db.conn.execute(
            "SELECT idx, leaf_hash, body FROM mirror_entries WHERE origin = ? AND idx >= ? AND idx < ? "
            "ORDER BY idx LIMIT ?",
            (origin, idx, end, batch),
        ).fetchall()
        if not rows:
            return
        for r in rows:
            yield MirrorEntry(*r)
        idx = rows[-1][0] + 1


# ---------------------------------------------------------------- seen checkpoints


def add_seen(db: Database, origin: str, size: int, root: bytes, note: str, source: str,
             seen_at: str) -> None:
    """Keep a validly signed checkpoint (the first note seen for a size and root)."""
    db.conn.execute(
        "INSERT INTO seen_checkpoints (origin, size, root, note, source, seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (origin, size, root, note, source, seen_at),
    )


def seen_at_size(db: Database, origin: str, size: int) -> list[SeenCheckpoint]:
    """Every checkpoint seen for one size of an origin's log."""
    return [SeenCheckpoint(*r) for r in db.conn.execute(
        "SELECT origin, size, root, note, source, seen_at FROM seen_checkpoints "
        "WHERE origin = ? AND size = ? ORDER BY seen_at", (origin, size))]


def seen_between(db: Database, origin: str, low: int, high: int) -> list[SeenCheckpoint]:
    """Checkpoints seen for sizes strictly between ``low`` and ``high``."""
    return [SeenCheckpoint(*r) for r in db.conn.execute(
        "SELECT origin, size, root, note, source, seen_at FROM seen_checkpoints "
        "WHERE origin = ? AND size > ? AND size < ? ORDER BY size", (origin, low, high))]


# ---------------------------------------------------------------------------- forks


def add_fork(db: Database, origin: str, kind: str, evidence: dict, flag: str | None,
             detected_at: str) -> int:
    """Store fork evidence; returns its id."""
    return db.conn.execute(
        "INSERT INTO forks (origin, kind, evidence, flag, detected_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
        (origin, kind, json.dumps(evidence, sort_keys=True), flag, detected_at),
    ).fetchone()[0]


def forks(db: Database, origin: str | None = None) -> list[ForkRow]:
    """Fork evidence, oldest first, for one origin or all."""
    sql = "SELECT id, origin, kind, evidence, flag, detected_at FROM forks"
    args: tuple = ()
    if origin is not None:
        sql += " WHERE origin = ?"
        args = (origin,)
    return [ForkRow(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5])
            for r in db.conn.execute(sql + " ORDER BY id", args)]
