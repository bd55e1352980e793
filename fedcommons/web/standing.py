"""GET /pools/{slug}/standing[?asOf=&method=&treeSize=]: the pool's signed Standing.

ActivityPub and JSON clients get the ``fc:Standing`` document as its canonical (JCS)
bytes, the same bytes for the same query; browsers get the page (:mod:`.pages.standing`).
Computing reads the log in a worker thread, on its own connection, so the server keeps
answering meanwhile.
"""

import asyncio

from aiohttp import web

from ..services.standing import standing as service
from ..store import actors as actor_store
from .keys import NODE
from .negotiation import ACTIVITY_JSON, wants_activity_json
from .pages.standing import standing_page

QUERY = ("asOf", "method", "treeSize")
# With asOf and treeSize fixed the document cannot change (short of a new node key), so
# caches may keep it; a day, since the page also shows names, which can change.
FIXED = "public, max-age=86400"


async def standing(request: web.Request) -> web.Response:
    """The standing of a local pool, as JSON-LD or as a page."""
    node = request.app[NODE]
    slug = request.match_info["name"]
    query = {key: request.query[key] for key in QUERY if key in request.query}
    loop = asyncio.get_running_loop()
    result = await loop.run_in_executor(None, _compute, node, slug, query)
    headers = {"Vary": "Accept"}
    if query.get("asOf") and query.get("treeSize"):
        headers["Cache-Control"] = FIXED
    if wants_activity_json(request):
        return web.Response(body=result.body, content_type=ACTIVITY_JSON, headers=headers)
    pool = actor_store.local_actor(node.db, slug, "pool")
    return standing_page(request, pool, result, query, headers)


def _compute(node, slug: str, query: dict) -> service.Standing:
    reader = service.reader(node)
    try:
        return service.query_standing(reader, slug, query)
    finally:
        reader.close()
