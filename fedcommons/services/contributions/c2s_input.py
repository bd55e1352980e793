"""Reading what ActivityPub API clients post to an outbox, as the clients people use send it.

Clients post a bare `Create`, or a bare object, with no `id`, `actor`, `attributedTo`,
addressing or `published`; send plain text in `source.content` beside HTML `content`;
address a pool only with a `Mention` tag. :func:`complete` turns any of that into a whole
activity by the authenticated person, with server-assigned ids (ActivityPub §6), before
anything is checked, signed or sent.
"""

import copy
from html import escape

from ... import activities, urls
from ...activities import PUBLIC
from ...errors import BadInput, Forbidden
from ...fields import types
from ...node import now
from ...store.actors import ActorRow

# ActivityStreams activity types: a body of any other type is an object to wrap in Create.
# (Question is left out: Mastodon posts polls as Question objects.)
AS_ACTIVITIES = frozenset({
    "Accept", "Add", "Announce", "Arrive", "Block", "Create", "Delete", "Dislike", "Flag",
    "Follow", "Ignore", "Invite", "Join", "Leave", "Like", "Listen", "Move", "Offer", "Read",
    "Reject", "Remove", "TentativeAccept", "TentativeReject", "Travel", "Undo", "Update", "View",
})
SUPPORTED = ("Create", "Like", "Follow", "Undo", "Accept", "Reject", "Update", "Delete")
ADDRESSING = ("to", "cc", "bto", "bcc", "audience")
HIDDEN = ("bto", "bcc")  # addressed, but never shown to those who receive the activity


def reference(value) -> str | None:
    """The id a property names, whether it holds a URL or an embedded object."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def _as_list(value) -> list[str]:
    items = [value] if isinstance(value, (str, dict)) else value if isinstance(value, list) else []
    return [ref for ref in (reference(item) for item in items) if ref]


def _context(body: dict) -> list:
    """Our context, plus inline term definitions the client sent (a context URL a strict
    server would have to fetch is left out)."""
    ours = list(activities.context_for())
    extra = body.get("@context")
    for item in extra if isinstance(extra, list) else [extra]:
        if isinstance(item, dict) and item not in ours:
            ours.append(item)
    return ours


def complete(node_url: str, person: ActorRow, body) -> tuple[dict, list[str]]:
    """(the whole activity, every recipient including the hidden ones) for a posted body.

    Forbidden when the body claims another actor or author; BadInput when it is not an
    activity this node can act on.
    """
    if not isinstance(body, dict):
        raise BadInput("post one JSON object: an activity, or an object to wrap in a Create")
    kind = (types(body) or [None])[0]
    if kind is None:
        raise BadInput("the posted object has no type")
    body = copy.deepcopy(body)
    body.pop("proof", None)  # the server signs; a client's proof would not cover what it sends
    if kind not in AS_ACTIVITIES:
        body = {"type": "Create", "object": body, "@context": body.pop("@context", None)}
        kind = "Create"
    if kind not in SUPPORTED:
        raise BadInput(f"{kind} activities are not supported here; post one of {', '.join(SUPPORTED)}")
    claimed = reference(body.get("actor"))
    if claimed is not None and claimed != person.id:
        raise Forbidden(f"this outbox posts as {person.id}, not as {claimed}")

    activity_id = urls.new_activity(node_url)
    published = now()
    activity = {**body, "@context": _context(body), "id": activity_id, "actor": person.id, "published": published}
    obj = activity.get("object")
    if kind == "Create":
        if not isinstance(obj, dict):
            raise BadInput("a Create carries the object it creates, embedded")
        activity["object"] = obj = _complete_object(obj, person, activity_id, published)
        _share_addressing(activity, obj, person)
    elif obj is None:
        raise BadInput(f"a {kind} needs an object")
    everyone = []
    for holder in (activity, obj if isinstance(obj, dict) else {}):
        for field in ADDRESSING:
            for target in _as_list(holder.get(field)):
                if target not in everyone:
                    everyone.append(target)
    for holder in (activity, obj if isinstance(obj, dict) else {}):
        for field in HIDDEN:
            holder.pop(field, None)
    return activity, everyone


def _complete_object(obj: dict, person: ActorRow, activity_id: str, published: str) -> dict:
    if not types(obj):
        raise BadInput("the created object has no type")
    if (types(obj) or [""])[0] in AS_ACTIVITIES:
        raise BadInput("a Create creates an object, not another activity")
    author = reference(obj.get("attributedTo"))
    if author is not None and author != person.id:
        raise Forbidden(f"this outbox posts as {person.id}; the object is attributed to {author}")
    obj = {k: v for k, v in obj.items() if k not in ("@context", "proof")}
    obj["id"] = activity_id + "#object"
    obj["attributedTo"] = person.id
    if not isinstance(obj.get("published"), str):
        obj["published"] = published
    if not isinstance(obj.get("content"), str):
        content_map = obj.get("contentMap")
        if isinstance(content_map, dict):
            first = next((v for v in content_map.values() if isinstance(v, str)), None)
            if first is not None:
                obj["content"] = first
        source = obj.get("source")
        if "content" not in obj and isinstance(source, dict) and isinstance(source.get("content"), str):
            obj["content"] = f"<p>{escape(source['content'])}</p>"
    return obj


def mention_hrefs(obj: dict) -> list[str]:
    """The actors a Mention tag names."""
    tags = obj.get("tag")
    found = []
    for tag in tags if isinstance(tags, list) else [tags]:
        if isinstance(tag, dict) and tag.get("type") == "Mention" and isinstance(tag.get("href"), str):
            found.append(tag["href"])
    return found


def _share_addressing(activity: dict, obj: dict, person: ActorRow) -> None:
    """A Create and its object carry the same recipients (ActivityPub §6.2); with none at
    all, the post is public and goes to the author's followers, as a fediverse post would.
    Everyone mentioned is addressed, so a mentioned pool on another server hears of it."""
    for field in ADDRESSING:
        merged = []
        for target in _as_list(activity.get(field)) + _as_list(obj.get(field)):
            if target not in merged:
                merged.append(target)
        if merged:
            activity[field] = obj[field] = merged
        else:
            activity.pop(field, None)
            obj.pop(field, None)
    if not any(field in activity for field in ADDRESSING):
        activity["to"] = obj["to"] = [PUBLIC]
        activity["cc"] = obj["cc"] = [f"{person.id}/followers"]
    addressed = {t for field in ADDRESSING for t in activity.get(field, [])}
    extra = [href for href in mention_hrefs(obj) if href not in addressed]
    if extra:
        activity["cc"] = obj["cc"] = list(activity.get("cc", [])) + extra
