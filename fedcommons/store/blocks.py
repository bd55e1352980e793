"""SQL for blocked domains and actors (see services/moderation/blocks.py)."""

from dataclasses import dataclass

from .database import Database


@dataclass(frozen=True)
class BlockRow:
    target: str
    kind: str
    reason: str | None
    created_at: str


def add(db: Database, target: str, kind: str, reason: str | None, created_at: str) -> bool:
    """Block `target`; False when it was blocked already (the first reason stays)."""
    return db.conn.execute(
        "INSERT INTO blocks (target, kind, reason, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (target) DO NOTHING",
        (target, kind, reason, created_at),
    ).rowcount == 1


def remove(db: Database, target: str) -> bool:
    """Lift a block; False when there was none."""
    return db.conn.execute("DELETE FROM blocks WHERE target = ?", (target,)).rowcount == 1


def listing(db: Database) -> list[BlockRow]:
    """Every block, domains first, then by name."""
    return [BlockRow(*row) for row in db.conn.execute(
        "SELECT target, kind, reason, created_at FROM blocks ORDER BY kind DESC, target")]


def any_of(db: Database, targets: list[str]) -> str | None:
    """The first of `targets` (actor URLs and domains) that is blocked, or None."""
    if not targets:
        return None
    marks = ",".join("?" * len(targets))
    row = db.conn.execute(f"SELECT target FROM blocks WHERE target IN ({marks}) LIMIT 1", targets).fetchone()
    return row[0] if row else None


