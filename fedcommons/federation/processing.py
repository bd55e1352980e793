"""What a node does with each activity it accepted into an inbox.

Each handler returns (state, note): 'processed' when the activity changed something,
'ignored' with the reason when it did not concern us. Activities that concern the log
(contributions to our pools, validations of our contributions, endorsements, their
Undo and Delete) are appended to it with the server they came from and the key that
verified them.

Every field is read with the typed readers of `fedcommons.fields`: a field of the wrong
shape raises `Malformed`, and the worker marks that item failed with the reason.

Handlers read on `node` (in the server, the event loop's connection, which refuses writes)
and hand what they change to the `writer` as an effect: a function of the writer's own
node, run in one transaction with the item's outcome, so its effects happen once whatever
becomes of the rest of the batch.
"""

import json
import logging
from typing import Callable
from urllib.parse import urlsplit

from .. import fields
from ..effort import claimed_minutes
from ..errors import BadInput, FedcommonsError, FetchError
from ..fields import Malformed, types
from ..node import Node, now
from ..services.actors import follows
from ..services.contributions.contributions import check_fields
from ..services.contributions.note_claims import addressed_pools, record_note_claim
from ..services.log import log_writer
from ..store import actors as actor_store
from ..store import contributions as contribution_store
from ..store import follows as follow_store
from ..store import governance as governance_store
from ..store import inbox as inbox_store
from ..store import log as log_store
from ..store import outgoing as outgoing_store
from ..store.db import transaction
from ..store.inbox import InboxItem
from . import governance_inbox
from .ownership import same_origin

log = logging.getLogger("fedcommons.processing")

Result = tuple[str, str | None]


async def process(node: Node, writer, client, item: InboxItem) -> Result:
    """Handle one accepted activity: `node` reads, `writer` writes."""
    activity = json.loads(item.body)
    if not isinstance(activity, dict):
        raise Malformed(f"the activity is {fields.describe(activity)}, not an object")
    kind = (types(activity) or [""])[0]
    handler = HANDLERS.get(kind)
    if handler is None:
        return "ignored", f"{kind or 'untyped'} activities are not handled"
    return await handler(node, writer, client, item, activity)


Effect = Callable[[Node], Result]


async def _apply(writer, item: InboxItem, effect: Effect) -> Result:
    """Run `effect` on the writer's node, recording the item's outcome in its transaction."""
    return await writer.run(_with_outcome, item, effect)


def _with_outcome(node: Node, item: InboxItem, effect: Effect) -> Result:
    with transaction(node.db):
        if not inbox_store.still_waiting(node.db, item.id):
            # Another server process on the database took it over (this one's claim
            # lapsed) and committed its effects first: they happen once.
            return "ignored", "already handled by another server process"
        state, note = effect(node)
        inbox_store.finish(node.db, item.id, state, note, now())
    return state, note


def _logged(item: InboxItem, activity: dict) -> Effect:
    """The effect of an activity that only goes into the log."""
    def log_it(node: Node) -> Result:
        _log_remote(node, item, activity)
        return "processed", None
    return log_it


def _log_remote(node: Node, item: InboxItem, activity: dict) -> None:
    # The log and its projections read `actor` as the URL that verified the activity.
    if activity.get("actor") != item.actor:
        raise Malformed("an activity for the log must name its actor by URL")
    parts = urlsplit(item.actor)
    pending = log_writer.Pending(activity, origin=f"{parts.scheme}://{parts.netloc}", verified_by=item.key_id)
    log_writer.append(node, [pending])


# --- follows -------------------------------------------------------------------------


async def _follow(node: Node, writer, client, item: InboxItem, activity: dict) -> Result:
    target = fields.ref(activity, "object")
    followee = actor_store.actor(node.db, target) if target else None
    if followee is None or not followee.local:
        return "ignored", f"{target} is not an actor on this node"
    pool = actor_store.pool(node.db, followee.id) if followee.kind == "pool" else None

    def follow(node: Node) -> Result:
        if pool is not None and pool.requires_approval:
            follow_store.upsert_follow(node.db, item.actor, followee.id, item.activity_id, "pending", now())
            return "processed", "waiting for a steward's approval"
        follows.answer(node, followee, item.actor, item.activity_id, accept=True)
        return "processed", None

    return await _apply(writer, item, follow)


