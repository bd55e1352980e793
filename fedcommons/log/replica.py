"""Checking another node's log entries as they arrive, page by page. Pure: no I/O.

A page is the JSON that ``GET /log/entries`` serves (see ``fedcommons.web.logapi``)::

    {"hashEncoding": "base64", "entries": [{"index": 7, "leafHash": "...", "activity": {...}}]}

For each entry, in order:

1. its index is the next one expected: a page that skips, repeats or stops short of the
   entries asked for is refused;
2. the activity's RFC 8785 bytes, recomputed from the JSON received, hash to the leaf
   hash given (the peer's bytes are JCS, so they round-trip exactly); a redacted entry
   (``"activity": null``) contributes its leaf hash alone;
3. its Data Integrity proof verifies with a key the log itself published earlier (the
   first entry is the node describing itself, signed by the node key, which is the key
   of the pinned checkpoint verifier). An activity by one of the peer's own actors must
   carry such a proof; one signed by another server's key, which this log cannot vouch
   for, is counted as unchecked;
4. its leaf joins a staging frontier, whose root is compared with a signed checkpoint
   by the caller.

A page is checked as a whole without changing the checker; :meth:`ReplicaChecker.accept`
then moves it on. So a page that fails any check leaves nothing behind.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..errors import FedcommonsError, IntegrityError
from ..ld.canonical import canonicalize_checked, freeze_plain, parse_plain
from ..sig.keys import ed25519_public_from_multibase
from ..sig.proof import proof_verification_method, verify_proof
from ..urls import key_ids
from .merkle import HASH_SIZE, Frontier, leaf_hash
from .published_keys import published_keys

HASH_ENCODING = "base64"
"""How ``/log/entries`` and the proof endpoints encode hashes (RFC 4648 standard base64)."""

# Contexts repeat in every entry (the same inline term definitions, in the activity and
# again in its proof). Sharing one checked copy of each lets canonicalization skip
# walking them; the cap keeps a peer that sends endless variants from growing it.
_MAX_INTERNED = 64
_interned: list[Any] = []


@dataclass
class CheckedPage:
    """A page that passed every check, ready to be stored."""

    entries: list[tuple[int, bytes, bytes | None]]
    nodes: list[tuple[int, int, bytes]]
    keys: list[tuple[int, str, str]]
    frontier: Frontier
    learnt: dict
    proofs: int = 0
    unchecked: int = 0
    redacted: int = 0


@dataclass
class ReplicaCounts:
    """What a checker has accepted so far."""

    entries: int = 0
    proofs: int = 0
    unchecked: int = 0
    redacted: int = 0


@dataclass
class ReplicaChecker:
    """Checks consecutive entries of the log of the node at ``peer_url``.

    ``frontier`` is the tree the entries extend and ``keys`` (key id -> Ed25519 public
    key) what the entries before it published.
    """

    peer_url: str
    frontier: Frontier
    keys: dict
    counts: ReplicaCounts = field(default_factory=ReplicaCounts)

    @classmethod
    def start(cls, peer_url: str, actor_id: str, node_key, frontier: Frontier | None = None,
              published: Iterable[tuple[str, Any]] = ()) -> ReplicaChecker:
        """A checker for a log whose node actor ``actor_id`` signs with ``node_key`` (the
        key of its pinned verifier), extending ``frontier`` after entries that published
        ``published`` (key id, public key) pairs, in order."""
        keys = {key_ids(actor_id)[1]: node_key}
        keys.update(published)
        return cls(peer_url, frontier or Frontier.empty(), keys)

    def check_page(self, page: Any, start: int, count: int) -> CheckedPage:
        """Check a served page that must hold entries ``start .. start + count - 1``."""
        return self.check_entries(served_entries(page, start, count), start)

    def check_entries(self, entries: Iterable[tuple[int, bytes, Any]], start: int) -> CheckedPage:
        """Check (index, leaf hash, activity) triples that must continue at ``start``.

        ``activity`` is the parsed JSON of the entry, or the stored JCS bytes (which are
        then parsed here), or None for a redacted entry.
        """
        return self.settle(examine_all(entries, self.keys, self.peer_url), start)

    def settle(self, examined: Iterable[Examined], start: int) -> CheckedPage:
        """Take examined entries in order: they must continue at ``start``; a proof whose
        key was unknown when examined is checked now if an earlier entry published it
        (examined elsewhere, a page may not have known the page before it); keys are
        learnt and leaves join the staging frontier."""
        frontier = self.frontier.copy()
        learnt: dict = {}
        keys = _Overlay(self.keys, learnt)
        checked = CheckedPage([], [], [], frontier, learnt)
        expected = start
        for entry in examined:
            idx = entry.idx
            if idx != expected:
                raise IntegrityError(
                    f"entry {expected} expected, the log gave index {idx}: entries skipped or repeated"
                )
            expected += 1
            if entry.body is None:
                checked.redacted += 1
            elif entry.verified:
                checked.proofs += 1
            elif entry.pending is None:
                checked.unchecked += 1
            else:
                key = keys.get(entry.pending)
                if key is not None:
                    activity, plain = parse_plain(entry.body)
                    _verify(activity, key, idx, plain, entry.body)
                    checked.proofs += 1
                elif entry.own or _same_origin(entry.pending, self.peer_url):
                    raise IntegrityError(f"entry {idx}: signed with {entry.pending}, a key the log never published")
                else:
                    checked.unchecked += 1
            for key_id, multibase in entry.published:
                try:
                    learnt[key_id] = ed25519_public_from_multibase(multibase)
                except FedcommonsError:
                    continue
                checked.keys.append((idx, key_id, multibase))
            checked.entries.append((idx, entry.leaf, entry.body))
            checked.nodes.extend(frontier.append(entry.leaf))
        return checked

    def key_material(self) -> list[tuple[str, bytes]]:
        """The keys known so far as (key id, raw public key), to hand to another process."""
        return [(key_id, key.public_bytes_raw()) for key_id, key in self.keys.items()]

    def accept(self, checked: CheckedPage) -> None:
        """Move on past a checked page."""
        self.frontier = checked.frontier
        self.keys.update(checked.learnt)
        self.counts.entries += len(checked.entries)
        self.counts.proofs += checked.proofs
        self.counts.unchecked += checked.unchecked
        self.counts.redacted += checked.redacted


@dataclass
class Examined:
    """An entry after the checks that need nothing but the keys known when it was looked at."""

    idx: int
    leaf: bytes
    body: bytes | None
    own: bool = False
    verified: bool = False
    pending: str | None = None
    published: list = field(default_factory=list)


def examine_all(entries: Iterable[tuple[int, bytes, Any]], keys: dict, peer_url: str) -> Iterator[Examined]:
    """Examine entries in order, later ones with the keys earlier ones published."""
    learnt: dict = {}
    overlay = _Overlay(keys, learnt)
    for idx, leaf, activity in entries:
        entry = examine(idx, leaf, activity, overlay, peer_url)
        for key_id, multibase in entry.published:
            try:
                learnt[key_id] = ed25519_public_from_multibase(multibase)
            except FedcommonsError:
                continue
        yield entry


def examine_page(raw: bytes, start: int, count: int, peer_url: str,
                 known: list[tuple[str, bytes]]) -> list[Examined]:
    """Parse and examine a served page in another process; ``known`` is ``key_material()``."""
    try:
        page = _parse_page(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise IntegrityError(f"the page of entries from {start} is not valid JSON: {exc}") from None
    return list(examine_all(served_entries(page, start, count), _keys(known), peer_url))


def examine_stored(entries: list[tuple[int, bytes, bytes | None]], peer_url: str,
                   known: list[tuple[str, bytes]]) -> list[Examined]:
    """Examine stored (index, leaf hash, bytes) entries in another process; ``known`` is
    ``key_material()``."""
    return list(examine_all(entries, _keys(known), peer_url))


def _keys(known: list[tuple[str, bytes]]) -> dict:
    return {key_id: Ed25519PublicKey.from_public_bytes(value) for key_id, value in known}


def _parse_page(raw: bytes) -> Any:
    """orjson reads a page in half the time of the standard parser. What it refuses (a
    lone surrogate, say) goes to the standard parser, so that the entry holding it is
    the one named as bad. (An integer past 64 bits comes back from orjson as a double:
    as for every entry, its canonical bytes are recomputed from the value parsed and must
    hash to the leaf.)"""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def examine(idx: int, leaf: bytes, activity: Any, keys, peer_url: str) -> Examined:
    """Check one entry's bytes against its leaf hash and its proof against ``keys``."""
    if activity is None:
        return Examined(idx, leaf, None)
    if isinstance(activity, bytes):
        body = activity
        try:
            activity, plain = parse_plain(body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise IntegrityError(f"entry {idx}: its bytes are not JSON") from None
        actual = leaf_hash(body)
    else:
        shared = _intern_contexts(activity)
        body, plain = _canonical(activity, idx)
        actual = leaf_hash(body)
        if actual != leaf and shared:
            # A context equal to a shared one but spelled differently (1 for true, say):
            # canonicalize the entry's own values after all.
            for container, key, original in shared:
                container[key] = original
            body, plain = _canonical(activity, idx)
            actual = leaf_hash(body)
    if actual != leaf:
        raise IntegrityError(f"entry {idx}: the activity does not hash to its leaf hash (altered or corrupted)")
    if not isinstance(activity, dict) or not isinstance(activity.get("id"), str):
        raise IntegrityError(f"entry {idx}: not an activity with an id")
    entry = Examined(idx, leaf, body, own=_is_own(activity, peer_url),
                     published=published_keys(activity, origin=peer_url))
    method = proof_verification_method(activity)
    if method is None:
        if entry.own:
            raise IntegrityError(f"entry {idx}: an activity of the log's own node without a Data Integrity proof")
        return entry
    key = keys.get(method)
    if key is None:
        entry.pending = method  # decided in order, once every earlier entry is known
        return entry
    _verify(activity, key, idx, plain, body)
    entry.verified = True
    return entry


def _verify(activity: dict, key, idx: int, plain: bool = False, body: bytes | None = None) -> None:
    result = verify_proof(activity, key, plain=plain, canonical=body)
    if not result.ok:
        raise IntegrityError(f"entry {idx}: its Data Integrity proof does not verify ({result.reason})")


def served_entries(page: Any, start: int, count: int) -> Iterator[tuple[int, bytes, Any]]:
    """(index, leaf hash, activity) of a served page that must hold ``count`` entries from ``start``."""
    if not isinstance(page, dict) or not isinstance(page.get("entries"), list):
        raise IntegrityError(f"the page of entries from {start} is not an object with an entries list")
    encoding = page.get("hashEncoding", HASH_ENCODING)
    if encoding != HASH_ENCODING:
        raise IntegrityError(f"the page of entries from {start} encodes hashes as {encoding!r}, not base64")
    served = page["entries"]
    if len(served) < count:
        raise IntegrityError(
            f"the page of entries from {start} holds {len(served)} entries, expected {count}: "
            "a truncated page or a log shorter than its checkpoint"
        )
    if len(served) > count:
        raise IntegrityError(f"the page of entries from {start} holds {len(served)} entries, {count} were asked for")
    return _served_entries(served, start)


class _Overlay:
    """Keys published before the page, and those the page itself published so far."""

    __slots__ = ("base", "page")

    def __init__(self, base: dict, page: dict):
        self.base, self.page = base, page

    def get(self, key_id: str):
        """The key of ``key_id``, the page's own first."""
        found = self.page.get(key_id)
        return found if found is not None else self.base.get(key_id)


def decode_hash(value: Any, what: str) -> bytes:
    """A base64 hash from the wire, or IntegrityError naming ``what``."""
    if not isinstance(value, str):
        raise IntegrityError(f"{what} is not a base64 string")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise IntegrityError(f"{what} is not valid base64") from None
    if len(raw) != HASH_SIZE:
        raise IntegrityError(f"{what} is {len(raw)} bytes, a SHA-256 hash is {HASH_SIZE}")
    return raw


def _served_entries(served: list, start: int):
    for offset, item in enumerate(served):
        if not isinstance(item, dict):
            raise IntegrityError(f"entry {start + offset} of the page is not an object")
        idx = item.get("index")
        if not isinstance(idx, int) or isinstance(idx, bool):
            raise IntegrityError(f"entry {start + offset} of the page has no integer index")
        activity = item.get("activity")
        if activity is not None and not isinstance(activity, dict):
            raise IntegrityError(f"entry {idx}: activity is neither an object nor null")
        yield idx, decode_hash(item.get("leafHash"), f"entry {idx}: leafHash"), activity


def _canonical(activity: dict, idx: int) -> tuple[bytes, bool]:
    try:
        return canonicalize_checked(activity)
    except FedcommonsError as exc:
        raise IntegrityError(f"entry {idx}: the activity has no canonical form ({exc})") from None


def _intern_contexts(activity: Any) -> list[tuple[dict, str, Any]]:
    """Swap the activity's contexts for equal shared copies; returns what was swapped."""
    swapped = []
    if isinstance(activity, dict):
        proof = activity.get("proof")
        for container in (activity, proof):
            if isinstance(container, dict) and "@context" in container:
                original = container["@context"]
                shared = _intern(original)
                if shared is not original:
                    container["@context"] = shared
                    swapped.append((container, "@context", original))
    return swapped


def _intern(value: Any) -> Any:
    if not isinstance(value, (list, dict)):
        return value
    for known in _interned:
        if known == value:
            return known
    if len(_interned) < _MAX_INTERNED:
        try:
            _interned.append(freeze_plain(value))
        except FedcommonsError:
            pass  # not plain JSON: canonicalize takes its careful path for it
    return value


def _is_own(activity: dict, peer_url: str) -> bool:
    """An activity whose actor lives on the log's own node."""
    actor = activity.get("actor")
    if isinstance(actor, dict):
        actor = actor.get("id")
    return isinstance(actor, str) and _same_origin(actor, peer_url)


def _same_origin(a: str, b: str) -> bool:
    # A log names the same few actors and keys over and over: parse each URL once.
    return _origin(a) == _origin(b) is not None


@functools.lru_cache(maxsize=4096)
def _origin(url: str) -> tuple | None:
    try:
        parts = urlsplit(url)
        return parts.scheme, parts.hostname, parts.port
    except ValueError:
        return None
