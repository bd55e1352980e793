"""What a signed-in person posts to their outbox through the ActivityPub API.

Each activity is completed (services.contributions.c2s_input), checked by the same services the command
line uses, signed by the person, and then:

- **logged** when it belongs in the log: a `Create{Contribution}` (checked like
  `fedcommons contribute`; a remote pool gets it delivered), a `Like` of a contribution
  (an endorsement), an `Accept`/`Reject` of a contribution by a steward (a validation), an
  `Undo` of an endorsement, a `Delete` withdrawing a pending contribution;
- **recorded** when a `Create{Note}` mentions one of our pools: the pool records the claim
  and replies, exactly as when the Note comes from another server (services.contributions.note_claims);
- **delivered** in every case where it has recipients elsewhere; activities that are not
  logged (Notes, follows, likes of ordinary posts) are kept in the outgoing queue, which is
  where the person's outbox finds them.

The answer is the activity as signed: what the client should show and keep. What is
fetched from other servers is fetched first; what is written is written by the `writer`
(in the server, the writer thread), each step in a transaction of its own.
"""

import json
from datetime import datetime, timedelta, timezone

from ... import activities, addresses, urls
from ...activities import PUBLIC
from ...claims import hashtags, note_text
from ...effort import claimed_minutes, find_effort
from ...errors import BadInput, Conflict, FetchError, Forbidden, NotFound
from ...fields import types
from ...node import Node, now
from ...store import actors as actor_store
from ...store import contributions as contribution_store
from ...store import follows as follow_store
from ...store import log as log_store
from ...store import outgoing as outgoing_store
from ...store.actors import ActorRow
from ...store.db import transaction
from ..actors import follows
from ..actors.signing import sign_as
from ..governance import c2s as governance_c2s
from ..log import log_writer
from .c2s_input import ADDRESSING, complete, mention_hrefs, reference
from .contributions import check_claim, contribution_activity, decide, endorse
from .note_claims import addressed_pools, local_pool, record_note_claim

CLOCK_SKEW = timedelta(hours=1)
MAX_POOL_CANDIDATES = 5  # addresses tried as the pool of a contribution that names no receiver


async def submit(node: Node, writer, client, person: ActorRow, body) -> dict:
    """Act on what `person` posted to their outbox; returns the signed activity."""
    voted = await governance_c2s.submit(node, writer, person, body)  # a vote or a delegation
    if voted is not None:
        return voted
    activity, everyone = complete(node.url, person, body)
    handler = _HANDLERS[types(activity)[0]]
    return await handler(node, writer, client, person, activity, everyone)


def _deliver(node: Node, person: ActorRow, activity: dict, everyone: list[str]) -> dict:
    """Sign and queue an activity that is not a log entry. It is queued even when nobody
    elsewhere receives it: the queue is where the person's outbox reads it back."""
    pending = sign_as(node, person, activity)
    with transaction(node.db):
        outgoing_store.enqueue(node.db, activity["id"], person.id, pending.body, everyone, now())
    return pending.activity


def _delivered_claim(node: Node, person: ActorRow, activity: dict, everyone: list[str], pools: list) -> dict:
    """A Note posted to others that mentions our pools: delivered, and its claim recorded."""
    obj = activity["object"]
    with transaction(node.db):
        sent = _deliver(node, person, activity, everyone)
        if pools:
            record_note_claim(node, pools[0], obj, author=person.id,
                              author_name=person.display_name or person.name, note_id=obj["id"])
    return sent


def _log(node: Node, person: ActorRow, activity: dict) -> dict:
    pending = sign_as(node, person, activity)
    log_writer.append(node, [pending])
    return pending.activity


def _plain(value) -> str | None:
    """Plain text of an HTML string (a rejection's reason, a summary)."""
    return (note_text({"content": value}) or None) if isinstance(value, str) else None


def _fetchable(node: Node, url: str, what: str) -> str:
    """``url``, when the node would fetch it; BadInput when not: the person named something
    no server can answer for (a 502 is for servers that do not answer)."""
    try:
        addresses.check_url(url, allow_private=node.config.allow_private_addresses)
    except FetchError as exc:
        raise BadInput(f"{what} must be an http(s) URL of another server: {exc}") from None
    return url


