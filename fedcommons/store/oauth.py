"""SQL for OAuth 2.0: registered clients, authorization codes and tokens (stored hashed)."""

import json
from dataclasses import dataclass

from .database import Database


@dataclass(frozen=True)
class ClientRow:
    """A client registered through dynamic client registration."""

    client_id: str
    client_name: str | None
    redirect_uris: list[str]
    metadata: dict
    created_at: str


@dataclass(frozen=True)
class CodeRow:
    """An authorization code as issued: who approved what, for which client and redirect."""

    grant_id: str
    client_id: str
    actor: str
    redirect_uri: str
    scope: str
    code_challenge: str
    expires_at: float
    used: bool


@dataclass(frozen=True)
class TokenRow:
    """An access or refresh token as issued."""

    kind: str
    grant_id: str
    client_id: str
    actor: str
    scope: str
    expires_at: float
    state: str


def insert_client(db: Database, row: ClientRow) -> None:
    """Record a registered client."""
    db.conn.execute(
        "INSERT INTO oauth_clients (client_id, client_name, redirect_uris, metadata, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (row.client_id, row.client_name, json.dumps(row.redirect_uris), json.dumps(row.metadata),
         row.created_at),
    )


def client(db: Database, client_id: str) -> ClientRow | None:
    """A registered client by id."""
    row = db.conn.execute(
        "SELECT client_id, client_name, redirect_uris, metadata, created_at FROM oauth_clients "
        "WHERE client_id = ?", (client_id,),
    ).fetchone()
    if row is None:
        return None
    return ClientRow(row[0], row[1], json.loads(row[2]), json.loads(row[3]), row[4])


def delete_unused_clients(db: Database, created_before: str) -> int:
    """Delete clients registered before `created_before` that hold no code and no active
    token; how many went."""
    return db.conn.execute(
        "DELETE FROM oauth_clients WHERE created_at < ? "
        "AND NOT EXISTS (SELECT 1 FROM oauth_codes c WHERE c.client_id = oauth_clients.client_id) "
        "AND NOT EXISTS (SELECT 1 FROM oauth_tokens t WHERE t.client_id = oauth_clients.client_id "
        "AND t.state = 'active')",
        (created_before,),
    ).rowcount


def insert_code(db: Database, code_hash: bytes, row: CodeRow) -> None:
    """Record an authorization code (by its hash)."""
    db.conn.execute(
        "INSERT INTO oauth_codes (code_hash, grant_id, client_id, actor, redirect_uri, scope, "
        "code_challenge, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (code_hash, row.grant_id, row.client_id, row.actor, row.redirect_uri, row.scope,
         row.code_challenge, row.expires_at),
    )


def code(db: Database, code_hash: bytes) -> CodeRow | None:
    """An authorization code by its hash, used or not."""
    row = db.conn.execute(
        "SELECT grant_id, client_id, actor, redirect_uri, scope, code_challenge, expires_at, used "
        "FROM oauth_codes WHERE code_hash = ?", (code_hash,),
    ).fetchone()
    return CodeRow(*row[:7], bool(row[7])) if row else None


def use_code(db: Database, code_hash: bytes) -> bool:
    """Mark a code used; False when it already was (a replay)."""
    cur = db.conn.execute("UPDATE oauth_codes SET used = 1 WHERE code_hash = ? AND used = 0", (code_hash,))
    return cur.rowcount > 0


def insert_token(db: Database, token_hash: bytes, row: TokenRow, created_at: str) -> None:
    """Record an access or refresh token (by its hash)."""
    db.conn.execute(
        "INSERT INTO oauth_tokens (token_hash, kind, grant_id, client_id, actor, scope, expires_at, "
        "state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (token_hash, row.kind, row.grant_id, row.client_id, row.actor, row.scope, row.expires_at,
         row.state, created_at),
    )


def token(db: Database, token_hash: bytes) -> TokenRow | None:
    """A token by its hash, whatever its state."""
    row = db.conn.execute(
        "SELECT kind, grant_id, client_id, actor, scope, expires_at, state FROM oauth_tokens "
        "WHERE token_hash = ?", (token_hash,),
    ).fetchone()
    return TokenRow(*row) if row else None


def rotate_token(db: Database, token_hash: bytes) -> bool:
    """Mark an active refresh token rotated; False when it was not active (a replay)."""
    cur = db.conn.execute(
        "UPDATE oauth_tokens SET state = 'rotated' WHERE token_hash = ? AND state = 'active'", (token_hash,)
    )
    return cur.rowcount > 0


def revoke_token(db: Database, token_hash: bytes) -> None:
    """Revoke one token."""
    db.conn.execute("UPDATE oauth_tokens SET state = 'revoked' WHERE token_hash = ?", (token_hash,))


def revoke_grant(db: Database, grant_id: str) -> int:
    """Revoke every token of a grant; returns how many were still usable."""
    return db.conn.execute(
        "UPDATE oauth_tokens SET state = 'revoked' WHERE grant_id = ? AND state != 'revoked'", (grant_id,)
    ).rowcount


def revoke_actor(db: Database, actor: str) -> int:
    """Revoke every token an actor holds (a password change); returns how many grants
    (authorized clients) still had an active token."""
    grants = db.conn.execute(
        "SELECT count(DISTINCT grant_id) FROM oauth_tokens WHERE actor = ? AND state = 'active'", (actor,)
    ).fetchone()[0]
    db.conn.execute("UPDATE oauth_tokens SET state = 'revoked' WHERE actor = ? AND state = 'active'", (actor,))
    return grants


def purge_expired(db: Database, before: float) -> int:
    """Forget codes and tokens that expired before `before` (they can never be used again);
    returns how many."""
    codes = db.conn.execute("DELETE FROM oauth_codes WHERE expires_at < ?", (before,)).rowcount
    return codes + db.conn.execute("DELETE FROM oauth_tokens WHERE expires_at < ?", (before,)).rowcount
