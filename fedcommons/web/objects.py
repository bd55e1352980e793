"""Objects in the log served at their own URLs: activities and contributions."""

import json

from aiohttp import web

from .keys import NODE
from ..effort import format_effort
from ..store import contributions as contribution_store
from ..store import log as log_store
from ..store import outgoing as outgoing_store
from . import html
from .negotiation import activity_response, wants_activity_json


async def activity(request: web.Request) -> web.Response:
    """GET /activities/{id}: the logged activity, as it is in the log."""
    node = request.app[NODE]
    url = f"{node.url}/activities/{request.match_info['id']}"
    entry = log_store.entry_by_activity(node.db, url)
    if entry is None or entry.body is None:
        return _sent_activity(request, url)
    doc = json.loads(entry.body)
    if wants_activity_json(request):
        return activity_response(doc)
    body = (f"<h1>{html.esc(entry.type)}</h1><p>by {html.link(entry.actor)}</p>"
            f"<p>Log entry {html.link(f'/log/entries?start={entry.idx}&limit=1', str(entry.idx))}, "
            f"leaf hash <span class=hash>{entry.leaf_hash.hex()}</span></p>"
            f"<pre>{html.esc(json.dumps(doc, indent=2, ensure_ascii=False))}</pre>")
    return web.Response(text=html.page(entry.type, body, request.app), content_type="text/html")


def _sent_activity(request: web.Request, url: str) -> web.Response:
    """An activity this node sent without logging it (a Follow, a reply, a plain Note)."""
    body = outgoing_store.body(request.app[NODE].db, url)
    if body is None:
        raise web.HTTPNotFound(text="no such activity on this node")
    doc = json.loads(body)
    if wants_activity_json(request):
        return activity_response(doc)
    page = f"<h1>{html.esc(doc.get('type'))}</h1><pre>{html.esc(json.dumps(doc, indent=2, ensure_ascii=False))}</pre>"
    return web.Response(text=html.page(str(doc.get("type")), page, request.app), content_type="text/html")


async def contribution(request: web.Request) -> web.Response:
    """GET /contributions/{id}: the contribution object with its current status."""
    node = request.app[NODE]
    url = f"{node.url}/contributions/{request.match_info['id']}"
    row = contribution_store.contribution(node.db, url)
    entry = log_store.entry(node.db, row.entry) if row else None
    if row is None or entry is None or entry.body is None:
        raise web.HTTPNotFound(text="no such contribution on this node")
    obj = json.loads(entry.body)["object"]
    if wants_activity_json(request):
        doc = {"@context": json.loads(entry.body)["@context"], **obj}
        return activity_response(doc)
    body = (
        f"<h1>{html.esc(row.summary)}</h1>"
        f"<p>{html.link(row.contributor)} put {html.esc(format_effort(row.minutes))} of "
        f"{html.esc(row.kind)} into {html.link(row.pool)}</p>"
        f"<p>Status: <span class='status-{html.esc(row.status)}'>{html.esc(row.status)}</span>"
        + (f" by {html.link(row.decided_by)}" if row.decided_by else "")
        + (f": {html.esc(row.reason)}" if row.reason else "") + "</p>"
        + "".join(f"<p>Evidence: {html.link(e)}</p>" for e in obj.get("evidence", []))
        + f"<p class=muted>Log entry {entry.idx}, leaf hash <span class=hash>{entry.leaf_hash.hex()}</span></p>"
    )
    return web.Response(text=html.page(row.summary, body, request.app), content_type="text/html")