# --- Create ------------------------------------------------------------------------------


async def _create(node: Node, writer, client, person: ActorRow, activity: dict, everyone: list[str]) -> dict:
    obj = activity["object"]
    if "Contribution" in types(obj):
        return await _contribution(node, writer, client, person, obj)
    pools = addressed_pools(node, obj) if "Note" in types(obj) else []
    return await writer.run(_delivered_claim, person, activity, everyone, pools)


async def _contribution(node: Node, writer, client, person: ActorRow, obj: dict) -> dict:
    """A contribution object posted by its provider: checked like `fedcommons contribute`."""
    provider = reference(obj.get("provider"))
    if provider is not None and provider != person.id:
        raise Forbidden(f"a contribution posted by {person.id} is theirs; provider names {provider}")
    pool = await _contribution_pool(node, client, person, obj)
    text = note_text(obj)
    kind = obj.get("kind") if isinstance(obj.get("kind"), str) else None
    if kind is None:
        kind = next((tag for tag in hashtags(obj, text) if tag in node.config.kinds), "")
    summary = next((v for v in (obj.get("name"), _plain(obj.get("summary")), text) if isinstance(v, str) and v), "")
    evidence = [ref for ref in (reference(e) or (e.get("href") if isinstance(e, dict) else None)
                                for e in _as_list(obj.get("evidence"))) if ref]
    claim = check_claim(node, pool=pool, person=person, effort=_effort(obj, text), kind=kind,
                        summary=summary, evidence=evidence, when=_when(obj.get("published")))
    pending = contribution_activity(node, claim)
    await writer.run(log_writer.append, [pending])
    return pending.activity


def _when(published) -> str | None:
    """When the work was done, as the client dated it. A time up to an hour ahead is a
    client's clock running fast (the skew DESIGN §9 allows), so it counts as now."""
    if not isinstance(published, str):
        return None
    try:
        moment = datetime.fromisoformat(published.replace("Z", "+00:00"))
    except ValueError:
        return published  # check_claim says what is wrong with it
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    ahead = moment - datetime.now(timezone.utc)
    return None if timedelta(0) < ahead <= CLOCK_SKEW else published


def _as_list(value) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _effort(obj: dict, text: str) -> str:
    """The effort as `check_claim` reads it: from `effortQuantity`, else from the text."""
    quantity = obj.get("effortQuantity")
    if isinstance(quantity, dict):
        return f"{claimed_minutes(quantity)}m"
    minutes = find_effort(text)
    if minutes is None:
        raise BadInput("the contribution has no effortQuantity and its text names no effort such as 3h or 90m")
    return f"{minutes}m"


async def _contribution_pool(node: Node, client, person: ActorRow, obj: dict) -> ActorRow:
    """The pool a contribution goes to: its `receiver`, else the first pool it addresses."""
    receiver = reference(obj.get("receiver"))
    candidates = [receiver] if receiver else []
    if not candidates:
        for field in ADDRESSING:
            candidates += [t for t in _as_list(obj.get(field)) if isinstance(t, str)]
        candidates = mention_hrefs(obj) + candidates
    candidates = [c for c in dict.fromkeys(candidates)
                  if c != PUBLIC and not c.endswith("/followers") and c != person.id]
    for candidate in candidates[:MAX_POOL_CANDIDATES]:
        row = local_pool(node, candidate)
        if row is None and not urls.is_local(node.url, candidate):
            if receiver:
                _fetchable(node, receiver, "the receiver of a contribution")
            try:
                row = await client.actor(candidate)
            except FetchError:
                if receiver:
                    raise
                continue
        if row is not None and row.kind == "pool":
            return row
        if receiver:
            raise BadInput(f"{receiver} is not a pool")
    raise BadInput("name the pool as the contribution's receiver, or mention it")


# --- endorsing and deciding ------------------------------------------------------------


