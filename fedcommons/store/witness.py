"""SQL for witnessing: what this node cosigned for other logs, the cosignatures other
nodes made on our checkpoints, and the witnesses we ask."""

from dataclasses import dataclass

from .database import Database


@dataclass(frozen=True)
class Witnessed:
    """The latest checkpoint this node cosigned for an origin."""

    origin: str
    size: int
    root: bytes
    note: str
    updated_at: str


@dataclass(frozen=True)
class WitnessPeer:
    """A node we ask for cosignatures, with its pinned cosigner key."""

    url: str
    name: str
    verifier_key: str
    cosigned_size: int
    last_error: str | None
    updated_at: str


def witnessed(db: Database, origin: str) -> Witnessed | None:
    """The latest checkpoint cosigned for ``origin``."""
    row = db.conn.execute(
        "SELECT origin, size, root, note, updated_at FROM witnessed WHERE origin = ?", (origin,)
    ).fetchone()
    return Witnessed(*row) if row else None


def set_witnessed(db: Database, origin: str, size: int, root: bytes, note: str, updated_at: str) -> None:
    """Record a newly cosigned checkpoint (the caller holds the transaction that checked the old one)."""
    db.conn.execute(
        "INSERT INTO witnessed (origin, size, root, note, updated_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, "
        "note = excluded.note, updated_at = excluded.updated_at",
        (origin, size, root, note, updated_at),
    )


def add_cosignature(db: Database, size: int, witness: str, key_id: bytes, timestamp: int,
                    line: str, received_at: str) -> None:
    """Keep a verified cosignature on our checkpoint of ``size`` (the newest per witness key)."""
    db.conn.execute(
        "INSERT INTO cosignatures (size, witness, key_id, timestamp, line, received_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (size, witness, key_id) DO UPDATE SET "
        "timestamp = excluded.timestamp, line = excluded.line, received_at = excluded.received_at",
        (size, witness, key_id, timestamp, line, received_at),
    )


def cosignature_lines(db: Database, size: int) -> list[str]:
    """The cosignature lines (each ending in a newline) on our checkpoint of ``size``."""
    return [r[0] for r in db.conn.execute(
        "SELECT line FROM cosignatures WHERE size = ? ORDER BY witness, key_id", (size,))]


def latest_cosigned_size(db: Database) -> int | None:
    """The largest size of ours that carries a cosignature."""
    return db.conn.execute("SELECT max(size) FROM cosignatures").fetchone()[0]


def witness_peer(db: Database, url: str) -> WitnessPeer | None:
    """A witness we ask, by its node's base URL."""
    row = db.conn.execute(
        "SELECT url, name, verifier_key, cosigned_size, last_error, updated_at FROM witness_peers "
        "WHERE url = ?", (url,)
    ).fetchone()
    return WitnessPeer(*row) if row else None


def witness_peers(db: Database) -> list[WitnessPeer]:
    """Every witness we have asked."""
    return [WitnessPeer(*r) for r in db.conn.execute(
        "SELECT url, name, verifier_key, cosigned_size, last_error, updated_at FROM witness_peers ORDER BY url")]


def pin_witness(db: Database, url: str, name: str, verifier_key: str, updated_at: str) -> None:
    """Remember a witness's cosigner key the first time we ask it."""
    db.conn.execute(
        "INSERT INTO witness_peers (url, name, verifier_key, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (url, name, verifier_key, updated_at),
    )


def set_cosigned_size(db: Database, url: str, size: int, error: str | None, updated_at: str) -> None:
    """The size a witness last cosigned for us (what the next request's old size must be)."""
    db.conn.execute(
        "UPDATE witness_peers SET cosigned_size = ?, last_error = ?, updated_at = ? WHERE url = ?",
        (size, error, updated_at, url),
    )
