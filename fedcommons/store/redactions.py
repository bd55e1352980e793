"""SQL for redactions: dropping an entry's bytes, of this node's log and of mirrors, and
the figures each notice retained (see fedcommons/redactions.py)."""

from typing import Sequence

from .database import Database


def redact(db: Database, idx: int, notice: int, retained: bytes, tombstone: bytes) -> bool:
    """Drop entry ``idx``'s bytes, recording the notice; False if it had none left (the
    caller holds the write transaction). Projections lose the text they copied from it, and
    the node's other copies of the activity (sent or received) become ``tombstone``."""
    conn = db.conn
    _zero_freed_space(db)
    dropped = conn.execute(
        "UPDATE log_entries SET body = NULL, dictionary = NULL WHERE idx = ? AND body IS NOT NULL", (idx,)
    ).rowcount
    if not dropped:
        return False
    conn.execute("INSERT INTO redactions (idx, notice, retained) VALUES (?, ?, ?)", (idx, notice, retained))
    # The summary of a contribution and the reason of a rejection are copies of the bytes.
    conn.execute("UPDATE contributions SET summary = '' WHERE entry = ?", (idx,))
    conn.execute("UPDATE contributions SET reason = NULL WHERE decision_entry = ?", (idx,))
    activity_id = conn.execute("SELECT activity_id FROM log_entries WHERE idx = ?", (idx,)).fetchone()[0]
    # Deliveries not made yet are not made: they would spread what is being erased.
    conn.execute("UPDATE deliveries SET state = 'failed', last_error = 'redacted before delivery' "
                 "WHERE activity_id = ? AND state = 'pending'", (activity_id,))
    conn.execute("UPDATE outgoing SET body = ?, state = 'fanned-out' WHERE activity_id = ?",
                 (tombstone, activity_id))
    conn.execute("UPDATE inbox_items SET body = ? WHERE activity_id = ?", (tombstone, activity_id))
    return True


def redacted(db: Database) -> dict[int, bytes]:
    """Every redacted entry of this log: index -> the figures its notice retained."""
    return dict(db.conn.execute("SELECT idx, retained FROM redactions"))


def stage_mirror(db: Database, origin: str, rows: Sequence[tuple[int, int, bytes, bytes]]) -> None:
    """Record notices read from a mirrored page: (entry index, notice index, leaf hash, retained)."""
    db.conn.executemany(
        "INSERT INTO mirror_redactions (origin, idx, notice, leaf_hash, retained) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        [(origin, idx, notice, leaf, retained) for idx, notice, leaf, retained in rows],
    )


def apply_mirror(db: Database, origin: str, size: int) -> int:
    """Drop the mirrored bytes of every entry a notice below ``size`` (the verified size)
    names, when its leaf hash is the one the mirror holds; returns how many were dropped."""
    _zero_freed_space(db)
    return db.conn.execute(
        "UPDATE mirror_entries SET body = NULL WHERE origin = ? AND body IS NOT NULL AND idx IN ("
        " SELECT r.idx FROM mirror_redactions r JOIN mirror_entries e ON e.origin = r.origin AND e.idx = r.idx"
        " WHERE r.origin = ? AND r.notice < ? AND e.leaf_hash = r.leaf_hash)",
        (origin, origin, size),
    ).rowcount


def discard_staged_mirror(db: Database, origin: str) -> None:
    """Forget notices past the mirror's verified size (their entries are being discarded)."""
    db.conn.execute(
        "DELETE FROM mirror_redactions WHERE origin = ? AND notice >= (SELECT size FROM mirrors WHERE origin = ?)",
        (origin, origin),
    )


def mirror_redacted(db: Database, origin: str) -> dict[int, bytes]:
    """Every entry of a mirror that verified notices redacted: index -> retained figures."""
    return dict(db.conn.execute(
        "SELECT r.idx, r.retained FROM mirror_redactions r JOIN mirrors m ON m.origin = r.origin "
        "WHERE r.origin = ? AND r.notice < m.size", (origin,),
    ))


def _zero_freed_space(db: Database) -> None:
    """On SQLite, freed space is zeroed, so the bytes do not linger in the file (on by
    default in many builds, not in all). PostgreSQL keeps the old row version until the
    table is vacuumed, which autovacuum does soon after; `VACUUM` then reclaims it."""
    if not db.on_postgresql:
        db.conn.execute("PRAGMA secure_delete = ON")
