"""SQL for activities waiting to be fanned out to their recipients' inboxes."""

import json
from dataclasses import dataclass

from . import notices
from .database import Database


@dataclass(frozen=True)
class OutgoingRow:
    """An activity to send, with the actor whose key signs it and who it is addressed to."""

    id: int
    activity_id: str
    sender: str
    body: bytes
    recipients: list[str]
    created_at: str


def enqueue(db: Database, activity_id: str, sender: str, body: bytes, recipients: list[str],
            created_at: str) -> None:
    """Queue an activity for delivery (in the caller's transaction; idempotent per activity)."""
    enqueue_many(db, [(activity_id, sender, body, recipients)], created_at)


def enqueue_many(db: Database, rows: list[tuple[str, str, bytes, list[str]]], created_at: str) -> None:
    """Queue (activity id, sender, body, recipients) rows in one statement."""
    db.conn.executemany(
        "INSERT INTO outgoing (activity_id, sender, body, recipients, created_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(a, s, b, json.dumps(sorted(set(r))), created_at) for a, s, b, r in rows],
    )
    if rows:  # the server processes on the database fan it out (store.notices)
        notices.announce(db, notices.DELIVERIES)


def pending(db: Database, limit: int = 100) -> list[OutgoingRow]:
    """Activities not yet fanned out, oldest first."""
    return [
        OutgoingRow(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5])
        for r in db.conn.execute(
            "SELECT id, activity_id, sender, body, recipients, created_at FROM outgoing "
            "WHERE state = 'pending' ORDER BY id LIMIT ?",
            (limit,),
        )
    ]


def is_pending(db: Database, outgoing_id: int) -> bool:
    """Whether a row waits to be fanned out (read in the transaction that would do it:
    another server process on the database may have done it first)."""
    return db.conn.execute(
        "SELECT 1 FROM outgoing WHERE id = ? AND state = 'pending'", (outgoing_id,)
    ).fetchone() is not None


def mark_fanned_out(db: Database, outgoing_id: int) -> None:
    """The activity's deliveries are queued."""
    db.conn.execute("UPDATE outgoing SET state = 'fanned-out' WHERE id = ?", (outgoing_id,))


def body(db: Database, activity_id: str) -> bytes | None:
    """The bytes of an outgoing activity, for delivery."""
    row = db.conn.execute("SELECT body FROM outgoing WHERE activity_id = ?", (activity_id,)).fetchone()
    return row[0] if row else None


def has_pending(db: Database) -> bool:
    """Whether any activity waits to be fanned out."""
    return db.conn.execute("SELECT 1 FROM outgoing WHERE state = 'pending' LIMIT 1").fetchone() is not None


def last_id(db: Database) -> int:
    """The newest outgoing row's id (0 when there is none): a cheap change marker to poll."""
    return db.conn.execute("SELECT coalesce(max(id), 0) FROM outgoing").fetchone()[0]
