"""SQL for what each remote host accepts (which HTTP signature scheme worked last)."""

from .database import Database

SCHEMES = ("rfc9421", "cavage")


def signature_scheme(db: Database, host: str) -> str | None:
    """The signature scheme a host last accepted, or ``None`` if it is not known yet."""
    row = db.conn.execute("SELECT signature_scheme FROM hosts WHERE host = ?", (host,)).fetchone()
    return row[0] if row and row[0] in SCHEMES else None


def set_signature_scheme(db: Database, host: str, scheme: str, updated_at: str) -> None:
    """Remember that a host accepted requests signed with ``scheme``."""
    db.conn.execute(
        "INSERT INTO hosts (host, signature_scheme, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (host) DO UPDATE SET signature_scheme = excluded.signature_scheme, "
        "updated_at = excluded.updated_at",
        (host, scheme, updated_at),
    )
