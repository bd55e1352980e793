"""SQL for the sign-in sessions of the web pages (stored by the hash of their cookie value)."""

from dataclasses import dataclass

from .database import Database


@dataclass(frozen=True)
class SessionRow:
    """A session that has not expired, with the password hash its person has now."""

    actor: str
    password_seal: bytes
    created_at: str
    expires_at: str
    password_hash: str | None


def insert_session(db: Database, token_hash: bytes, actor: str, password_seal: bytes, created_at: str,
                   expires_at: str) -> None:
    """Record a new session."""
    db.conn.execute(
        "INSERT INTO web_sessions (token_hash, actor, password_seal, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        (token_hash, actor, password_seal, created_at, expires_at),
    )


def live_session(db: Database, token_hash: bytes, at: str) -> SessionRow | None:
    """The session with this hash if it has not expired at ``at``."""
    row = db.conn.execute(
        "SELECT s.actor, s.password_seal, s.created_at, s.expires_at, p.hash FROM web_sessions s "
        "LEFT JOIN passwords p ON p.actor = s.actor WHERE s.token_hash = ? AND s.expires_at > ?",
        (token_hash, at),
    ).fetchone()
    return SessionRow(*row) if row else None


def delete_session(db: Database, token_hash: bytes) -> bool:
    """End one session; False if there was none."""
    return db.conn.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash,)).rowcount > 0


def delete_expired(db: Database, at: str) -> int:
    """Drop every session that expired before ``at``; returns how many."""
    return db.conn.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (at,)).rowcount


def count_sessions(db: Database, actor: str) -> int:
    """How many sessions a person holds (live or not yet purged)."""
    return db.conn.execute("SELECT count(*) FROM web_sessions WHERE actor = ?", (actor,)).fetchone()[0]


def reseal(db: Database, actor: str, before: bytes, after: bytes) -> int:
    """Move an actor's sessions sealed with `before` to `after` (the same password, hashed
    anew); returns how many."""
    return db.conn.execute(
        "UPDATE web_sessions SET password_seal = ? WHERE actor = ? AND password_seal = ?",
        (after, actor, before),
    ).rowcount
