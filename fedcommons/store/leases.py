"""SQL for work leases: periodic work (a round of syncs, settling proposals, housekeeping)
that one of several server processes on a PostgreSQL database does at a time. A lease is
held by name until it expires (POSIX seconds), so a process that dies holding one keeps
the others from the work only that long.

Rows that processes claim one by one (inbox items, deliveries) carry their claim in the
row (``claimed_by``, ``claimed_until``); :func:`renew_claims` and :func:`release_claims`
serve both tables."""

from .database import Database


def take(db: Database, name: str, holder: str, now: float, until: float) -> bool:
    """Hold `name` until `until` if nobody else holds it at `now` (renewing it if `holder`
    does); whether `holder` holds it now. One statement: atomic outside a transaction."""
    row = db.conn.execute(
        "INSERT INTO work_leases (name, holder, expires_at) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
        "WHERE work_leases.expires_at <= ? OR work_leases.holder = excluded.holder RETURNING holder",
        (name, holder, until, now),
    ).fetchone()
    return row is not None


def give_back(db: Database, name: str, holder: str) -> None:
    """End `holder`'s lease on `name` early (its work is done, or it stops)."""
    db.conn.execute("DELETE FROM work_leases WHERE name = ? AND holder = ?", (name, holder))


def holder(db: Database, name: str, now: float) -> str | None:
    """Who holds `name` at `now`, if anyone."""
    row = db.conn.execute(
        "SELECT holder FROM work_leases WHERE name = ? AND expires_at > ?", (name, now)
    ).fetchone()
    return row[0] if row else None


# The tables whose rows are claimed, each with the state of a row not settled yet.
UNSETTLED = {"inbox_items": "received", "deliveries": "pending"}


def renew_claims(db: Database, table: str, holder: str, until: float) -> int:
    """Hold ``holder``'s unsettled rows of ``table`` until ``until`` (a process at work
    renews its claims); how many."""
    return db.conn.execute(
        f"UPDATE {table} SET claimed_until = ? WHERE claimed_by = ? AND state = ? AND claimed_until IS NOT NULL",
        (until, holder, UNSETTLED[table]),
    ).rowcount


def release_claims(db: Database, table: str, holder: str) -> int:
    """Let go of ``holder``'s unsettled rows of ``table`` (a process stopping): any process
    may take them; how many."""
    return db.conn.execute(
        f"UPDATE {table} SET claimed_until = NULL WHERE claimed_by = ? AND state = ? AND claimed_until IS NOT NULL",
        (holder, UNSETTLED[table]),
    ).rowcount
