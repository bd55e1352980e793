"""The node's own pages: home, health, and the served copy of our JSON-LD context."""

from aiohttp import web

from ..app import NODE
from ..ld.context import vocab_dir
from ..store import actors as actor_store
from ..store import log as log_store
from . import html


async def health(request: web.Request) -> web.Response:
    """Liveness for the container health check: the database answers."""
    log_store.log_size(request.app[NODE].db)
    return web.json_response({"status": "ok"})


async def context(request: web.Request) -> web.Response:
    """Our JSON-LD context (identifier https://w3id.org/fedcommons/v1)."""
    return web.Response(body=(vocab_dir() / "fedcommons.jsonld").read_bytes(),
                        content_type="application/ld+json")


async def home(request: web.Request) -> web.Response:
    """The node's front page: its pools, cooperatives and log."""
    node = request.app[NODE]
    pools = actor_store.local_actors(node.db, "pool")
    coops = actor_store.local_actors(node.db, "cooperative")
    latest = log_store.latest_checkpoint(node.db)
    parts = [f"<h1>{html.esc(node.config.host)}</h1>",
             "<h2>Pools</h2><ul>" + "".join(
                 f"<li>{html.link(p.id, p.display_name or p.name)}</li>" for p in pools) + "</ul>"]
    if coops:
        parts.append("<h2>Cooperatives</h2><ul>" + "".join(
            f"<li>{html.link(c.id, c.display_name or c.name)}</li>" for c in coops) + "</ul>")
    if latest:
        parts.append(f"<h2>Log</h2><p>{latest[0]} entries. Latest checkpoint:</p>"
                     f"<pre>{html.esc(latest[2])}</pre>")
    return web.Response(text=html.page(node.config.host, "".join(parts), request.app),
                        content_type="text/html")
