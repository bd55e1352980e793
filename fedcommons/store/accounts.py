"""SQL for the password hashes of local people who sign in to the ActivityPub API."""

from .database import Database


def set_password_hash(db: Database, actor: str, hashed: str, updated_at: str) -> None:
    """Record (or replace) an actor's password hash."""
    db.conn.execute(
        "INSERT INTO passwords (actor, hash, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (actor) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at",
        (actor, hashed, updated_at),
    )


def password_hash(db: Database, actor: str) -> str | None:
    """An actor's stored password hash, or None when they cannot sign in."""
    row = db.conn.execute("SELECT hash FROM passwords WHERE actor = ?", (actor,)).fetchone()
    return row[0] if row else None
