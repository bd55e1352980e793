"""Actor documents and their collections, as JSON-LD or as a page."""

import json

from aiohttp import web

from ..node import NODE_NAME
from ..services.actors.actors import actor_document
from ..store import actors as actor_store
from ..store import contributions as contribution_store
from ..store import follows as follow_store
from ..store import log as log_store
from ..store.actors import ActorRow
from .collections import paged
from .keys import NODE
from .negotiation import activity_response, wants_activity_json
from .pages import actor_page

KINDS = {"users": "person", "pools": "pool", "coops": "cooperative"}


def local_actor(request: web.Request) -> ActorRow:
    """The local actor a URL names, or 404."""
    node = request.app[NODE]
    if request.match_info.get("kind") is None:
        row = actor_store.local_actor(node.db, NODE_NAME, "node")
    else:
        row = actor_store.local_actor(node.db, request.match_info["name"], KINDS[request.match_info["kind"]])
    if row is None:
        raise web.HTTPNotFound(text="no such actor on this node")
    return row


async def actor(request: web.Request) -> web.Response:
    """GET an actor: JSON-LD for ActivityPub clients, a page for browsers."""
    node = request.app[NODE]
    row = local_actor(request)
    doc = actor_document(node, row)
    if wants_activity_json(request):
        return activity_response(doc)
    return await actor_page(request, row, doc)


async def outbox(request: web.Request) -> web.Response:
    """The activities an actor authored, newest first, embedded."""
    node = request.app[NODE]
    row = local_actor(request)
    total = log_store.count_by_actor(node.db, row.id)

    def items(limit, offset):
        return [json.loads(e.body) for e in log_store.entries_by_actor(node.db, row.id, limit, offset)
                if e.body is not None]

    return activity_response(paged(request, f"{row.id}/outbox", total, items))


def _relation(name: str, count, listing, summary: str):
    """A handler for an actor's followers or following collection."""

    async def handler(request: web.Request) -> web.Response:
        node = request.app[NODE]
        row = local_actor(request)
        return activity_response(paged(
            request, f"{row.id}/{name}", count(node.db, row.id),
            lambda limit, offset: [_actor_ref(node, a) for a in listing(node.db, row.id, limit, offset)],
        ))

    handler.__doc__ = summary
    return handler


followers = _relation("followers", follow_store.count_followers, follow_store.followers, "Who follows an actor.")
following = _relation("following", follow_store.count_following, follow_store.following, "Whom an actor follows.")


async def pool_contributions(request: web.Request) -> web.Response:
    """A pool's contributions, newest first, each the logged object with its status."""
    node = request.app[NODE]
    row = local_actor(request)
    if row.kind != "pool":
        raise web.HTTPNotFound(text="only pools have contributions")
    total = contribution_store.count_of_pool(node.db, row.id)

    def items(limit, offset):
        out = []
        for c in contribution_store.contributions_of_pool(node.db, row.id, limit=limit, offset=offset):
            entry = log_store.entry(node.db, c.entry)
            if entry and entry.body:
                obj = json.loads(entry.body)["object"]
                out.append(obj)
        return out

    return activity_response(paged(request, f"{row.id}/contributions", total, items))


def _actor_ref(node, actor_id: str) -> dict:
    row = actor_store.actor(node.db, actor_id)
    ref = {"id": actor_id}
    if row is not None:
        ref["type"] = {"node": "Application", "person": "Person", "pool": "Group",
                       "cooperative": "Organization"}[row.kind]
        if row.name:
            ref["preferredUsername"] = row.name
    return ref
