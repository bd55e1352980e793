"""Objects in the log served at their own URLs: activities and contributions (their pages
for browsers are in :mod:`.pages.objects`)."""

import json

from aiohttp import web

from ..store import contributions as contribution_store
from ..store import log as log_store
from ..store import outgoing as outgoing_store
from .keys import NODE
from .negotiation import activity_response, wants_activity_json
from .pages.objects import activity_page, contribution_page


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
    return activity_page(request, doc, entry)


def _sent_activity(request: web.Request, url: str) -> web.Response:
    """An activity this node sent without logging it (a Follow, a reply, a plain Note)."""
    body = outgoing_store.body(request.app[NODE].db, url)
    if body is None:
        raise web.HTTPNotFound(text="no such activity on this node")
    doc = json.loads(body)
    if wants_activity_json(request):
        return activity_response(doc)
    return activity_page(request, doc)


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
    return contribution_page(request, row, entry, obj)
