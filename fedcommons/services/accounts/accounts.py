"""Passwords of local people, for signing in to the web pages and the ActivityPub API.

New hashes are Argon2id (RFC 9106), in the PHC string format that names its own
parameters (``$argon2id$v=19$m=65536,t=3,p=4$salt$key``), so the cost can be raised later
and old hashes still verify. Hashes made before (scrypt, ``scrypt$ln=15,r=8,p=1$salt$key``)
still verify, and are replaced by an Argon2id hash at the person's next sign-in
(:func:`needs_upgrade`, :func:`replace_hash`). Comparison is constant-time, and an unknown
account costs as much as a known one, so timing tells nobody which names exist.
"""

import base64
import hashlib
import hmac

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ...errors import BadInput
from ...node import Node, now
from ...store import accounts as account_store
from ...store import actors as actor_store
from ...store import oauth as oauth_store
from ...store import sessions as session_store
from ...store.actors import ActorRow
from ...store.db import transaction
from ..actors.actors import require
from .sessions import password_seal

# RFC 9106's second recommendation, for machines without much memory (and argon2-cffi's
# default): 3 passes over 64 MiB in 4 lanes, about a tenth of a second here. OWASP's
# first choice for password storage is Argon2id; its minimum is 19 MiB and 2 passes.
PROFILE = argon2.profiles.RFC_9106_LOW_MEMORY
# (passes, memory in KiB, lanes) that hash_password uses. A seam for tests only:
# tests/conftest.py lowers it, as the suite sets many passwords; the stored string names
# its cost, so the cheap hashes still verify. Production never changes it.
COST = (PROFILE.time_cost, PROFILE.memory_cost, PROFILE.parallelism)
MIN_LENGTH = 8
MAX_LENGTH = 1024  # Argon2 reads all of it; a megabyte "password" is an attack, not a secret
SCRYPT_KEY_BYTES = 32

# Verified against when the account has no password, so a miss costs the same as a hit.
_DUMMY: dict[tuple[int, int, int], str] = {}


def _hasher() -> argon2.PasswordHasher:
    passes, memory, lanes = COST
    return argon2.PasswordHasher(time_cost=passes, memory_cost=memory, parallelism=lanes,
                                 hash_len=PROFILE.hash_len, salt_len=PROFILE.salt_len, type=argon2.Type.ID)


def hash_password(password: str) -> str:
    """A new salted Argon2id hash of `password`, with its parameters."""
    check_password_text(password)
    return _hasher().hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    """Whether `password` matches a stored hash (None: no password; still costs a hash)."""
    usable = stored is not None and len(password) <= MAX_LENGTH
    if not usable:
        if COST not in _DUMMY:
            _DUMMY[COST] = hash_password("not a password of anyone")
        stored, password = _DUMMY[COST], password[:MAX_LENGTH]
    if stored.startswith("scrypt$"):
        return _scrypt_matches(stored, password) and usable
    try:
        return _hasher().verify(stored, password) and usable
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_upgrade(stored: str | None) -> bool:
    """Whether a hash that has just verified should be replaced: scrypt, or Argon2id at
    another cost than today's."""
    if stored is None:
        return False
    if stored.startswith("scrypt$"):
        return True
    try:
        return _hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return False


def replace_hash(node: Node, actor: str, before: str, after: str) -> bool:
    """Put `after` (a fresh hash of the same password) in place of `before`, unless the
    password has changed meanwhile. The person's signed-in browsers stay signed in: their
    sessions are sealed with the new hash in the same transaction. Tokens are untouched
    (the password itself did not change)."""
    with transaction(node.db):
        if account_store.password_hash(node.db, actor) != before:
            return False
        account_store.set_password_hash(node.db, actor, after, now())
        session_store.reseal(node.db, actor, password_seal(before), password_seal(after))
    return True


def _scrypt_matches(stored: str, password: str) -> bool:
    """The hashes of earlier versions: ``scrypt$ln=N,r=R,p=P$salt$key``."""
    try:
        scheme, params, salt, key = stored.split("$")
        values = dict(item.split("=") for item in params.split(","))
        log2_n, r, p = int(values["ln"]), int(values["r"]), int(values["p"])
        if scheme != "scrypt" or not (1 <= log2_n <= 22 and 1 <= r <= 32 and 1 <= p <= 16):
            return False
        expected = _unb64(key)
        # maxmem: scrypt needs 128 * r * n bytes; allow twice that.
        computed = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=1 << log2_n, r=r, p=p,
                                  maxmem=256 * r * (1 << log2_n) + 1024 * 1024, dklen=SCRYPT_KEY_BYTES)
    except (ValueError, KeyError):
        return False
    return hmac.compare_digest(computed, expected)


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def check_password_text(password: str) -> None:
    """BadInput for a password too short or too long to accept."""
    if len(password) < MIN_LENGTH:
        raise BadInput(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise BadInput(f"a password may have at most {MAX_LENGTH} characters")


def set_password(node: Node, name: str, password: str) -> int:
    """Set a local person's password; every token they held is revoked (a changed password
    signs out every client). Returns how many authorized clients were signed out."""
    person = require(node, name, "person")
    hashed = hash_password(password)
    with transaction(node.db):
        account_store.set_password_hash(node.db, person.id, hashed, now())
        return oauth_store.revoke_actor(node.db, person.id)


def login_name(node: Node, login: str) -> str:
    """What someone typed as their account, spelled as this node spells names: ``alice``
    for ``alice``, ``@Alice`` or ``alice@HOST`` of this node; ``alice@other.example``, with
    another host, keeps it (no one here has that name)."""
    name, _, host = login.strip().lstrip("@").partition("@")
    if host and host.lower() != node.config.host:
        return f"{name.lower()}@{host.lower()}"
    return name.lower()


def account(node: Node, login: str) -> tuple[ActorRow | None, str | None]:
    """(person, stored hash) for what someone typed as their account (see login_name).
    (None, None) when there is no such person."""
    name = login_name(node, login)
    row = None if "@" in name else actor_store.local_actor(node.db, name, "person")
    if row is None:
        return None, None
    return row, account_store.password_hash(node.db, row.id)
