"""Redacting an entry of this node's log: its bytes go, its leaf hash and figures stay.

Who may: a steward of the pool the entry belongs to, or the node's admin (acting as the
node's instance actor, `--as node`), who alone may redact entries that belong to no pool.
What may not be redacted: an entry that publishes keys (later proofs are checked against
them), a cooperative's Distribution (its books stay open, and later payouts subtract what
it paid) and a redaction notice itself (it carries the redacted entry's figures).
The node's other copies of the activity (sent, queued, received) become a Tombstone.
See docs/methods.md, "Redaction".
"""

import json

from ... import redactions, urls
from ...errors import BadInput, Conflict, Forbidden, NotFound
from ...fields import object_id, types
from ...ld.canonical import canonicalize
from ...node import NODE_NAME, Node, now
from ...store import actors as actor_store
from ...store import contributions as contribution_store
from ...store import log as log_store
from ...store import redactions as redaction_store
from ...store.actors import ActorRow
from ...store.db import transaction
from ..actors.actors import require
from ..actors.signing import sign_as
from . import log_writer

MAX_REASON = 500


def redact(node: Node, index: int, *, reason: str, by: str) -> dict:
    """Drop the bytes of entry ``index`` and append the signed notice; returns the notice.
    Nothing is written when anything is refused (BadInput, NotFound, Forbidden, Conflict)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise BadInput("a redaction needs a reason (--reason TEXT); it is published in the notice")
    if len(reason) > MAX_REASON:
        raise BadInput(f"the reason is {len(reason)} characters; at most {MAX_REASON}")
    actor = _redactor(node, by)
    with transaction(node.db):
        entry = log_store.entry(node.db, index)
        if entry is None:
            raise NotFound(f"no entry {index} in the log (it has {log_store.log_size(node.db)})")
        if entry.body is None:
            raise Conflict(f"entry {index} is already redacted")
        activity = json.loads(entry.body)
        _check_redactable(index, activity)
        if actor.kind != "node":
            pool = pool_of(node, activity)
            if pool is None:
                raise Forbidden(f"entry {index} belongs to no pool: only the node's admin "
                                f"(--as {NODE_NAME}) may redact it")
            if actor.id not in actor_store.stewards(node.db, pool):
                raise Forbidden(f"{by} is not a steward of {pool}, the pool entry {index} belongs to")
        notice = redactions.notice(
            activity_id=urls.new_activity(node.url), actor=actor.id, index=index,
            leaf_hash=entry.leaf_hash, redacted=activity, reason=reason, published=now(),
        )
        pending = sign_as(node, actor, notice)
        [row] = log_writer.append(node, [pending])
        tombstone = redactions.tombstone(activity["id"], entry.type, notice["published"])
        redaction_store.redact(node.db, index, row.idx, canonicalize(notice["retained"]),
                               canonicalize(tombstone))
    return pending.activity


def _redactor(node: Node, name: str) -> ActorRow:
    if name == NODE_NAME:
        return require(node, NODE_NAME, "node")
    return require(node, name, "person")


def _check_redactable(index: int, activity: dict) -> None:
    if redactions.is_notice(activity):
        raise BadInput(f"entry {index} is a redaction notice: it carries the figures of what it "
                       "redacted, and stays")
    obj = activity.get("object")
    if isinstance(obj, dict):
        if "assertionMethod" in obj or "publicKey" in obj:
            raise BadInput(f"entry {index} publishes keys that later proofs are checked against; "
                           "it cannot be redacted")
        if "Distribution" in types(obj):
            raise BadInput(f"entry {index} is a cooperative's Distribution: published books stay open, "
                           "and later payouts subtract what it paid")


def pool_of(node: Node, activity: dict) -> str | None:
    """The pool an entry belongs to: a contribution's receiver, the pool of the contribution
    a validation, endorsement, withdrawal or undone endorsement is about, or the pool an
    Update describes; None for anything else."""
    kind = (types(activity) or [""])[0]
    obj = activity.get("object")
    if isinstance(obj, dict) and "Contribution" in types(obj):
        receiver = obj.get("receiver")
        return receiver if isinstance(receiver, str) else None
    if isinstance(obj, dict) and "CommonPool" in types(obj):
        return obj.get("id") if isinstance(obj.get("id"), str) else None
    target = object_id(activity)
    if not target:
        return None
    if kind == "Undo":
        # An undone Like: the pool of the contribution the Like was about.
        liked = log_store.entry_by_activity(node.db, target)
        if liked is None or liked.body is None:
            return None
        target = object_id(json.loads(liked.body))
        if not target:
            return None
    row = contribution_store.contribution(node.db, target)
    return row.pool if row else None
