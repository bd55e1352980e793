"""What a node does with each activity it accepted into an inbox.

Each handler returns (state, note): 'processed' when the activity changed something,
'ignored' with the reason when it did not concern us. Activities that concern the log
(contributions to our pools, validations of our contributions, endorsements, their
Undo and Delete) are appended to it with the server they came from and the key that
verified them.
"""

import json
import logging
from urllib.parse import urlsplit

from .. import urls
from ..activities import object_id, types
from ..effort import MAX_MINUTES
from ..errors import FedcommonsError
from ..node import Node, now
from ..services import follows, log_writer
from ..services.note_claims import addressed_pools, record_note_claim
from ..store import actors as actor_store
from ..store import contributions as contribution_store
from ..store import follows as follow_store
from ..store import log as log_store
from ..store import outgoing as outgoing_store
from ..store.db import transaction
from ..store.inbox import InboxItem

log = logging.getLogger("fedcommons.processing")

Result = tuple[str, str | None]


async def process(node: Node, writer, client, item: InboxItem) -> Result:
    """Handle one accepted activity: `node` reads, `writer` writes."""
    activity = json.loads(item.body)
    kind = (types(activity) or [""])[0]
    handler = HANDLERS.get(kind)
    if handler is None:
        return "ignored", f"{kind or 'untyped'} activities are not handled"
    return await handler(node, writer, client, item, activity)


def _origin(actor: str) -> str:
    parts = urlsplit(actor)
    return f"{parts.scheme}://{parts.netloc}"


def _log_remote(node: Node, item: InboxItem, activity: dict) -> None:
    log_writer.append(node, [log_writer.Pending(activity, origin=_origin(item.actor), verified_by=item.key_id)])


# --- follows -------------------------------------------------------------------------


async def _follow(node: Node, writer, client, item: InboxItem, activity: dict) -> Result:
    target = object_id(activity)
    followee = actor_store.actor(node.db, target) if target else None
    if followee is None or not followee.local:
        return "ignored", f"{target} is not an actor on this node"
    pool = actor_store.pool(node.db, followee.id) if followee.kind == "pool" else None
    if pool is not None and pool.requires_approval:
        await writer.transact(follow_store.upsert_follow, item.actor, followee.id, activity["id"], "pending", now())
        return "processed", "waiting for a steward's approval"
    await writer.run(follows.answer, followee, item.actor, activity["id"], accept=True)
    return "processed", None


async def _undo(node: Node, writer, client, item: InboxItem, activity: dict) -> Result:
    obj = activity.get("object")
    inner_id = object_id(activity)
    inner_type = (types(obj) or [""])[0] if isinstance(obj, dict) else ""
    follow = follow_store.follow_by_activity(node.db, inner_id) if inner_id else None
    if inner_type == "Follow" or follow:
        followee = follow[1] if follow else (obj.get("object") if isinstance(obj, dict) else None)
        removed = await writer.transact(follow_store.remove_follow, item.actor, object_id({"object": followee}) or "")
        return ("processed", None) if removed else ("ignored", "no such follow")
    like = log_store.entry_by_activity(node.db, inner_id) if inner_id else None
    if like is not None and like.type == "Like" and like.actor == item.actor:
        await writer.run(_log_remote, item, activity)
        return "processed", None
    return "ignored", "nothing of ours to undo"


# --- the log ---------------------------------------------------------------------------


async def _create(node: Node, writer, client, item: InboxItem, activity: dict) -> Result:
    obj = activity.get("object")
    if not isinstance(obj, dict):
        return "ignored", "Create without an embedded object"
    obj_types = types(obj)
    if "Contribution" in obj_types:
        return await _contribution(node, writer, item, activity, obj)
    if "Note" in obj_types:
        return await _note_claim(node, writer, client, item, activity, obj)
    return "ignored", f"Create of {obj_types} is not handled"


async def _contribution(node: Node, writer, item: InboxItem, activity: dict, obj: dict) -> Result:
    pool = actor_store.actor(node.db, obj.get("receiver") or "")
    if pool is None or not pool.local or pool.kind != "pool":
        return "ignored", f"{obj.get('receiver')} is not a pool on this node"
    provider = obj.get("provider") or obj.get("attributedTo")
    if provider != item.actor:
        return "ignored", "a contribution must come from its provider"
    if not isinstance(obj.get("id"), str) or not urls.same_origin(obj["id"], item.actor):
        return "ignored", "the contribution's id is not on its author's server"
    problem = _effort_problem(obj.get("effortQuantity"))
    if problem:
        return "ignored", problem
    if obj.get("kind") not in node.config.kinds:
        return "ignored", f"unknown kind {obj.get('kind')!r}"
    if contribution_store.contribution(node.db, obj["id"]):
        return "ignored", "already recorded"
    await writer.run(_record_contribution, pool, item, activity)
    return "processed", None


