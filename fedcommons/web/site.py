"""The served copy of our JSON-LD context. (The home page is web.pages.home; health is web.health.)"""

from aiohttp import web

from ..ld.context import vocab_dir


async def context(request: web.Request) -> web.Response:
    """Our JSON-LD context (identifier https://w3id.org/fedcommons/v1)."""
    return web.Response(body=(vocab_dir() / "fedcommons.jsonld").read_bytes(),
                        content_type="application/ld+json")
