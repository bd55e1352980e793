"""Passwords of local people, for signing in to the ActivityPub API.

Hashes are scrypt with a random 16-byte salt per password. The stored string names its
own parameters (``scrypt$ln=15,r=8,p=1$salt$key``, base64 without padding), so the cost
can be raised later and old hashes still verify. Comparison is constant-time, and an
unknown account costs as much as a known one, so timing tells nobody which names exist.
"""

import base64
import hashlib
import hmac
import secrets

from ...errors import BadInput
from ...node import Node, now
from ...store import accounts as account_store
from ...store import actors as actor_store
from ...store import oauth as oauth_store
from ...store.actors import ActorRow
from ...store.db import transaction
from ..actors.actors import require

# 2**15 iterations with r=8 needs 32 MiB and takes tens of milliseconds: the cost
# OWASP recommends as a minimum for scrypt.
LOG2_N, R, P = 15, 8, 1
# The cost hash_password uses. This is a seam for tests only: tests/conftest.py lowers it,
# as the suite sets many passwords; the stored string names its cost, so the cheap
# hashes still verify. Production never changes it.
COST = (LOG2_N, R, P)
KEY_BYTES = 32
SALT_BYTES = 16
MIN_LENGTH = 8
MAX_LENGTH = 1024  # scrypt reads all of it; a megabyte "password" is an attack, not a secret

# Verified against when the account has no password, so a miss costs the same as a hit.
_DUMMY = None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    # maxmem: scrypt needs 128 * r * n bytes; allow twice that.
    return hashlib.scrypt(password.encode(), salt=salt, n=1 << log2_n, r=r, p=p,
                          maxmem=256 * r * (1 << log2_n) + 1024 * 1024, dklen=KEY_BYTES)


def hash_password(password: str) -> str:
    """A new salted scrypt hash of `password`, with its parameters."""
    check_password_text(password)
    salt = secrets.token_bytes(SALT_BYTES)
    log2_n, r, p = COST
    key = _scrypt(password, salt, log2_n, r, p)
    return f"scrypt$ln={log2_n},r={r},p={p}${_b64(salt)}${_b64(key)}"


def password_matches(stored: str | None, password: str) -> bool:
    """Whether `password` matches a stored hash (None: no password; still costs a hash)."""
    global _DUMMY
    usable = stored is not None and len(password) <= MAX_LENGTH
    if not usable:
        if _DUMMY is None:
            _DUMMY = hash_password("not a password of anyone")
        stored, password = _DUMMY, password[:MAX_LENGTH]
    try:
        scheme, params, salt, key = stored.split("$")
        values = dict(item.split("=") for item in params.split(","))
        log2_n, r, p = int(values["ln"]), int(values["r"]), int(values["p"])
        if scheme != "scrypt" or not (1 <= log2_n <= 22 and 1 <= r <= 32 and 1 <= p <= 16):
            return False
        expected = _unb64(key)
        computed = _scrypt(password, _unb64(salt), log2_n, r, p)
    except (ValueError, KeyError):
        return False
    return hmac.compare_digest(computed, expected) and usable


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