async def _like(node: Node, writer, client, person: ActorRow, activity: dict, everyone: list[str]) -> dict:
    target = reference(activity.get("object"))
    if not target:
        raise BadInput("a Like names what it likes as its object")
    if contribution_store.contribution(node.db, target):
        return await writer.run(endorse, target, person.name, weight=_weight(activity))
    obj = None
    if not urls.is_local(node.url, target):
        try:
            obj = await client.get_json(target)
        except FetchError:
            obj = None
    if obj is not None and "Contribution" in types(obj):
        return await writer.run(_endorse_remote, person, obj, _weight(activity))
    if not everyone and obj is not None and reference(obj.get("attributedTo")):
        activity["to"] = everyone = [reference(obj.get("attributedTo"))]
    return await writer.run(_deliver, person, activity, everyone)


def _weight(activity: dict) -> float | None:
    weight = activity.get("weight")
    if weight is None:
        return None
    if isinstance(weight, bool) or not isinstance(weight, (int, float)):
        raise BadInput("weight must be a number in (0, 1]")
    return float(weight)


def _endorse_remote(node: Node, person: ActorRow, obj: dict, weight: float | None) -> dict:
    """Endorse a contribution held on another server (as `fedcommons endorse URL`)."""
    provider = reference(obj.get("provider")) or reference(obj.get("attributedTo"))
    if provider == person.id:
        raise Forbidden("endorsing your own contribution counts for nothing; ask a peer")
    if weight is not None and not 0 < weight <= 1:
        raise BadInput(f"weight must be in (0, 1], got {weight}")
    activity = activities.endorsement(activity_id=urls.new_activity(node.url), actor=person.id,
                                      contribution_id=obj["id"], contributor=provider, published=now(),
                                      weight=weight)
    receiver = reference(obj.get("receiver"))
    if receiver:
        activity["cc"] = [receiver]
    return _log(node, person, activity)


async def _decision(node: Node, writer, client, person: ActorRow, activity: dict, everyone: list[str]) -> dict:
    target = reference(activity.get("object"))
    reject = types(activity)[0] == "Reject"
    if target and contribution_store.contribution(node.db, target):
        reason = (_plain(activity.get("content")) or _plain(activity.get("summary"))) if reject else None
        return await writer.run(decide, target, person.name, reject=reject, reason=reason)
    follow = follow_store.follow_by_activity(node.db, target) if target else None
    if follow is not None:
        follower, followee, _ = follow
        if followee == person.id:
            return await writer.run(follows.answer, person, follower, target, accept=not reject)
        pool = actor_store.actor(node.db, followee)
        if pool is not None and pool.local and pool.kind == "pool":
            # A steward answering a request to follow their pool (checked by approve).
            return await writer.run(follows.approve, pool.name, follower, person.name, accept=not reject)
    raise NotFound(f"{target} is neither a contribution this node holds nor a request to follow you or your pool")


# --- following -----------------------------------------------------------------------------


async def _follow(node: Node, writer, client, person: ActorRow, activity: dict, everyone: list[str]) -> dict:
    target = reference(activity.get("object"))
    if not target:
        raise BadInput("a Follow names whom to follow as its object")
    if urls.is_local(node.url, target):
        raise BadInput("following actors on this node is not needed: they share its log")
    followee = await client.actor(_fetchable(node, target, "the object of a Follow"))
    follow = activities.follow(activity_id=urls.new_activity(node.url), actor=person.id, target=followee.id,
                               published=now())
    return await writer.run(_send_follow, person, followee.id, follow)


def _send_follow(node: Node, person: ActorRow, followee: str, follow: dict) -> dict:
    with transaction(node.db):
        follow_store.upsert_follow(node.db, person.id, followee, follow["id"], "pending", now())
        return _deliver(node, person, follow, [followee])


def _send_unfollow(node: Node, person: ActorRow, followee: str, undo: dict) -> dict:
    with transaction(node.db):
        follow_store.remove_follow(node.db, person.id, followee)
        return _deliver(node, person, undo, [followee])


