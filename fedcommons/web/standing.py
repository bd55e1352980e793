"""GET /pools/{slug}/standing[?asOf=&method=&treeSize=]: the pool's signed Standing.

ActivityPub and JSON clients get the ``fc:Standing`` document as its canonical (JCS)
bytes, the same bytes for the same query; browsers get the page (:mod:`.pages.standing`).
Computing reads the log in a worker thread, on its own connection, so the server keeps
answering meanwhile.
"""

from aiohttp import web

from ..services.standing import standing as service
from ..store import actors as actor_store
from .body_cache import state_key
from .keys import BODIES, NODE
from .negotiation import ACTIVITY_JSON, wants_activity_json
from .pages.common import in_worker
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
    headers = {}  # Vary: Accept comes with every negotiated answer (negotiation.vary_on_accept)
    if query.get("asOf") and query.get("treeSize"):
        headers["Cache-Control"] = FIXED
    if wants_activity_json(request):
        # The same bytes for everyone while the node and the second stay the same (body_cache).
        bodies, key = request.app[BODIES], state_key(node, "standing", slug, *sorted(query.items()))
        body = bodies.get(key)
        if body is None:
            body = (await _in_worker(node, slug, query)).body
            bodies.put(key, body)
        return web.Response(body=body, content_type=ACTIVITY_JSON, headers=headers)
    result = await _in_worker(node, slug, query)
    pool = actor_store.local_actor(node.db, slug, "pool")
    return standing_page(request, pool, result, query, headers)


async def _in_worker(node, slug: str, query: dict) -> service.Standing:
    return await in_worker(node, lambda reader: service.query_standing(reader, slug, query))
