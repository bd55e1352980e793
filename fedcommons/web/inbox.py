"""POST to an inbox: cap, parse, verify, check the key's owner, deduplicate, persist, 202.

Processing happens after the answer, from the persisted copy (federation.inbox_worker),
so a crash right after the 202 loses nothing.
"""

import json
import logging

from aiohttp import web

from ..app import CLIENT, INBOX, INBOX_WRITER, MAX_BODY
from ..errors import FedcommonsError, VerificationError
from ..sig.proof import proof_verification_method, verify_proof
from ..untrusted import load_json
from .actors import local_actor
from .signatures import verify_request

log = logging.getLogger("fedcommons.inbox")


async def receive(request: web.Request) -> web.Response:
    """Accept a signed activity for a local actor or the shared inbox."""
    recipient = local_actor(request).id if "name" in request.match_info else None
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length)
    body = await request.read()
    activity = _parse(body)
    actor = _actor_id(activity)
    signed, owner = await verify_request(request, body)
    if owner != actor:
        await _verify_forwarded(request, activity, actor, owner)
    fresh = await request.app[INBOX_WRITER].persist(activity["id"], body, actor, signed.key_id, recipient)
    if fresh:
        worker = request.app.get(INBOX)
        if worker is not None:
            worker.notify()
    else:
        log.info("replayed activity %s from %s: already stored", activity["id"], actor)
    return web.Response(status=202)


def _parse(body: bytes) -> dict:
    try:
        activity = load_json(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise web.HTTPBadRequest(text=f"the body is not JSON: {exc}") from None
    if not isinstance(activity, dict):
        raise web.HTTPBadRequest(text="an activity must be a JSON object")
    if not isinstance(activity.get("id"), str) or not activity["id"].startswith(("https://", "http://")):
        raise web.HTTPBadRequest(text="the activity needs an absolute http(s) id")
    if not activity.get("type"):
        raise web.HTTPBadRequest(text="the activity needs a type")
    return activity


def _actor_id(activity: dict) -> str:
    actor = activity.get("actor")
    if isinstance(actor, dict):
        actor = actor.get("id")
    if not isinstance(actor, str):
        raise web.HTTPBadRequest(text="the activity needs an actor")
    return actor


async def _verify_forwarded(request: web.Request, activity: dict, actor: str, owner: str) -> None:
    """An activity signed in transport by someone other than its actor counts only when
    its own Data Integrity proof verifies with the actor's key (a pool forwarding a
    contribution to its followers)."""
    method = proof_verification_method(activity)
    if method is None:
        raise VerificationError(f"the signing key belongs to {owner}, not to the actor {actor}")
    client = request.app[CLIENT]
    for refresh in (False, True):
        try:
            key, key_owner = await client.public_key(method, refresh=refresh)
        except FedcommonsError as exc:
            raise VerificationError(f"cannot fetch key {method}: {exc}") from None
        if key_owner == actor and verify_proof(activity, key).ok:
            return
    raise VerificationError(f"forwarded by {owner}, and its proof does not verify as {actor}")
