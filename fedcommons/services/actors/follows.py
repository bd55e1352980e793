"""Answering Follows: at once, or after a steward approves (pools that ask for approval)."""

from ... import activities, urls
from ...errors import Conflict, Forbidden, NotFound
from ...node import Node, now
from ...store import actors as actor_store
from ...store import follows as follow_store
from ...store import outgoing as outgoing_store
from ...store.actors import ActorRow
from ...store.db import transaction
from .actors import require
from .signing import sign_as


def answer(node: Node, followee: ActorRow, follower: str, follow_id: str, *, accept: bool) -> dict:
    """Record the answer to a Follow and queue the Accept or Reject for the follower."""
    reply = activities.follow_answer(activity_id=urls.new_activity(node.url), actor=followee.id,
                                     follower=follower, follow_id=follow_id, accept=accept, published=now())
    pending = sign_as(node, followee, reply)
    with transaction(node.db):
        if accept:
            follow_store.upsert_follow(node.db, follower, followee.id, follow_id, "accepted", now())
        else:
            follow_store.remove_follow(node.db, follower, followee.id)
        outgoing_store.enqueue(node.db, reply["id"], followee.id, pending.body, [follower], now())
    return pending.activity


def send_follow(node: Node, follower: ActorRow, target: ActorRow) -> dict:
    """`follower` (local) follows `target` (remote): recorded as pending, and queued for the
    running server to deliver; the other side's Accept makes it a follow."""
    activity = activities.follow(activity_id=urls.new_activity(node.url), actor=follower.id, target=target.id,
                                 published=now())
    pending = sign_as(node, follower, activity)
    with transaction(node.db):
        follow_store.upsert_follow(node.db, follower.id, target.id, activity["id"], "pending", now())
        outgoing_store.enqueue(node.db, activity["id"], follower.id, pending.body, [target.id], now())
    return pending.activity


def pending_followers(node: Node, pool_slug: str) -> list[tuple[str, str]]:
    """(follower, Follow id) of the Follows a pool's stewards have not answered yet."""
    pool = require(node, pool_slug, "pool")
    return follow_store.pending(node.db, pool.id)


def approve(node: Node, pool_slug: str, follower: str, steward: str, *, accept: bool = True) -> dict:
    """A steward accepts (or rejects) a pending Follow of their pool."""
    pool = require(node, pool_slug, "pool")
    person = require(node, steward, "person")
    if person.id not in actor_store.stewards(node.db, pool.id):
        raise Forbidden(f"{steward} is not a steward of {pool_slug}")
    waiting = dict(follow_store.pending(node.db, pool.id))
    if follower not in waiting:
        if follower in follow_store.followers(node.db, pool.id):
            raise Conflict(f"{follower} already follows {pool_slug}")
        raise NotFound(f"no pending Follow of {pool_slug} by {follower}")
    return answer(node, pool, follower, waiting[follower], accept=accept)
