"""Where things live under a node's base URL. Every id comes from the configured URL,
never from a request's Host header (nodes run behind TLS-terminating proxies)."""

import hashlib
import re
import secrets
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from .errors import BadInput

# WebFinger handles: lowercase letters, digits, '_', '-', '.' (not at the ends).
NAME_PATTERN = re.compile(r"^[a-z0-9_](?:[a-z0-9_.-]{0,62}[a-z0-9_])?$")

KIND_PATHS = {"person": "users", "pool": "pools", "cooperative": "coops"}

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MILLISECOND = timedelta(milliseconds=1)
_LAST_MILLISECOND = 2**48 - 1  # what 12 hex digits hold: the year 10889


def check_name(name: str, what: str = "name") -> str:
    """A valid local handle, or BadInput saying what is allowed."""
    if not NAME_PATTERN.match(name or ""):
        raise BadInput(
            f"{what} {name!r} is not a valid handle: use 1-64 lowercase letters, digits, "
            "'_', '-' or '.', not starting or ending with '-' or '.'"
        )
    return name


def node_actor(base: str) -> str:
    """The instance actor."""
    return f"{base}/actor"


def actor_url(base: str, kind: str, name: str) -> str:
    """A local person, pool or cooperative."""
    return f"{base}/{KIND_PATHS[kind]}/{name}"


def fresh_token() -> str:
    """32 hex digits that sort by the time they were made: 48 bits of Unix milliseconds,
    then 80 random bits (the layout of a version 7 UUID, without its version digits).

    New ids then land at the end of the indexes that hold them (the log's activity ids,
    contributions): a batch of appends writes a few index pages instead of one page per
    id, which on a log of millions of entries is most of what an append writes."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def new_activity(base: str) -> str:
    """A fresh activity id."""
    return f"{base}/activities/{fresh_token()}"


def new_contribution(base: str) -> str:
    """A fresh contribution id."""
    return f"{base}/contributions/{fresh_token()}"


def imported_contribution(base: str, pool: str, key: str, at: str | None = None) -> str:
    """The id of the contribution imported from the row with this key into this pool: the
    same every time, so the row can be found again.

    With `at`, the time of the work as the log writes times (``2024-05-01T12:00:00Z``), the
    id sorts by that time like a fresh one (:func:`fresh_token`'s layout: its Unix
    milliseconds, then 80 bits of the digest), so an import in time order appends at the end
    of every index that holds its ids. Without it (rows of a file, sources whose times may
    change while their keys stay, such as citation files, and the source imports of nodes
    older than this form), the id is the first 128 bits of the digest."""
    digest = hashlib.sha256(f"{pool}\n{key}".encode()).hexdigest()
    if at is None:
        return f"{base}/contributions/{digest[:32]}"
    millis = min(max(0, (datetime.fromisoformat(at) - _EPOCH) // _MILLISECOND), _LAST_MILLISECOND)
    return f"{base}/contributions/{millis:012x}{digest[:20]}"


def home_of_pool(pool: str) -> str | None:
    """The base URL of the node a fedcommons pool lives on (pools are at ``{base}/pools/{slug}``,
    and a node served under a path keeps it in its base); None for a URL of another shape."""
    base, found, _ = pool.rpartition("/pools/")
    return base if found else None


def key_ids(actor: str) -> tuple[str, str]:
    """(RSA key id, Ed25519 key id) of an actor."""
    return f"{actor}#main-key", f"{actor}#ed25519-key"


def is_local(base: str, url: str) -> bool:
    """Whether a URL is under this node's base URL."""
    return url == base or url.startswith(base + "/") or url.startswith(base + "#")


def same_origin(a: str, b: str) -> bool:
    """Same scheme, host and port (what a fetched document's id must share with its URL)."""
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)
