"""The ActivityPub API for a signed-in person: POST to their outbox, read their inbox and
their whole outbox, with an OAuth bearer token (RFC 6750).

A missing or bad token is 401 with a ``WWW-Authenticate: Bearer`` challenge; a token of
another actor, or one without the scope needed, is 403. Without a token, GET of an outbox
stays the public view of what the actor logged (web.actors.outbox).
"""

from functools import wraps

from aiohttp import web

from ..errors import Unauthorized
from ..services.accounts import oauth
from ..services.contributions import c2s, mailbox
from ..store.actors import ActorRow
from ..untrusted import load_json
from . import actors
from .collections import paged
from .errors import problem
from .keys import CLIENT, DELIVERY, MAX_BODY, NODE, WRITER
from .negotiation import ACTIVITY_JSON, activity_response

JSON_TYPES = ("application/activity+json", "application/ld+json", "application/json")


def protected(scope: str):
    """Run the handler for the local person the URL names, when the bearer token acts as
    them and carries `scope`."""
    def decorate(handler):
        @wraps(handler)
        async def run(request: web.Request) -> web.Response:
            node = request.app[NODE]
            owner = actors.local_actor(request)
            realm = f'Bearer realm="{node.url}"'
            try:
                grant = oauth.bearer(node, request.headers.get("Authorization"))
            except Unauthorized as exc:
                response = problem(exc.status, str(exc))
                given = "Authorization" in request.headers
                response.headers["WWW-Authenticate"] = realm + (', error="invalid_token"' if given else "")
                return response
            if grant.actor != owner.id:
                return problem(403, f"this token acts as {grant.actor}, not as {owner.id}")
            if scope not in grant.scopes:
                response = problem(403, f"this token lacks the {scope!r} scope; authorize again asking for it")
                response.headers["WWW-Authenticate"] = f'{realm}, error="insufficient_scope", scope="{scope}"'
                return response
            return await handler(request, owner)
        return run
    return decorate


@protected("write")
async def post_outbox(request: web.Request, person: ActorRow) -> web.Response:
    """POST an activity (or a bare object) to the person's outbox: 201, Location, the activity."""
    node = request.app[NODE]
    if request.content_type not in JSON_TYPES:
        raise web.HTTPUnsupportedMediaType(text=f"post {ACTIVITY_JSON}, not {request.content_type or 'no Content-Type'}")
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length)
    body = load_json(await request.read())
    activity = await c2s.submit(node, request.app[WRITER], request.app[CLIENT], person, body)
    worker = request.app.get(DELIVERY)
    if worker is not None:
        worker.notify()
    response = activity_response(activity, status=201)
    response.headers["Location"] = activity["id"]
    return response


@protected("read")
async def inbox(request: web.Request, person: ActorRow) -> web.Response:
    """GET the person's inbox: what this node received or holds addressed to them."""
    return await _box(request, person, "inbox")


async def outbox(request: web.Request) -> web.Response:
    """GET an outbox: with a token, everything the person sent; without, the public log view."""
    if "Authorization" not in request.headers:
        return await actors.outbox(request)
    return await _private_outbox(request)


@protected("read")
async def _private_outbox(request: web.Request, person: ActorRow) -> web.Response:
    return await _box(request, person, "outbox")


async def _box(request: web.Request, person: ActorRow, which: str) -> web.Response:
    node = request.app[NODE]
    await request.app[WRITER].run(mailbox.catch_up)
    total, items = mailbox.box(node, person.id, which)
    response = activity_response(paged(request, f"{person.id}/{which}", total, items))
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Vary"] = "Accept, Authorization"
    return response