async def _undo(node: Node, writer, client, item: InboxItem, activity: dict) -> Result:
    obj = fields.embedded(activity, "object")
    inner_id = fields.ref(activity, "object")
    follow = follow_store.follow_by_activity(node.db, inner_id) if inner_id else None
    if types(obj)[:1] == ["Follow"] or follow:
        followee = follow[1] if follow else fields.ref(obj, "object")

        def unfollow(node: Node) -> Result:
            if follow_store.remove_follow(node.db, item.actor, followee or ""):
                return "processed", None
            return "ignored", "no such follow"

        return await _apply(writer, item, unfollow)
    like = log_store.entry_by_activity(node.db, inner_id) if inner_id else None
    if like is not None and like.type == "Like" and like.actor == item.actor:
        return await _apply(writer, item, _logged(item, activity))
    scope = governance_inbox.revocation_scope(node, item, activity)
    if scope is not None:
        return await _apply(writer, item, lambda node: governance_inbox.record(node, scope, activity, scope))
    return "ignored", "nothing of ours to undo"


# --- the log ---------------------------------------------------------------------------


async def _create(node: Node, writer, client, item: InboxItem, activity: dict) -> Result:
    obj = fields.embedded(activity, "object")
    if obj is None:
        return "ignored", "Create without an embedded object"
    obj_types = types(obj)
    if "Contribution" in obj_types:
        return await _contribution(node, writer, item, activity, obj)
    if "Note" in obj_types:
        question = governance_inbox.vote_of(node, obj)
        if question is not None:
            return await _vote(node, writer, item, activity, obj, question)
        return await _note_claim(node, writer, client, item, obj)
    return "ignored", f"Create of {obj_types} is not handled"


async def _vote(node: Node, writer, item: InboxItem, activity: dict, note: dict, question: str) -> Result:
    ignored = governance_inbox.check_vote(node, item, activity, note, question)
    if ignored is not None:
        return ignored
    governs = governance_store.proposal(node.db, question).governs
    return await _apply(writer, item, lambda node: governance_inbox.record(node, governs, activity, question))


async def _activity(node: Node, writer, client, item: InboxItem, activity: dict) -> Result:
    """An activity typed ["Activity", ...]: of ours, a Delegate."""
    if "Delegate" not in types(activity):
        return "ignored", f"{types(activity)} activities are not handled"
    scope, why = governance_inbox.delegation_scope(node, item, activity)
    if scope is None:
        return "ignored", why
    return await _apply(writer, item, lambda node: governance_inbox.record(node, scope, activity, scope))


async def _contribution(node: Node, writer, item: InboxItem, activity: dict, obj: dict) -> Result:
    receiver = fields.ref(obj, "receiver")
    pool = actor_store.actor(node.db, receiver) if receiver else None
    if pool is not None and not pool.local and pool.kind == "pool" and follow_store.followed_here(node.db, pool.id):
        # The push woke a sync of the pool's node (web.inbox): its mirror, not this copy, holds it.
        return "ignored", f"{receiver} is a followed pool on another node: mirrored from its node's log"
    if pool is None or not pool.local or pool.kind != "pool":
        return "ignored", f"{receiver} is not a pool on this node"
    if (fields.ref(obj, "provider") or fields.ref(obj, "attributedTo")) != item.actor:
        return "ignored", "a contribution must come from its provider"
    contribution_id = fields.url(obj, "id")
    if contribution_id is None or not same_origin(contribution_id, item.actor):
        return "ignored", "the contribution's id is not on its author's server"
    problem = _effort_problem(obj)
    if problem:
        return "ignored", problem
    for field in ("kind", "name", "published", "claim"):  # what the log's projection reads as text
        fields.text(obj, field)
    try:  # the checks a contribution made on this node meets
        check_fields(node.config.kinds, kind=obj.get("kind"), summary=obj.get("name"), evidence=_evidence(obj))
    except BadInput as exc:
        return "ignored", str(exc)
    if contribution_store.contribution(node.db, contribution_id):
        return "ignored", "already recorded"

    def record(node: Node) -> Result:
        _log_remote(node, item, activity)
        _forward_to_followers(node, pool, item.body, item.activity_id)
        return "processed", None

    return await _apply(writer, item, record)


def _evidence(obj: dict) -> list:
    value = obj.get("evidence")
    return [] if value is None else value if isinstance(value, list) else [value]


def _effort_problem(obj: dict) -> str | None:
    effort = fields.embedded(obj, "effortQuantity")
    if effort is None:
        return "no effortQuantity"
    fields.number(effort, "hasNumericalValue")  # a field of the wrong shape fails the item
    fields.text(effort, "hasUnit")
    try:
        claimed_minutes(effort)
    except BadInput as exc:
        return str(exc)
    return None


