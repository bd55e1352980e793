"""GET /pools/{slug}/standing[?asOf=&method=&treeSize=]: the pool's signed Standing.

ActivityPub and JSON clients get the ``fc:Standing`` document as its canonical (JCS)
bytes, the same bytes for the same query; browsers get a page with the ranked table and
a chart of the shares. Computing reads the log in a worker thread, on its own
connection, so the server keeps answering meanwhile.
"""

import asyncio
import json

from aiohttp import web

from .keys import NODE
from ..services import standing as service
from ..standing import METHODS
from ..store import actors as actor_store
from . import html
from .charts import Bar, share_bars
from .negotiation import ACTIVITY_JSON, wants_activity_json

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
    return web.Response(text=standing_page(request, pool, result, query), content_type="text/html",
                        headers=headers)


def _compute(node, slug: str, query: dict) -> service.Standing:
    reader = service.reader(node)
    try:
        return service.query_standing(reader, slug, query)
    finally:
        reader.close()


def standing_page(request: web.Request, pool, result: service.Standing, query: dict) -> str:
    """The page: what was computed, a form to ask for another date or method, chart and table."""
    node = request.app[NODE]
    doc = result.document
    rows = result.result.rows
    title = f"Standing in {pool.display_name or pool.name}"
    checkpoint = doc["checkpoint"]
    names = {row.contributor: _name(node, row.contributor) for row in rows[:TABLE_ROWS]}
    parts = [
        f"<h1>{html.esc(title)}</h1>",
        (f"<p class=muted>{html.esc(doc['method'])} as of {html.esc(doc['asOf'])} · "
         f"log {html.esc(checkpoint['origin'])} at {checkpoint['treeSize']} entries</p>"),
        _form(query),
    ]
    if not rows:
        parts.append("<p>Nobody has standing yet: it comes from validated contributions.</p>")
    else:
        parts.append(share_bars([Bar(names.get(r.contributor) or r.contributor, r.share, r.contributor,
                                     r.contributor) for r in rows], title=f"Shares of standing in {pool.name}"))
        parts.append(_table(rows, names))
    link = doc["id"] + "&format=json"
    parts.append(
        f"<h2>Parameters</h2><pre>{html.esc(json.dumps(doc['parameters'], indent=2, sort_keys=True))}</pre>"
        f"<p class=muted>Computed from the first {checkpoint['treeSize']} entries of the log, root "
        f"<span class=hash>{html.esc(checkpoint['rootHash'])}</span>, and signed by this node. "
        f"Anyone can recompute it: <code>fedcommons standing verify {html.esc(doc['id'])}</code></p>"
        f"<p class=muted>{html.link(link, 'JSON-LD')} · {html.link(pool.id, 'pool')}</p>"
    )
    return html.page(title, "".join(parts), request.app)


def _form(query: dict) -> str:
    """Ask for another date or method; plain GET, no script."""
    as_of = query.get("asOf", "")
    day = as_of if len(as_of) == 10 else ""
    chosen = query.get("method", "")
    options = [f'<option value=""{" selected" if not chosen else ""}>the pool\'s own</option>']
    options += [f'<option{" selected" if chosen == m else ""}>{html.esc(m)}</option>' for m in sorted(METHODS)]
    return (
        "<form method=get>"
        f'<label>As of the end of <input type=date name=asOf value="{html.esc(day)}"></label>'
        f"<label>Method <select name=method>{''.join(options)}</select></label>"
        "<p><button>Show</button></p></form>"
    )


def _table(rows, names: dict) -> str:
    body = []
    for rank, row in enumerate(rows[:TABLE_ROWS], start=1):
        body.append(
            f"<tr><td class=num>{rank}</td><td>{html.link(row.contributor, names.get(row.contributor))}</td>"
            f"<td class=num>{html.esc(row.score)}</td><td class=num>{html.esc(service.percent(row.share))}</td></tr>"
        )
    more = ""
    if len(rows) > TABLE_ROWS:
        more = f"<p class=muted>… and {len(rows) - TABLE_ROWS} more contributors in the JSON-LD document.</p>"
    return ("<table><thead><tr><th class=num>#</th><th>Contributor</th><th class=num>Score</th>"
            f"<th class=num>Share</th></tr></thead><tbody>{''.join(body)}</tbody></table>{more}")


def _name(node, url: str) -> str:
    """A contributor's name when this node knows them, else their URL."""
    row = actor_store.actor(node.db, url)
    if row is None:
        return url
    name = row.display_name or row.name
    return f"{name} ({url})" if name and not row.local else (name or url)