def _record_contribution(node: Node, pool, item: InboxItem, activity: dict) -> None:
    with transaction(node.db):
        _log_remote(node, item, activity)
        _forward_to_followers(node, pool, item.body, activity["id"])


def _effort_problem(effort) -> str | None:
    if not isinstance(effort, dict):
        return "no effortQuantity"
    value = effort.get("hasNumericalValue")
    unit = effort.get("hasUnit")
    try:
        minutes = float(value) * (60 if unit == "hour" else 1)
    except (TypeError, ValueError):
        return "effort is not a number"
    if unit not in ("minute", "hour") or not 0 < minutes <= MAX_MINUTES or minutes != int(minutes):
        return "effort must be a positive whole number of minutes, at most a week"
    return None


def _forward_to_followers(node: Node, pool, body: bytes, activity_id: str) -> None:
    """A pool's followers hear of contributions made to it, even from other servers."""
    if follow_store.count_followers(node.db, pool.id):
        outgoing_store.enqueue(node.db, activity_id, pool.id, body, [f"{pool.id}/followers"], now())


async def _note_claim(node: Node, writer, client, item: InboxItem, activity: dict, note: dict) -> Result:
    pools = addressed_pools(node, note)
    if not pools:
        return "ignored", "a Note that mentions no pool of ours"
    author = note.get("attributedTo") or item.actor
    if author != item.actor:
        return "ignored", "the Note is not by the activity's actor"
    note_id = note.get("id") if isinstance(note.get("id"), str) else activity["id"]
    if contribution_store.claimed(node.db, note_id):
        return "ignored", "already recorded"
    try:
        person = await client.actor(item.actor)
        name = person.display_name or person.name or item.actor
    except FedcommonsError:
        name = item.actor
    return await writer.run(record_note_claim, pools[0], note, author=item.actor, author_name=name,
                            note_id=note_id)


async def _decision(node: Node, writer, client, item: InboxItem, activity: dict) -> Result:
    target = object_id(activity)
    follow = follow_store.follow_by_activity(node.db, target) if target else None
    if follow is not None:
        follower, followee, _ = follow
        if followee != item.actor:
            return "ignored", "only the followed actor answers a Follow"
        answer = follow_store.accept_follow if types(activity)[0] == "Accept" else follow_store.remove_follow
        await writer.transact(answer, follower, followee)
        return "processed", None
    contribution = contribution_store.contribution(node.db, target) if target else None
    if contribution is None:
        return "ignored", "neither a Follow we sent nor a contribution we hold"
    if contribution.status != "pending":
        return "ignored", f"already {contribution.status}"
    pool = actor_store.actor(node.db, contribution.pool)
    if pool is not None and pool.local:
        return "ignored", "our own pools are validated by our own stewards"
    try:
        pool_row = await client.actor(contribution.pool)
        stewards = json.loads(pool_row.document or "{}").get("stewards") or []
    except FedcommonsError as exc:
        raise FedcommonsError(f"cannot check the pool's stewards: {exc}") from exc
    if item.actor not in stewards:
        return "ignored", f"{item.actor} is not a steward of {contribution.pool}"
    if item.actor == contribution.contributor:
        return "ignored", "a steward cannot validate their own contribution"
    await writer.run(_log_remote, item, activity)
    return "processed", None


async def _like(node: Node, writer, client, item: InboxItem, activity: dict) -> Result:
    target = object_id(activity)
    contribution = contribution_store.contribution(node.db, target) if target else None
    if contribution is None:
        return "ignored", "not a contribution we hold"
    if contribution.contributor == item.actor:
        return "ignored", "self-endorsement counts for nothing"
    if contribution_store.has_endorsed(node.db, contribution.id, item.actor):
        return "ignored", "already endorsed"
    await writer.run(_log_remote, item, activity)
    return "processed", None


async def _update(node: Node, writer, client, item: InboxItem, activity: dict) -> Result:
    if object_id(activity) != item.actor:
        return "ignored", "only updates of the actor itself are handled"
    await client.actor(item.actor, refresh=True)  # picks up a rotated key
    return "processed", None


async def _delete(node: Node, writer, client, item: InboxItem, activity: dict) -> Result:
    target = object_id(activity)
    if target == item.actor:
        await writer.transact(follow_store.remove_follows_of, item.actor)
        return "processed", "actor deleted: follows removed"
    contribution = contribution_store.contribution(node.db, target) if target else None
    if contribution is not None and contribution.contributor == item.actor:
        await writer.run(_log_remote, item, activity)
        return "processed", None
    return "ignored", "nothing of ours to delete"


HANDLERS = {
    "Follow": _follow,
    "Undo": _undo,
    "Create": _create,
    "Accept": _decision,
    "Reject": _decision,
    "Like": _like,
    "Update": _update,
    "Delete": _delete,
}