def _forward_to_followers(node: Node, pool, body: bytes, activity_id: str) -> None:
    """A pool's followers hear of contributions made to it, even from other servers."""
    if follow_store.count_followers(node.db, pool.id):
        outgoing_store.enqueue(node.db, activity_id, pool.id, body, [f"{pool.id}/followers"], now())


async def _note_claim(node: Node, writer, client, item: InboxItem, note: dict) -> Result:
    pools = addressed_pools(node, note)
    if not pools:
        return "ignored", "a Note that mentions no pool of ours"
    if (fields.ref(note, "attributedTo") or item.actor) != item.actor:
        return "ignored", "the Note is not by the activity's actor"
    # Claims are keyed by the Note's id: only its author's server may mint it.
    note_id = fields.url(note, "id") or item.activity_id
    if not same_origin(note_id, item.actor):
        return "ignored", "the Note's id is not on its author's server"
    if contribution_store.claimed(node.db, note_id):
        return "ignored", "already recorded"
    try:
        person = await client.actor(item.actor)
        name = person.display_name or person.name or item.actor
    except FedcommonsError:
        name = item.actor
    return await _apply(writer, item, lambda node: record_note_claim(
        node, pools[0], note, author=item.actor, author_name=name, note_id=note_id))


async def _decision(node: Node, writer, client, item: InboxItem, activity: dict) -> Result:
    target = fields.ref(activity, "object")
    accept = types(activity)[0] == "Accept"
    follow = follow_store.follow_by_activity(node.db, target) if target else None
    if follow is not None:
        follower, followee, _ = follow
        if followee != item.actor:
            return "ignored", "only the followed actor answers a Follow"

        def answer(node: Node) -> Result:
            if accept:
                follow_store.accept_follow(node.db, follower, followee)
            else:
                follow_store.remove_follow(node.db, follower, followee)
            return "processed", None

        return await _apply(writer, item, answer)
    contribution = contribution_store.contribution(node.db, target) if target else None
    if contribution is None:
        return "ignored", "neither a Follow we sent nor a contribution we hold"
    if contribution.status != "pending":
        return "ignored", f"already {contribution.status}"
    pool = actor_store.actor(node.db, contribution.pool)
    if pool is not None and pool.local:
        return "ignored", "our own pools are validated by our own stewards"
    fields.text(activity, "content")  # a Reject's reason, which the log's projection keeps
    if item.actor not in await _stewards(client, contribution.pool):
        return "ignored", f"{item.actor} is not a steward of {contribution.pool}"
    if item.actor == contribution.contributor:
        return "ignored", "a steward cannot validate their own contribution"
    return await _apply(writer, item, _logged(item, activity))


async def _stewards(client, pool: str) -> list[str]:
    """The stewards a remote pool's document names (fetched again when the cache is old)."""
    try:
        row = await client.actor(pool)
    except FetchError as exc:
        raise FetchError(f"cannot check the pool's stewards: {exc}", upstream_status=exc.upstream_status) from exc
    document = json.loads(row.document or "{}")
    return fields.refs(document, "stewards") if isinstance(document, dict) else []


async def _like(node: Node, writer, client, item: InboxItem, activity: dict) -> Result:
    target = fields.ref(activity, "object")
    contribution = contribution_store.contribution(node.db, target) if target else None
    if contribution is None:
        return "ignored", "not a contribution we hold"
    if contribution.contributor == item.actor:
        return "ignored", "self-endorsement counts for nothing"
    if contribution_store.has_endorsed(node.db, contribution.id, item.actor):
        return "ignored", "already endorsed"
    return await _apply(writer, item, _logged(item, activity))


async def _update(node: Node, writer, client, item: InboxItem, activity: dict) -> Result:
    if fields.ref(activity, "object") != item.actor:
        return "ignored", "only updates of the actor itself are handled"
    await client.actor(item.actor, refresh=True)  # picks up a rotated key; doing it twice is harmless
    return "processed", None


async def _delete(node: Node, writer, client, item: InboxItem, activity: dict) -> Result:
    target = fields.ref(activity, "object")
    if target == item.actor:

        def forget(node: Node) -> Result:
            follow_store.remove_follows_of(node.db, item.actor)
            return "processed", "actor deleted: follows removed"

        return await _apply(writer, item, forget)
    contribution = contribution_store.contribution(node.db, target) if target else None
    if contribution is not None and contribution.contributor == item.actor:
        return await _apply(writer, item, _logged(item, activity))
    return "ignored", "nothing of ours to delete"


HANDLERS = {
    "Activity": _activity,
    "Follow": _follow,
    "Undo": _undo,
    "Create": _create,
    "Accept": _decision,
    "Reject": _decision,
    "Like": _like,
    "Update": _update,
    "Delete": _delete,
}
