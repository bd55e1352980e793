"""Whose ids are whose: an actor mints ids only on its own server.

The inbox deduplicates on an activity's `id`, and a Note claim is keyed by the Note's
`id`; if an actor could publish under ids on another server, it could take those ids
first and have the real owner's activity dropped as a replay. So the activity's own id,
and the id of an object it creates or updates (embedded in it), must have the actor's
scheme, host and port. Objects an activity only refers to (a Like's, an Accept's, an
Undo's) are other people's ids, and rightly so.
"""

from urllib.parse import urlsplit

from .. import fields

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Activities whose embedded object is the actor's own, with an id the actor mints.
AUTHORING = ("Create", "Update")


def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, the scheme's default port filled in; None
    when it is not one."""
    if not fields.is_http_url(url):
        return None
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return None
    return scheme, (parts.hostname or "").lower(), port if port is not None else _DEFAULT_PORTS[scheme]


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs are on the same server (scheme, host and port); never for non-URLs."""
    mine = origin(a)
    return mine is not None and mine == origin(b)


def authored_object(activity: dict) -> dict | None:
    """The object an activity creates or updates, when it is embedded (its id is the actor's)."""
    kinds = fields.types(activity)
    return fields.embedded(activity, "object") if kinds and kinds[0] in AUTHORING else None


def foreign_ids(activity: dict, actor: str) -> tuple[str | None, str | None]:
    """(the activity's id, its authored object's id), each only when it is not on the
    actor's server. Malformed when either id is not an http(s) URL."""
    activity_id = fields.url(activity, "id")
    obj = authored_object(activity)
    object_id = fields.url(obj, "id") if obj is not None else None
    return (activity_id if activity_id and not same_origin(activity_id, actor) else None,
            object_id if object_id and not same_origin(object_id, actor) else None)