async def _undo(node: Node, writer, client, person: ActorRow, activity: dict, everyone: list[str]) -> dict:
    target = reference(activity.get("object"))
    if not target:
        raise BadInput("an Undo names the activity it undoes as its object")
    follow = follow_store.follow_by_activity(node.db, target)
    if follow is not None and follow[0] == person.id:
        undo = activities.undo_follow(activity_id=urls.new_activity(node.url), actor=person.id,
                                      follow_id=target, followee=follow[1], published=now())
        return await writer.run(_send_unfollow, person, follow[1], undo)
    entry = log_store.entry_by_activity(node.db, target)
    if entry is not None and entry.type == "Like" and entry.actor == person.id:
        like = json.loads(entry.body) if entry.body else {}
        undo = activities.undo(activity_id=urls.new_activity(node.url), actor=person.id, obj=target,
                               published=now(), to=like.get("to", []), cc=like.get("cc", []))
        return await writer.run(_log, person, undo)
    original = _own_activity(node, person, target)
    if original is None:
        raise NotFound(f"{target} is not an activity of yours that can be undone")
    return await writer.run(_deliver, person, *_addressed_as(activity, everyone, original))


# --- changing what was posted ---------------------------------------------------------------


async def _update(node: Node, writer, client, person: ActorRow, activity: dict, everyone: list[str]) -> dict:
    obj = activity.get("object")
    target = reference(obj)
    if not isinstance(obj, dict) or not target:
        raise BadInput("an Update carries the whole changed object, with its id")
    if target == person.id:
        raise BadInput("profile changes are not supported through the API yet")
    original = _own_activity(node, person, target)
    if original is None:
        raise Forbidden(f"{target} is not an object you posted here")
    obj["attributedTo"] = person.id
    return await writer.run(_deliver, person, *_addressed_as(activity, everyone, original))


async def _delete(node: Node, writer, client, person: ActorRow, activity: dict, everyone: list[str]) -> dict:
    target = reference(activity.get("object"))
    if not target:
        raise BadInput("a Delete names what it deletes as its object")
    row = contribution_store.contribution(node.db, target)
    if row is not None:
        if row.contributor != person.id:
            raise Forbidden("only its contributor may withdraw a contribution")
        if row.status != "pending":
            raise Conflict(f"{target} was already {row.status}; it stays in the log")
        delete = activities.delete(activity_id=urls.new_activity(node.url), actor=person.id, obj=target,
                                   published=now(), to=[row.pool], cc=[f"{person.id}/followers"])
        return await writer.run(_log, person, delete)
    original = _own_activity(node, person, target)
    if original is None:
        raise Forbidden(f"{target} is not an object you posted here")
    activity["object"] = {"id": target, "type": "Tombstone"}
    return await writer.run(_deliver, person, *_addressed_as(activity, everyone, original))


def _own_activity(node: Node, person: ActorRow, target: str) -> dict | None:
    """The activity by `person` that is `target` or created it (an object id is its
    activity's id with a fragment), from the log or the outgoing queue."""
    activity_id = target.split("#", 1)[0]
    if not urls.is_local(node.url, activity_id):
        return None
    entry = log_store.entry_by_activity(node.db, activity_id)
    body = entry.body if entry is not None else outgoing_store.body(node.db, activity_id)
    if body is None:
        return None
    original = json.loads(body)
    return original if reference(original.get("actor")) == person.id else None


def _addressed_as(activity: dict, everyone: list[str], original: dict) -> tuple[dict, list[str]]:
    """A change to something posted goes where the original went, unless the client
    addressed it itself."""
    if everyone:
        return activity, everyone
    found = []
    for field in ("to", "cc", "audience"):
        targets = [t for t in _as_list(original.get(field)) if isinstance(t, str)]
        if targets:
            activity[field] = targets
            found += [t for t in targets if t not in found]
    return activity, found


_HANDLERS = {
    "Create": _create,
    "Like": _like,
    "Accept": _decision,
    "Reject": _decision,
    "Follow": _follow,
    "Undo": _undo,
    "Update": _update,
    "Delete": _delete,
}
