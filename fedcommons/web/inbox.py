"""POST to an inbox: cap, parse, verify, check the key's owner and the ids' hosts,
deduplicate, persist, 202.

Processing happens after the answer, from the persisted copy (federation.inbox_worker),
so a crash right after the 202 loses nothing. An activity signed by a node whose pools
are followed here also wakes a sync of that node's log (federation.sync_worker), so the
mirror follows the pool's work as it happens.
"""

import logging

from aiohttp import web

from .keys import INBOX, INBOX_WRITER, MAX_BODY, NODE, SYNC
from ..errors import Forbidden
from ..federation import ownership
from ..services.moderation.blocks import blocked
from ..sig.proof import proof_verification_method, verify_proof
from ..untrusted import load_json
from .actors import local_actor
from .signatures import refusal, unverified_key, verify_request

log = logging.getLogger("fedcommons.inbox")


async def receive(request: web.Request) -> web.Response:
    """Accept a signed activity for a local actor or the shared inbox."""
    recipient = local_actor(request).id if "name" in request.match_info else None
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length)
    body = await request.read()
    activity = _parse(body)
    actor = _actor_id(activity)
    if blocked(request.app[NODE], actor) is not None:
        # Before the signature: a blocked server costs no key fetch.
        raise Forbidden("this node does not accept activities from that actor or server")
    signed, owner = await verify_request(request, body)
    if owner != actor:
        await _verify_forwarded(request, activity, actor, owner)
    await _check_ids(request, activity, actor)
    fresh = await request.app[INBOX_WRITER].persist(activity["id"], body, actor, signed.key_id, recipient)
    if fresh:
        worker = request.app.get(INBOX)
        if worker is not None:
            worker.notify()
        sync = request.app.get(SYNC)
        if sync is not None:
            sync.pushed(signed.key_id)
    else:
        log.info("replayed activity %s from %s: already stored", activity["id"], actor)
    return web.Response(status=202)


def _parse(body: bytes) -> dict:
    activity = load_json(body)  # BadInput (400) for anything that is not plain, bounded JSON
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
    if proof_verification_method(activity) is None:
        raise refusal("not-the-actor", "the signing key belongs to %s, not to the actor %s", owner, actor)
    if not await _proven_by(request, activity, actor):
        raise refusal("forwarded-proof", "forwarded by %s, and its proof does not verify as %s", owner, actor)


async def _check_ids(request: web.Request, activity: dict, actor: str) -> None:
    """Refuse ids the actor does not own (see federation.ownership): an activity's id must
    be on its actor's server, and so must an object it creates, unless that object carries
    a proof by its author, who is on the object's server."""
    activity_id, object_id = ownership.foreign_ids(activity, actor)  # Malformed: a 400
    if activity_id is not None:
        raise Forbidden(f"the activity id {activity_id} is not on the server of its actor {actor}; "
                        "an actor publishes only under ids of its own server")
    if object_id is not None:
        obj = ownership.authored_object(activity)
        author = obj.get("attributedTo")
        if not (isinstance(author, str) and ownership.same_origin(author, object_id)
                and await _proven_by(request, obj, author)):
            raise Forbidden(f"the object id {object_id} is not on the server of the actor {actor}, "
                            "and no proof by its author vouches for it")


async def _proven_by(request: web.Request, document: dict, author: str) -> bool:
    """Whether the document's Data Integrity proof verifies with a key of `author`."""
    method = proof_verification_method(document)
    if method is None:
        return False
    for refresh in (False, True):
        key, key_owner = await unverified_key(request, method, refresh=refresh)
        if key_owner == author and verify_proof(document, key).ok:
            return True
    return False
