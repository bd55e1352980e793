"""Actor documents and their collections, as JSON-LD or as a page."""

import json

from aiohttp import web

from ..app import NODE
from ..effort import format_effort
from ..node import NODE_NAME
from ..services.actors import actor_document
from ..store import actors as actor_store
from ..store import contributions as contribution_store
from ..store import follows as follow_store
from ..store import log as log_store
from ..store.actors import ActorRow
from . import html
from .collections import paged
from .negotiation import activity_response, wants_activity_json

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
    return web.Response(text=actor_page(node, row, doc), content_type="text/html")


def actor_page(node, row: ActorRow, doc: dict) -> str:
    """A plain, readable page for an actor."""
    handle = f"@{doc['preferredUsername']}@{node.config.host}"
    parts = [f"<h1>{html.esc(row.display_name or row.name)}</h1>",
             f"<p class=muted>{html.esc(handle)} · {html.esc(row.kind)}</p>"]
    if row.summary:
        parts.append(f"<p>{html.esc(row.summary)}</p>")
    if row.kind == "pool":
        parts.append("<h2>Stewards</h2><ul>"
                     + "".join(f"<li>{html.link(s)}</li>" for s in doc.get("stewards", [])) + "</ul>")
        if doc.get("license"):
            parts.append(f"<p>Licence: <code>{html.esc(doc['license'])}</code></p>")
        rows = contribution_store.contributions_of_pool(node.db, row.id, limit=50)
        parts.append(_contribution_table(rows, show_pool=False))
    elif row.kind == "person":
        rows = contribution_store.contributions_of(node.db, row.id)[:50]
        parts.append(_contribution_table(rows, show_pool=True))
    parts.append(f'<p class=muted>{html.link(row.id + "?format=json", "JSON-LD")} · '
                 f'{html.link(row.id + "/outbox", "outbox")} · '
                 f'{html.link(row.id + "/followers", "followers")}</p>')
    return html.page(row.display_name or row.name or "node", "".join(parts))


def _contribution_table(rows, *, show_pool: bool) -> str:
    if not rows:
        return "<p class=muted>No contributions yet.</p>"
    head = "<th>When</th><th>Who</th>" + ("<th>Pool</th>" if show_pool else "") + \
        "<th>Kind</th><th class=num>Effort</th><th>What</th><th>Status</th>"
    body = []
    for c in rows:
        body.append(
            "<tr>"
            f"<td class=opt>{html.esc(c.published[:10])}</td><td>{html.link(c.contributor, c.contributor.rsplit('/', 1)[-1])}</td>"
            + (f"<td>{html.link(c.pool, c.pool.rsplit('/', 1)[-1])}</td>" if show_pool else "")
            + f"<td>{html.esc(c.kind)}</td><td class=num>{html.esc(format_effort(c.minutes))}</td>"
            f"<td>{html.link(c.id, c.summary)}</td>"
            f"<td class='status-{html.esc(c.status)}'>{html.esc(c.status)}</td></tr>"
        )
    return f"<h2>Contributions</h2><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


async def outbox(request: web.Request) -> web.Response:
    """The activities an actor authored, newest first, embedded."""
    node = request.app[NODE]
    row = local_actor(request)
    total = log_store.count_by_actor(node.db, row.id)

    def items(limit, offset):
        return [json.loads(e.body) for e in log_store.entries_by_actor(node.db, row.id, limit, offset)
                if e.body is not None]

    return activity_response(paged(request, f"{row.id}/outbox", total, items))


async def followers(request: web.Request) -> web.Response:
    """Who follows an actor."""
    node = request.app[NODE]
    row = local_actor(request)
    total = follow_store.count_followers(node.db, row.id)
    return activity_response(paged(
        request, f"{row.id}/followers", total,
        lambda limit, offset: [_actor_ref(node, a) for a in follow_store.followers(node.db, row.id, limit, offset)],
    ))


async def following(request: web.Request) -> web.Response:
    """Whom an actor follows."""
    node = request.app[NODE]
    row = local_actor(request)
    total = follow_store.count_following(node.db, row.id)
    return activity_response(paged(
        request, f"{row.id}/following", total,
        lambda limit, offset: [_actor_ref(node, a) for a in follow_store.following(node.db, row.id, limit, offset)],
    ))


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
