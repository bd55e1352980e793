"""A mirror honours the redaction notices in the log it mirrors: it drops its copy of a
redacted entry's bytes (keeping the leaf hash) once a signed checkpoint covers the notice,
and keeps the figures the notice retained for standing (docs/methods.md, "Redaction").

Only a notice the origin itself signed counts: its actor is on the origin's server and its
proof, which the replica checks verified against a key the log published, is that actor's.
A notice naming a leaf hash the mirror does not hold at that index drops nothing.
"""

import json
from typing import Sequence

from ... import redactions, urls
from ...ld.canonical import canonicalize
from ...node import Node
from ...sig.proof import proof_verification_method
from ...store import redactions as redaction_store
from ...store.mirrors import MirrorRow

# Cheap test before parsing: a notice's type names it, and nearly every entry is not one.
_MARK = b'"Redaction"'


def stage_notices(node: Node, row: MirrorRow, entries: Sequence[tuple[int, bytes, bytes | None]]) -> None:
    """Record the notices among checked entries (the caller holds the transaction)."""
    found = []
    for idx, _, body in entries:
        if body is None or _MARK not in body:
            continue
        activity = json.loads(body)
        notice = redactions.read_notice(activity)
        actor = activity.get("actor")
        if notice is None or not isinstance(actor, str) or not urls.same_origin(actor, row.url):
            continue
        if (proof_verification_method(activity) or "").split("#")[0] != actor:
            continue
        index, leaf, retained = notice
        if index < idx:
            found.append((index, idx, leaf, canonicalize(retained)))
    if found:
        redaction_store.stage_mirror(node.db, row.origin, found)


def apply_verified(node: Node, origin: str, size: int) -> int:
    """Drop the bytes of entries that notices below the verified ``size`` name."""
    return redaction_store.apply_mirror(node.db, origin, size)


def discard_staged(node: Node, origin: str) -> None:
    """Forget notices past the verified size, with the staged entries they came in."""
    redaction_store.discard_staged_mirror(node.db, origin)
