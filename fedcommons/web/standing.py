"""GET /pools/{slug}/standing[?asOf=&method=&treeSize=]: the pool's signed Standing.

ActivityPub and JSON clients get the ``fc:Standing`` document as its canonical (JCS)
bytes, the same bytes for the same query; browsers get a page with the ranked table and
a chart of the shares. Computing reads the log in a worker thread, on its own
connection, so the server keeps answering meanwhile.
"""

import asyncio
import json

from aiohttp import web

from ..services.standing import standing as service
from ..standing import METHODS
from ..store import actors as actor_store
from .charts import Bar, share_bars
from .keys import NODE
from .negotiation import ACTIVITY_JSON, wants_activity_json
from .templating import render

QUERY = ("asOf", "method", "treeSize")
TABLE_ROWS = 200
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


def standing_page(request: web.Request, pool, result: service.Standing, query: dict, headers: dict) -> web.Response:
    """The page: what was computed, a form to ask for another date or method, chart and table."""
    node = request.app[NODE]
    rows = result.result.rows
    names = {row.contributor: _name(node, row.contributor) for row in rows[:TABLE_ROWS]}
    chart = share_bars([Bar(names.get(r.contributor) or r.contributor, r.share, r.contributor, r.contributor)
                        for r in rows], title=f"Shares of standing in {pool.name}")
    as_of = query.get("asOf", "")
    return render(request, "standing.html", {
        "title": f"Standing in {pool.display_name or pool.name}", "pool": pool, "doc": result.document,
        "rows": rows[:TABLE_ROWS], "more": max(0, len(rows) - TABLE_ROWS), "names": names, "chart": chart,
        "day": as_of if len(as_of) == 10 else "", "chosen": query.get("method", ""), "methods": sorted(METHODS),
        "parameters": json.dumps(result.document["parameters"], indent=2, sort_keys=True)}, headers=headers)


def _name(node, url: str) -> str:
    """A contributor's name when this node knows them, else their URL."""
    row = actor_store.actor(node.db, url)
    if row is None:
        return url
    name = row.display_name or row.name
    return f"{name} ({url})" if name and not row.local else (name or url)
