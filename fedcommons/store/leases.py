"""SQL for work leases: periodic work (a round of syncs, settling proposals, housekeeping)
that one of several server processes on a PostgreSQL database does at a time. A lease is
held by name until it expires (POSIX seconds), so a process that dies holding one keeps
the others from the work only that long."""

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
