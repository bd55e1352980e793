"""SQL for the mailbox index: what each local person received and sent, for the API.

The activities themselves stay where they are (log entries, inbox items, the outgoing
queue); the index names them by source and row, and a cursor per source says how far
indexing has read.
"""

import json
from dataclasses import dataclass
from typing import Sequence

from .database import Database

from .bodies import open_body

SOURCES = ("log", "inbox", "outgoing")


@dataclass(frozen=True)
class SourceRow:
    """One stored activity, as the indexer reads it from any source."""

    ref: int
    activity_id: str
    sender: str
    body: bytes | None
    recipients: tuple[str, ...]  # who the row itself names (a personal inbox, the outgoing recipients)
    at: str
    signer: str | None = None  # the key that signed a delivered activity; None for what this node holds itself


def cursor(db: Database, source: str) -> int:
    """The last row of `source` already indexed (-1 before anything)."""
    row = db.conn.execute("SELECT position FROM mailbox_cursors WHERE source = ?", (source,)).fetchone()
    return row[0] if row else -1


def set_cursor(db: Database, source: str, position: int) -> None:
    """Record how far `source` is indexed."""
    db.conn.execute(
        "INSERT INTO mailbox_cursors (source, position) VALUES (?, ?) "
        "ON CONFLICT (source) DO UPDATE SET position = excluded.position",
        (source, position),
    )


def rows_after(db: Database, source: str, after: int, limit: int) -> list[SourceRow]:
    """Rows of one source past its cursor, oldest first."""
    if source == "log":
        found = db.conn.execute(
            "SELECT idx, activity_id, actor, body, recorded_at, dictionary FROM log_entries WHERE idx > ? "
            "ORDER BY idx LIMIT ?", (after, limit),
        ).fetchall()
        return [SourceRow(r[0], r[1], r[2], open_body(db, r[0], r[5], r[3]), (), r[4]) for r in found]
    if source == "inbox":
        found = db.conn.execute(
            "SELECT id, activity_id, actor, body, recipient, received_at, key_id FROM inbox_items WHERE id > ? "
            "ORDER BY id LIMIT ?", (after, limit),
        ).fetchall()
        return [SourceRow(r[0], r[1], r[2], r[3], (r[4],) if r[4] else (), r[5], r[6]) for r in found]
    if source == "outgoing":
        found = db.conn.execute(
            "SELECT id, activity_id, sender, body, recipients, created_at FROM outgoing WHERE id > ? "
            "ORDER BY id LIMIT ?", (after, limit),
        ).fetchall()
        return [SourceRow(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5]) for r in found]
    raise ValueError(f"unknown mailbox source {source!r}")


def add(db: Database, rows: Sequence[tuple[str, str, str, str, int, str]]) -> None:
    """Index (box, actor, activity id, source, ref, at) rows; an activity already in a
    person's box (logged and also queued, say) stays indexed once."""
    db.conn.executemany(
        "INSERT INTO mailbox (box, actor, activity_id, source, ref, at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        rows,
    )


def count(db: Database, actor: str, box: str) -> int:
    """How many activities are in one person's box."""
    return db.conn.execute(
        "SELECT count(*) FROM mailbox WHERE actor = ? AND box = ?", (actor, box)
    ).fetchone()[0]


def page(db: Database, actor: str, box: str, limit: int, offset: int) -> list[bytes | None]:
    """The bodies of one page of a person's box, newest first (None for a redacted entry)."""
    return [
        open_body(db, r[2], r[1], r[0])
        for r in db.conn.execute(
            # Only a log entry's body may be stored compressed (its dictionary, else NULL).
            "SELECT coalesce(l.body, i.body, o.body), l.dictionary, m.ref FROM mailbox m "
            "LEFT JOIN log_entries l ON m.source = 'log' AND l.idx = m.ref "
            "LEFT JOIN inbox_items i ON m.source = 'inbox' AND i.id = m.ref "
            "LEFT JOIN outgoing o ON m.source = 'outgoing' AND o.id = m.ref "
            "WHERE m.actor = ? AND m.box = ? ORDER BY m.at DESC, m.seq DESC LIMIT ? OFFSET ?",
            (actor, box, limit, offset),
        )
    ]
