"""Addressing: from an activity's recipients (actors and collections) to distinct inboxes.

- The public collection and local actors need no delivery: the activity is already in
  this node's log, which is where local actors read it.
- A local actor's followers collection (``{actor}/followers``) stands for its accepted
  remote followers.
- A remote actor is reached at its shared inbox when it has one, else at its own inbox,
  so one POST serves every recipient on a server that offers a shared inbox.

:func:`plan` reads only the database, so fanning out never waits on the network; a
remote actor the node has not stored yet is returned as unresolved, and the delivery
worker fetches it with :func:`resolve_inbox` under its usual limits and backoff.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .. import fields, urls
from ..errors import NotFound
from ..node import Node
from ..store import actors as actor_store
from ..store import follows as follow_store
from ..store.actors import ActorRow

# The three spellings of the public collection that appear in to/cc.
PUBLIC = frozenset({"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"})

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass
class Plan:
    """Where an activity goes: inboxes known now, and remote actors still to be fetched."""

    inboxes: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)


def host_of(url: str) -> str:
    """The host a URL is served from, as the delivery queue keys it: lowercase
    ``host[:port]`` without credentials, the port only when it is not the scheme's default."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced [ in a URL some peer published
        return ""
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        return f"{host}:{port}"
    return host


def normalise_host(host: str) -> str:
    """A host named by a caller (``Host:8080``, or a URL) in the form :func:`host_of` gives."""
    if "://" in host:
        return host_of(host)
    return host.strip().lower()


def inbox_of(actor: ActorRow) -> str | None:
    """The inbox to POST to for an actor: its server's shared inbox when it has one."""
    return actor.shared_inbox or actor.inbox


def remote_recipients(node: Node, recipients: list[str]) -> list[str]:
    """The remote actors behind a list of recipients, each once, in the order first named.

    Local followers collections are expanded; the public collection, local actors and
    anything that is not a URL are dropped (see the module docstring).
    """
    seen: dict[str, None] = {}
    for recipient in recipients:
        if not fields.is_http_url(recipient) or recipient in PUBLIC:
            continue
        if urls.is_local(node.url, recipient):
            for follower in _local_followers(node, recipient):
                if not urls.is_local(node.url, follower):
                    seen.setdefault(follower)
            continue
        seen.setdefault(recipient)
    return list(seen)


def plan(node: Node, recipients: list[str]) -> Plan:
    """The distinct inboxes of an activity's recipients, from the actors this node has stored."""
    result = Plan()
    inboxes: set[str] = set()
    for actor_id in remote_recipients(node, recipients):
        row = actor_store.actor(node.db, actor_id)
        inbox = inbox_of(row) if row is not None and not row.local else None
        if inbox is None:
            result.unresolved.append(actor_id)
        elif inbox not in inboxes:
            inboxes.add(inbox)
            result.inboxes.append(inbox)
    return result


async def resolve_inbox(client, actor_id: str, *, refresh: bool = False) -> str:
    """Fetch a remote actor through the client and return the inbox to deliver to.

    Raises whatever the client raises when the actor cannot be fetched, and
    :class:`~fedcommons.errors.NotFound` when the actor names no inbox at all.
    """
    actor = await client.actor(actor_id, refresh=refresh)
    inbox = inbox_of(actor)
    if not inbox:
        raise NotFound(f"{actor_id} names no inbox, so nothing can be delivered to it")
    return inbox


def _local_followers(node: Node, url: str) -> list[str]:
    """The accepted followers behind a local followers collection URL; [] for anything else."""
    owner, slash, last = url.rpartition("/")
    if not slash or last != "followers":
        return []
    row = actor_store.actor(node.db, owner)
    if row is None or not row.local:
        return []
    return follow_store.followers(node.db, owner)
