"""Authorized fetch: with the node setting on, ActivityPub documents are served only to
signed GETs (as Mastodon's secure mode). Pages for browsers stay public."""

from aiohttp import web

from .keys import NODE
from .negotiation import wants_activity_json
from .signatures import verify_request

# Discovery, the instance actor (peers fetch it to verify our own signed GETs, so it
# cannot require one), and the public log stay open.
OPEN = ("/actor", "/.well-known/", "/nodeinfo/", "/health", "/ns/", "/log/", "/oauth", "/witness/")


@web.middleware
async def authorized_fetch_middleware(request: web.Request, handler):
    """Refuse unsigned GETs of ActivityPub documents when the node requires signatures."""
    node = request.app[NODE]
    if (
        node.config.authorized_fetch
        and request.method == "GET"
        and wants_activity_json(request)
        and not request.path.startswith(OPEN)
        and not request.headers.get("Authorization", "").startswith("Bearer ")  # C2S clients
    ):
        await verify_request(request, None)
    return await handler(request)
