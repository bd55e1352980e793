"""Which pools a log entry can concern: the rules behind the per-pool index of entries.

A pool's standing reads only what :class:`~fedcommons.standing.ledger.PoolLedger` keeps,
so the entries that can change it are known from the ledger's own reading rules:

- a ``Create`` of a ``Contribution`` concerns the pool it names as ``receiver``; a
  ``Create`` or ``Update`` of any other object concerns the object's ``id`` (a pool's
  own records);
- an ``Accept``, ``Reject``, ``Like`` or ``Undo`` concerns whatever pools the thing it
  refers to belongs to: a contribution belongs to its receiver, a ``Like`` to the pools
  of the contribution it endorses. Activities arrive in any order (a Like before its
  contribution), so a reference is kept and resolved whenever its target turns up.

An entry may be filed under a pool it turns out not to change (a forged contribution id,
two URLs with one 64-bit key): the ledger reads it and skips it, as it would in the full
log. Leaving out an entry that matters would be wrong; including one that does not costs
only its reading.
"""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

from .ledger import first_known, has_type, ref

READ = ("Create", "Update", "Accept", "Reject", "Like", "Undo")
_TOKEN = re.compile(r"[0-9a-f]{32}")
_HALF = 1 << 63  # unsigned 64-bit keys shifted into SQL's signed range, in the same order


class Concern(NamedTuple):
    """What one activity tells the index (a tuple: one is made for every entry appended).

    ``pool``: the URL it concerns directly; ``ref``: the URL it refers to (resolved to pools
    through the index); ``owns``: the URL it introduces, which later references resolve
    through (a contribution's id, a Like's id).
    """

    pool: str | None = None
    ref: str | None = None
    owns: str | None = None


NOTHING = Concern()


def concerns(activity: object) -> Concern:
    """What ``activity`` concerns, read as the ledger reads it; NOTHING when it concerns no pool."""
    if type(activity) is not dict:
        return NOTHING
    kind = activity.get("type")
    if type(kind) is not str:
        kind = first_known(kind, READ)
    if kind == "Create" or kind == "Update":
        obj = activity.get("object")
        if type(obj) is not dict:
            return NOTHING
        if kind == "Create" and has_type(obj.get("type"), "Contribution"):
            receiver, cid = obj.get("receiver"), obj.get("id")
            if type(receiver) is not str or not receiver:
                return NOTHING
            return Concern(pool=receiver, owns=cid if type(cid) is str and cid else None)
        ident = obj.get("id")
        return Concern(pool=ident) if type(ident) is str and ident else NOTHING
    if kind == "Accept" or kind == "Reject":
        return Concern(ref=ref(activity.get("object")))
    if kind == "Like":
        ident = activity.get("id")
        return Concern(ref=ref(activity.get("object")), owns=ident if type(ident) is str and ident else None)
    if kind == "Undo":
        obj = activity.get("object")
        if type(obj) is str:
            return Concern(ref=obj or None)
        if type(obj) is dict:
            like_id = obj.get("id")
            if type(like_id) is str and like_id:
                return Concern(ref=like_id)
            return Concern(ref=ref(obj.get("object")))
    return NOTHING


def url_key(url: str) -> int:
    """A signed 64-bit number for a URL, the index's compact name for it (see the module).

    Most URLs get 64 bits of their BLAKE2b digest. A URL whose last segment is 32 hex digits
    (this node's ids: ``urls.fresh_token``, imported contributions) gets the first 48 bits of
    that segment, the time it was made, then 16 bits of the digest: the keys of a run of
    new contributions then sort by time as their ids do, and the index rows filed under them
    go in at the end of the index instead of one random page each. Two URLs made in the same
    millisecond share a key once in 65,536 pairs, which costs only a reading (see above)."""
    segment = url[url.rfind("/") + 1:]
    if len(segment) == 32 and _TOKEN.fullmatch(segment):
        low = int.from_bytes(hashlib.blake2b(url.encode("utf-8"), digest_size=2).digest(), "big")
        return ((int(segment[:12], 16) << 16) | low) - _HALF
    return int.from_bytes(hashlib.blake2b(url.encode("utf-8"), digest_size=8).digest(), "big", signed=True)
