"""SQL for the delivery queue: one row per (activity, inbox), pending -> delivered | failed.

Times that the worker compares (``next_attempt_at``) are POSIX seconds from the worker's
clock, so a test can drive the queue with a fake clock. Times shown to people
(``created_at``, ``delivered_at``) are ISO 8601 strings like the rest of the database.

A row whose recipient's inbox is not known yet has ``inbox`` NULL and ``recipient`` set
(see the deliveries table in migration 2); it is retried like any other row until the inbox is resolved.
"""

from dataclasses import dataclass

from . import leases, notices
from .database import Database

STATES = ("pending", "delivered", "failed")

_COLUMNS = (
    "id, activity_id, sender, inbox, recipient, host, state, attempts, next_attempt_at, "
    "last_status, last_error, created_at, delivered_at"
)
# How many of the oldest free rows a claim looks through for `limit` rows within the cap
# per host: a host with a large backlog must not hide every other host's rows.
_CLAIM_LOOKAHEAD = 8


@dataclass(frozen=True)
class DeliveryRow:
    """One activity on its way to one inbox (or to a recipient whose inbox is unknown)."""

    id: int
    activity_id: str
    sender: str
    inbox: str | None
    recipient: str | None
    host: str
    state: str
    attempts: int
    next_attempt_at: float
    last_status: int | None
    last_error: str | None
    created_at: str
    delivered_at: str | None


@dataclass(frozen=True)
class Outcome:
    """What one attempt at a delivery came to, recorded by :func:`record`.

    ``state`` is the row's new state; ``next_attempt_at`` matters only while it stays
    pending. ``status`` is the HTTP status, None when no response came.
    """

    id: int
    state: str
    next_attempt_at: float = 0.0
    status: int | None = None
    error: str | None = None
    at: str | None = None


def add(db: Database, activity_id: str, sender: str, inbox: str, host: str, due: float,
        created_at: str) -> bool:
    """Queue an activity for an inbox; False if that pair is already queued."""
    cur = db.conn.execute(
        "INSERT INTO deliveries (activity_id, sender, inbox, host, next_attempt_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (activity_id, sender, inbox, host, due, created_at),
    )
    return cur.rowcount > 0


def add_unresolved(db: Database, activity_id: str, sender: str, recipient: str, host: str, due: float,
                   created_at: str) -> bool:
    """Queue an activity for an actor whose inbox must be fetched first; False if already queued."""
    cur = db.conn.execute(
        "INSERT INTO deliveries (activity_id, sender, recipient, host, next_attempt_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (activity_id, sender, recipient, host, due, created_at),
    )
    return cur.rowcount > 0


