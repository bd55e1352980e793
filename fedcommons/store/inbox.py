"""SQL for accepted inbox items: persisted before the 202, processed after it."""

from dataclasses import dataclass

from . import leases, notices
from .database import Database

MAX_ATTEMPTS = 5
# Seconds before the attempt after the n-th failed one (index n - 1): an item that needs a
# server that is down is tried over about an hour and a half before it is marked failed.
# Only such transient failures are retried; an item that can never succeed fails at once.
RETRY_DELAYS = (30, 2 * 60, 10 * 60, 60 * 60)


@dataclass(frozen=True)
class InboxItem:
    """An activity another server delivered, as received."""

    id: int
    activity_id: str
    body: bytes
    actor: str
    key_id: str | None
    recipient: str | None
    received_at: str
    attempts: int


def insert_item(db: Database, activity_id: str, body: bytes, actor: str, key_id: str | None,
                recipient: str | None, received_at: str) -> bool:
    """Persist a received activity; False if this activity id was already received."""
    cur = db.conn.execute(
        "INSERT INTO inbox_items (activity_id, body, actor, key_id, recipient, received_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (activity_id, body, actor, key_id, recipient, received_at),
    )
    return cur.rowcount > 0


def insert_items(db: Database, rows: list[tuple[str, bytes, str, str | None, str | None]],
                 received_at: str) -> list[bool]:
    """`insert_item` for each (activity_id, body, actor, key_id, recipient), in order; the
    other server processes on the database are told on commit (store.notices)."""
    fresh = [insert_item(db, *row, received_at) for row in rows]
    if any(fresh):
        notices.announce(db, notices.INBOX)
    return fresh


def waiting(db: Database, at: str, limit: int = 50) -> list[InboxItem]:
    """Items not processed yet whose next attempt is due at `at`, in the order they arrived."""
    return [
        InboxItem(*row)
        for row in db.conn.execute(
            "SELECT id, activity_id, body, actor, key_id, recipient, received_at, attempts "
            "FROM inbox_items WHERE state = 'received' AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
            "ORDER BY id LIMIT ?",
            (at, limit),
        )
    ]


def claim(db: Database, holder: str, at: str, now: float, until: float, limit: int = 10) -> list[InboxItem]:
    """`waiting` for one of several server processes sharing a PostgreSQL database: up to
    `limit` due items that no process holds (or whose holder's claim lapsed by `now`, POSIX
    seconds), now held by `holder` until `until`. Two processes claiming at once take
    different items (FOR UPDATE SKIP LOCKED). One statement: run it outside a transaction."""
    rows = db.conn.execute(
        "UPDATE inbox_items SET claimed_by = ?, claimed_until = ? WHERE id IN ("
        "SELECT id FROM inbox_items WHERE state = 'received' "
        "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
        "AND (claimed_until IS NULL OR claimed_until <= ? OR claimed_by = ?) "
        "ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED) "
        "RETURNING id, activity_id, body, actor, key_id, recipient, received_at, attempts",
        (holder, until, at, now, holder, limit),
    ).fetchall()
    return sorted((InboxItem(*row) for row in rows), key=lambda item: item.id)


def renew_claims(db: Database, holder: str, until: float) -> int:
    """Hold `holder`'s unfinished items until `until` (a process at work renews its claims)."""
    return leases.renew_claims(db, "inbox_items", holder, until)


def release_claims(db: Database, holder: str) -> int:
    """Let go of `holder`'s unfinished items (a process stopping): any process may take them."""
    return leases.release_claims(db, "inbox_items", holder)


def still_waiting(db: Database, item_id: int) -> bool:
    """Whether an item has no outcome yet (read in the transaction that would record one:
    another process may have handled it after this one's claim lapsed)."""
    return db.conn.execute(
        "SELECT 1 FROM inbox_items WHERE id = ? AND state = 'received'", (item_id,)
    ).fetchone() is not None


def finish(db: Database, item_id: int, state: str, note: str | None, at: str) -> None:
    """Record how an item was handled ('processed' or 'ignored', with why; or 'failed' for
    good, with the reason). An item already recorded keeps its first outcome: the one
    committed with its effects."""
    db.conn.execute(
        "UPDATE inbox_items SET state = ?, error = ?, processed_at = ?, attempts = attempts + 1 "
        "WHERE id = ? AND state = 'received'",
        (state, note, at, item_id),
    )


def retry_later(db: Database, item: InboxItem, error: str, at: str, next_attempt_at: str) -> None:
    """Count a failed attempt and wait until `next_attempt_at` (see `retry_delay`); after
    MAX_ATTEMPTS the item is marked failed. A claim on it ends: the next attempt is anyone's."""
    db.conn.execute(
        "UPDATE inbox_items SET attempts = attempts + 1, error = ?, processed_at = ?, next_attempt_at = ?, "
        "claimed_until = NULL, "
        "state = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE state END WHERE id = ? AND state = 'received'",
        (error, at, next_attempt_at, MAX_ATTEMPTS, item.id),
    )


def record_outcomes(db: Database, finished: list[tuple[int, str, str | None]],
                    retries: list[tuple[InboxItem, str, str]], at: str) -> None:
    """`finish` each (id, state, note) and `retry_later` each (item, error, next attempt)."""
    for item_id, state, note in finished:
        finish(db, item_id, state, note, at)
    for item, error, due in retries:
        retry_later(db, item, error, at, due)


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt (1 = the first)."""
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


def count(db: Database, activity_id: str) -> int:
    """How many times an activity id is stored (0 or 1)."""
    return db.conn.execute(
        "SELECT count(*) FROM inbox_items WHERE activity_id = ?", (activity_id,)
    ).fetchone()[0]


def delete_finished(db: Database, before: str) -> int:
    """Forget items processed, ignored or failed before `before` (ISO 8601); returns how many."""
    return db.conn.execute(
        "DELETE FROM inbox_items WHERE state IN ('processed', 'ignored', 'failed') AND processed_at < ?",
        (before,),
    ).rowcount
