"""Health, and the served copy of our JSON-LD context. (The home page is web.pages.home.)"""

from aiohttp import web

from .keys import NODE
from ..ld.context import vocab_dir
from ..store import log as log_store


async def health(request: web.Request) -> web.Response:
    """Liveness for the container health check: the database answers."""
    log_store.log_size(request.app[NODE].db)
    return web.json_response({"status": "ok"})


async def context(request: web.Request) -> web.Response:
    """Our JSON-LD context (identifier https://w3id.org/fedcommons/v1)."""
    return web.Response(body=(vocab_dir() / "fedcommons.jsonld").read_bytes(),
                        content_type="application/ld+json")