def get(db: Database, delivery_id: int) -> DeliveryRow | None:
    """A delivery by id."""
    row = db.conn.execute(f"SELECT {_COLUMNS} FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
    return DeliveryRow(*row) if row else None


def due(db: Database, now: float, *, per_host: int, limit: int) -> list[DeliveryRow]:
    """Pending rows due at ``now``: the oldest ``per_host`` of each host, oldest first.

    Capping each host keeps one host with a large backlog from hiding every other
    host's work from the worker.
    """
    return [
        DeliveryRow(*r[:-1])
        for r in db.conn.execute(
            f"SELECT {_COLUMNS}, n FROM (SELECT {_COLUMNS}, ROW_NUMBER() OVER "
            "(PARTITION BY host ORDER BY next_attempt_at, id) AS n FROM deliveries "
            "WHERE state = 'pending' AND next_attempt_at <= ?) AS due "
            "WHERE n <= ? ORDER BY next_attempt_at, id LIMIT ?",
            (now, per_host, limit),
        )
    ]


def claim_due(db: Database, holder: str, now: float, until: float, *, per_host: int,
              limit: int) -> list[DeliveryRow]:
    """`due` for one of several server processes sharing a PostgreSQL database: the rows
    `due` would give that no other process holds (or whose holder's claim lapsed by
    ``now``), now held by ``holder`` until ``until``. Two processes claiming at once take
    different rows: the oldest free rows are locked with FOR UPDATE SKIP LOCKED (a
    window function cannot carry it), and the cap per host is applied to those.
    One statement: run it outside a transaction."""
    rows = db.conn.execute(
        "WITH free AS (SELECT id, host, next_attempt_at FROM deliveries "
        "WHERE state = 'pending' AND next_attempt_at <= ? "
        "AND (claimed_until IS NULL OR claimed_until <= ? OR claimed_by = ?) "
        "ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED), "
        "ranked AS (SELECT id, next_attempt_at, ROW_NUMBER() OVER "
        "(PARTITION BY host ORDER BY next_attempt_at, id) AS n FROM free) "
        "UPDATE deliveries SET claimed_by = ?, claimed_until = ? WHERE id IN ("
        "SELECT id FROM ranked WHERE n <= ? ORDER BY next_attempt_at, id LIMIT ?) "
        f"RETURNING {_COLUMNS}",
        (now, now, holder, limit * _CLAIM_LOOKAHEAD, holder, until, per_host, limit),
    ).fetchall()
    return sorted((DeliveryRow(*row) for row in rows), key=lambda r: (r.next_attempt_at, r.id))


def renew_claims(db: Database, holder: str, until: float) -> int:
    """Hold ``holder``'s unsettled rows until ``until`` (a process at work renews its claims)."""
    return leases.renew_claims(db, "deliveries", holder, until)


def release_claims(db: Database, holder: str) -> int:
    """Let go of ``holder``'s unsettled rows (a process stopping): any process may take them."""
    return leases.release_claims(db, "deliveries", holder)


def next_due(db: Database, after: float) -> float | None:
    """When the next pending row that is not yet due becomes due."""
    return db.conn.execute(
        "SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending' AND next_attempt_at > ?",
        (after,),
    ).fetchone()[0]


def count_due(db: Database, now: float) -> int:
    """Pending rows due at ``now``."""
    return db.conn.execute(
        "SELECT count(*) FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ?", (now,)
    ).fetchone()[0]


def record(db: Database, outcome: Outcome) -> None:
    """Write what an attempt came to (the caller holds the transaction when batching).

    Only a pending row changes: a row that was meanwhile settled is left as it is. A claim
    on it ends: a retry is anyone's.
    """
    db.conn.execute(
        "UPDATE deliveries SET state = ?, attempts = attempts + 1, next_attempt_at = ?, "
        "last_status = ?, last_error = ?, claimed_until = NULL, "
        "delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END "
        "WHERE id = ? AND state = 'pending'",
        (
            outcome.state, outcome.next_attempt_at, outcome.status,
            outcome.error, outcome.state, outcome.at, outcome.id,
        ),
    )


def record_all(db: Database, outcomes: list[Outcome]) -> None:
    """`record` each outcome (in the caller's transaction)."""
    for outcome in outcomes:
        record(db, outcome)


def resolve(db: Database, delivery_id: int, inbox: str, host: str) -> bool:
    """Give an unresolved row the inbox its recipient's actor names.

    Returns False when the activity is already queued for that inbox (another recipient
    shares it): the row is then deleted, since one POST to a shared inbox serves every
    recipient behind it.
    """
    row = db.conn.execute(
        "SELECT activity_id FROM deliveries WHERE id = ? AND recipient IS NOT NULL", (delivery_id,)
    ).fetchone()
    if row is None:
        return False
    taken = db.conn.execute(
        "SELECT 1 FROM deliveries WHERE activity_id = ? AND inbox = ?", (row[0], inbox)
    ).fetchone()
    if taken:
        db.conn.execute("DELETE FROM deliveries WHERE id = ?", (delivery_id,))
        return False
    # The attempt that fetched the actor was not a POST: the inbox gets a fresh schedule.
    db.conn.execute(
        "UPDATE deliveries SET inbox = ?, host = ?, recipient = NULL, attempts = 0, last_status = NULL, "
        "last_error = NULL WHERE id = ?",
        (inbox, host, delivery_id),
    )
    return True


def host_waiting(db: Database, host: str, now: float) -> bool:
    """Whether a host has pending rows that are not due yet (cheap: no write lock)."""
    return db.conn.execute(
        "SELECT 1 FROM deliveries WHERE host = ? AND state = 'pending' AND next_attempt_at > ? LIMIT 1",
        (host, now),
    ).fetchone() is not None


def make_host_due(db: Database, host: str, now: float) -> int:
    """Make every pending row of a host due at ``now``; returns how many moved."""
    cur = db.conn.execute(
        "UPDATE deliveries SET next_attempt_at = ? WHERE host = ? AND state = 'pending' AND next_attempt_at > ?",
        (now, host, now),
    )
    if cur.rowcount:
        notices.announce(db, notices.DELIVERIES)
    return cur.rowcount


def retry_failed(db: Database, now: float) -> int:
    """Make every failed row pending and due at ``now``, with a fresh attempt count."""
    cur = db.conn.execute(
        "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE state = 'failed'",
        (now,),
    )
    if cur.rowcount:
        notices.announce(db, notices.DELIVERIES)
    return cur.rowcount


def listing(db: Database, state: str | None = None, limit: int = 50) -> list[DeliveryRow]:
    """Deliveries newest first, optionally of one state."""
    sql = f"SELECT {_COLUMNS} FROM deliveries"
    args: list = []
    if state:
        sql += " WHERE state = ?"
        args.append(state)
    sql += " ORDER BY id DESC LIMIT ?"
    args.append(limit)
    return [DeliveryRow(*r) for r in db.conn.execute(sql, args)]


def counts(db: Database) -> dict[str, int]:
    """How many deliveries are in each state."""
    found = dict(db.conn.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall())
    return {state: found.get(state, 0) for state in STATES}


def delete_delivered(db: Database, before: str) -> int:
    """Forget deliveries made before `before` (ISO 8601); returns how many. Failed ones stay,
    to be looked at and retried."""
    return db.conn.execute(
        "DELETE FROM deliveries WHERE state = 'delivered' AND delivered_at < ?", (before,)
    ).rowcount
