"""WebFinger lookups (RFC 7033): from ``acct:name@host`` to an actor URL, checked both ways.

A lookup asks ``https://host/.well-known/webfinger?resource=acct:name@host``. A host
that is an IP literal or ``localhost`` is asked with the scheme of the local node's own
URL instead: such hosts are local tests and demos, served over plain http, and a real
peer never has one. Like Mastodon, the answer is checked backwards too: the actor's
``preferredUsername@host`` must lead to the same actor, so a server cannot claim
someone else's account.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from ..addresses import literal_address
from ..errors import BadInput, FetchError, NotFound, VerificationError
from ..store import actors as actor_store

if TYPE_CHECKING:  # the client imports this module to resolve handles
    from .client import Client

JRD_ACCEPT = "application/jrd+json, application/json"
AS_PROFILE = "https://www.w3.org/ns/activitystreams"

# The userpart of an acct: URI (RFC 7565) as fediverse servers use it.
_NAME = re.compile(r"^[A-Za-z0-9_.~+-]+$")
# A DNS name or IP literal, with an optional port.
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]+)?$|^\[[0-9A-Fa-f:.]+\](:[0-9]+)?$")


def parse_handle(text: str) -> tuple[str, str]:
    """(name, host) from ``@name@host``, ``name@host`` or ``acct:name@host``; ``host`` may
    carry a port and is lower-cased. :class:`BadInput` on anything else."""
    handle = text.strip()
    if handle[:5].lower() == "acct:":
        handle = handle[5:]
    name, at, host = handle.removeprefix("@").partition("@")
    problem = None
    if not at or not name or not host:
        problem = "expected name@host"
    elif not _NAME.match(name):
        problem = f"{name!r} is not a user name"
    elif not _valid_host(host):
        problem = f"{host!r} is not a host"
    if problem:
        raise BadInput(f"{text!r} is not a handle ({problem}); write it as @name@host, e.g. @alice@commons.example")
    return name, host.lower()


def _valid_host(host: str) -> bool:
    if not _HOST.match(host):
        return False
    try:
        parts = urlsplit(f"//{host}")
        _port = parts.port  # raises ValueError when malformed
    except ValueError:
        return False
    return bool(parts.hostname) and parts.netloc == host


def scheme_for(host: str, node_url: str) -> str:
    """https, except for IP literals and localhost, which use the local node's scheme."""
    hostname = urlsplit(f"//{host}").hostname or ""
    if literal_address(hostname) is not None or hostname == "localhost" or hostname.endswith(".localhost"):
        return urlsplit(node_url).scheme
    return "https"


def webfinger_url(name: str, host: str, scheme: str = "https") -> str:
    """The WebFinger query for ``acct:name@host``."""
    return f"{scheme}://{host}/.well-known/webfinger?resource={quote(f'acct:{name}@{host}', safe='@:')}"


async def lookup(client: Client, handle: str) -> str:
    """The actor URL of a handle, after checking that the actor's own handle points back."""
    name, host = parse_handle(handle)
    node = client.node
    if host == node.config.host.lower():
        # Our own accounts are in our own database; no need to ask ourselves over HTTP.
        row = actor_store.local_actor(node.db, name)
        if row is None:
            raise NotFound(f"no local actor named {name!r}")
        return row.id
    href = await self_link(client, name, host)
    actor = await client.actor(href)
    actor_host = urlsplit(actor.id).netloc.lower()
    if not actor.name:
        raise VerificationError(f"acct:{name}@{host} points to {actor.id}, which has no preferredUsername")
    if (actor.name.lower(), actor_host) != (name.lower(), host):
        # The handle and the actor disagree (another name, or a delegated domain): the
        # actor's own handle must lead back to it.
        back = await self_link(client, actor.name, actor_host)
        if back != actor.id:
            raise VerificationError(
                f"acct:{name}@{host} points to {actor.id}, but that actor's handle "
                f"acct:{actor.name}@{actor_host} points to {back}"
            )
    return actor.id


async def self_link(client: Client, name: str, host: str) -> str:
    """The ``self`` link of ``acct:name@host`` whose type is an ActivityPub media type."""
    url = webfinger_url(name, host, scheme_for(host, client.node.url))
    _, jrd = await client.fetch_json(url, accept=JRD_ACCEPT, signed=False)
    links = jrd.get("links")
    if not isinstance(links, list):
        raise FetchError(f"the WebFinger answer from {url} has no links")
    for link in links:
        if not isinstance(link, dict) or link.get("rel") != "self" or not _is_activity_type(link.get("type")):
            continue
        href = link.get("href")
        if isinstance(href, str) and href.lower().startswith(("https://", "http://")):
            return href
    raise NotFound(f"acct:{name}@{host} has no ActivityPub actor (no self link of type application/activity+json)")


def _is_activity_type(media_type: object) -> bool:
    if not isinstance(media_type, str):
        return False
    mime, _, params = media_type.partition(";")
    mime = mime.strip().lower()
    if mime == "application/activity+json":
        return True
    return mime == "application/ld+json" and "profile" in params and AS_PROFILE in params
