"""Sign-in sessions for the web pages: a random cookie value, stored only as its hash.

A session begins when a person signs in with their password (checked by
:mod:`.accounts`) and lasts :data:`LIFETIME` at most. It ends on sign-out, at expiry, or
when the person's password changes.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ...errors import Unauthorized
from ...node import Node
from ...store import accounts as account_store
from ...store import actors as actor_store
from ...store import sessions as session_store
from ...store.actors import ActorRow
from ...store.db import transaction

LIFETIME = timedelta(days=14)
TOKEN_BYTES = 32
# Longer than any token we issue: a cookie value this long is not worth hashing.
MAX_TOKEN_LENGTH = 128


@dataclass(frozen=True)
class Session:
    """A signed-in browser: its cookie value (known only to it and to this request) and who it is."""

    token: str
    person: ActorRow
    expires_at: datetime


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def password_seal(password_hash: str) -> bytes:
    """What a session remembers of the password it was opened with (a hash of its hash)."""
    return hashlib.sha256(password_hash.encode()).digest()


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def start(node: Node, person: ActorRow, *, at: datetime | None = None) -> Session:
    """A new session for ``person``, who has just proved their password."""
    stored = account_store.password_hash(node.db, person.id)
    if stored is None:
        raise Unauthorized(f"{person.name} has no password to sign in with")
    moment = (at or datetime.now(timezone.utc)).replace(microsecond=0)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = moment + LIFETIME
    with transaction(node.db):
        # Sessions nobody signed out of would otherwise pile up.
        session_store.delete_expired(node.db, _stamp(moment))
        session_store.insert_session(node.db, _hash(token), person.id, password_seal(stored), _stamp(moment),
                                     _stamp(expires))
    return Session(token, person, expires)


def resume(node: Node, token: str | None, *, at: datetime | None = None) -> Session | None:
    """The live session a cookie value names, or None (unknown, expired, or the password changed)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    moment = at or datetime.now(timezone.utc)
    row = session_store.live_session(node.db, _hash(token), _stamp(moment))
    if row is None or row.password_hash is None:
        return None
    if not hmac.compare_digest(password_seal(row.password_hash), row.password_seal):
        return None  # the password changed since this browser signed in
    person = actor_store.actor(node.db, row.actor)
    if person is None or not person.local or person.kind != "person":
        return None
    expires = datetime.strptime(row.expires_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return Session(token, person, expires)


def end(node: Node, token: str | None) -> bool:
    """Sign a browser out; False if its session was already gone."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return False
    with transaction(node.db):
        return session_store.delete_session(node.db, _hash(token))
