"""SQL for actors, pools and stewards."""

import json
from dataclasses import dataclass

from .database import Database


@dataclass(frozen=True)
class ActorRow:
    """An actor this node knows: a local one it hosts, or a remote one it has fetched."""

    id: str
    kind: str
    name: str | None
    local: bool
    display_name: str | None
    summary: str | None
    inbox: str | None
    shared_inbox: str | None
    rsa_key_id: str | None
    rsa_public_pem: str | None
    ed25519_key_id: str | None
    ed25519_multibase: str | None
    document: str | None
    fetched_at: str | None
    created_at: str


_COLUMNS = (
    "id, kind, name, local, display_name, summary, inbox, shared_inbox, rsa_key_id, "
    "rsa_public_pem, ed25519_key_id, ed25519_multibase, document, fetched_at, created_at"
)


def _row(row) -> ActorRow | None:
    if row is None:
        return None
    values = list(row)
    values[3] = bool(values[3])
    return ActorRow(*values)


def insert_actor(db: Database, actor: ActorRow) -> None:
    """Record a new actor."""
    db.conn.execute(
        f"INSERT INTO actors ({_COLUMNS}) VALUES ({', '.join('?' * 15)})",
        (
            actor.id, actor.kind, actor.name, int(actor.local), actor.display_name,
            actor.summary, actor.inbox, actor.shared_inbox, actor.rsa_key_id,
            actor.rsa_public_pem, actor.ed25519_key_id, actor.ed25519_multibase,
            actor.document, actor.fetched_at, actor.created_at,
        ),
    )


def upsert_remote_actor(db: Database, actor: ActorRow) -> None:
    """Record or refresh a remote actor fetched from its server."""
    db.conn.execute(
        f"INSERT INTO actors ({_COLUMNS}) VALUES ({', '.join('?' * 15)}) "
        "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, "
        "display_name = excluded.display_name, summary = excluded.summary, "
        "inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, "
        "rsa_key_id = excluded.rsa_key_id, rsa_public_pem = excluded.rsa_public_pem, "
        "ed25519_key_id = excluded.ed25519_key_id, ed25519_multibase = excluded.ed25519_multibase, "
        "document = excluded.document, fetched_at = excluded.fetched_at "
        "WHERE actors.local = 0",
        (
            actor.id, actor.kind, actor.name, 0, actor.display_name, actor.summary,
            actor.inbox, actor.shared_inbox, actor.rsa_key_id, actor.rsa_public_pem,
            actor.ed25519_key_id, actor.ed25519_multibase, actor.document, actor.fetched_at,
            actor.created_at,
        ),
    )


def actor(db: Database, actor_id: str) -> ActorRow | None:
    """An actor by URL."""
    return _row(db.conn.execute(f"SELECT {_COLUMNS} FROM actors WHERE id = ?", (actor_id,)).fetchone())


def local_actor(db: Database, name: str, kind: str | None = None) -> ActorRow | None:
    """A local actor by handle, optionally of one kind."""
    sql = f"SELECT {_COLUMNS} FROM actors WHERE local = 1 AND name = ?"
    args: tuple = (name,)
    if kind:
        sql += " AND kind = ?"
        args += (kind,)
    return _row(db.conn.execute(sql, args).fetchone())


def local_actors(db: Database, kind: str | None = None) -> list[ActorRow]:
    """Local actors, by name."""
    sql = f"SELECT {_COLUMNS} FROM actors WHERE local = 1"
    args: tuple = ()
    if kind:
        sql += " AND kind = ?"
        args = (kind,)
    return [_row(r) for r in db.conn.execute(sql + " ORDER BY name", args)]


def actor_by_key(db: Database, key_id: str) -> ActorRow | None:
    """The actor owning a key id (RSA or Ed25519)."""
    return _row(
        db.conn.execute(
            f"SELECT {_COLUMNS} FROM actors WHERE rsa_key_id = ? OR ed25519_key_id = ?",
            (key_id, key_id),
        ).fetchone()
    )


@dataclass(frozen=True)
class PoolRow:
    """A pool's settings as projected from its log entries."""

    id: str
    license: str | None
    method: str
    parameters: dict
    requires_approval: bool


def insert_pool(db: Database, pool: PoolRow, stewards: list[str]) -> None:
    """Record a pool and its stewards."""
    db.conn.execute(
        "INSERT INTO pools (id, license, method, parameters, requires_approval) VALUES (?, ?, ?, ?, ?)",
        (pool.id, pool.license, pool.method, json.dumps(pool.parameters, sort_keys=True),
         int(pool.requires_approval)),
    )
    set_stewards(db, pool.id, stewards)


def update_pool_method(db: Database, pool_id: str, method: str, parameters: dict) -> None:
    """Record a pool's new standing method."""
    db.conn.execute(
        "UPDATE pools SET method = ?, parameters = ? WHERE id = ?",
        (method, json.dumps(parameters, sort_keys=True), pool_id),
    )


def set_stewards(db: Database, pool_id: str, stewards: list[str]) -> None:
    """Replace a pool's steward set."""
    db.conn.execute("DELETE FROM stewards WHERE pool = ?", (pool_id,))
    db.conn.executemany(
        "INSERT INTO stewards (pool, actor) VALUES (?, ?)", [(pool_id, s) for s in stewards]
    )


def pool(db: Database, pool_id: str) -> PoolRow | None:
    """A pool by URL."""
    row = db.conn.execute(
        "SELECT id, license, method, parameters, requires_approval FROM pools WHERE id = ?",
        (pool_id,),
    ).fetchone()
    if row is None:
        return None
    return PoolRow(row[0], row[1], row[2], json.loads(row[3]), bool(row[4]))


def stewards(db: Database, pool_id: str) -> list[str]:
    """The steward URLs of a pool."""
    return [r[0] for r in db.conn.execute(
        "SELECT actor FROM stewards WHERE pool = ? ORDER BY actor", (pool_id,)
    )]


def every_actor(db: Database) -> list[ActorRow]:
    """Every actor this node knows, local and remote, by id."""
    return [_row(row) for row in db.conn.execute(f"SELECT {_COLUMNS} FROM actors ORDER BY id")]
