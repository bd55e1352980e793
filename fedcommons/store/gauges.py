"""SQL for what a node's metrics report: queue depths, the newest checkpoint and
cosignature, and how far each mirror has got. Each is one small indexed query, read at
every scrape."""

from dataclasses import dataclass

from .database import Database

INBOX_STATES = ("received", "processed", "ignored", "failed")


@dataclass(frozen=True)
class MirrorGauge:
    """How far the mirror of one origin has got: its verified size, the largest size any
    checkpoint seen for it names, the last sync attempt and whether it failed or forked."""

    origin: str
    size: int
    seen_size: int
    last_sync: str | None
    failing: bool
    forked: bool


def inbox_states(db: Database) -> dict[str, int]:
    """How many inbox items are in each state."""
    found = dict(db.conn.execute("SELECT state, count(*) FROM inbox_items GROUP BY state").fetchall())
    return {state: found.get(state, 0) for state in INBOX_STATES}


def newest_checkpoint_signed_at(db: Database) -> str | None:
    """When the newest checkpoint of our own log was signed (ISO 8601)."""
    row = db.conn.execute("SELECT signed_at FROM checkpoints ORDER BY size DESC LIMIT 1").fetchone()
    return row[0] if row else None


def newest_cosignature_timestamp(db: Database) -> int | None:
    """The POSIX time of the newest cosignature a witness made on our log."""
    row = db.conn.execute("SELECT max(timestamp) FROM cosignatures").fetchone()
    return row[0] if row else None


def mirror_gauges(db: Database) -> list[MirrorGauge]:
    """Each mirror's progress against the newest checkpoint seen for its origin."""
    rows = db.conn.execute(
        "SELECT m.origin, m.size, coalesce((SELECT max(size) FROM seen_checkpoints s "
        "WHERE s.origin = m.origin), 0), m.last_sync, m.last_error IS NOT NULL, m.forked "
        "FROM mirrors m ORDER BY m.origin"
    ).fetchall()
    # The larger of the two in Python: SQLite spells it max(a, b), PostgreSQL GREATEST(a, b).
    return [MirrorGauge(origin, size, max(size, seen), last_sync, bool(failing), bool(forked))
            for origin, size, seen, last_sync, failing, forked in rows]
