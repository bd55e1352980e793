"""Acting on other servers: look up, follow, contribute to a remote pool, endorse a remote
contribution.

Each is handed the client to reach the other server with (the CLI opens one for the
command: `cli/network.py`). What they write goes to the log and the delivery queue, and
the running server delivers it.
"""

import json
from typing import TYPE_CHECKING

from ... import activities, urls
from ...errors import BadInput, NotFound
from ...fields import types
from ...node import Node, now
from ...store.actors import ActorRow
from ..log import log_writer
from .actors import require
from .follows import send_follow
from .signing import sign_as

if TYPE_CHECKING:  # the type only: the client is an edge's, handed in
    from ...federation.client import Client


def is_remote_reference(text: str) -> bool:
    """A handle (@name@host) or URL rather than a local name."""
    return "@" in text or "://" in text


async def lookup(node: Node, client: "Client", handle_or_url: str) -> tuple[ActorRow, dict]:
    """WebFinger (for a handle), then the actor document."""
    row = await client.resolve(handle_or_url)
    return row, json.loads(row.document) if row.document else {}


def local_pool(node: Node, reference: str) -> ActorRow | None:
    """A pool of this node by slug or URL (NotFound when it has none such); None for a
    reference to another server's pool."""
    if not is_remote_reference(reference):
        return require(node, reference, "pool")
    if urls.is_local(node.url, reference):
        return require(node, reference.rstrip("/").rsplit("/", 1)[-1], "pool")
    return None


async def resolve_pool(node: Node, client: "Client", reference: str) -> ActorRow:
    """A pool by local slug, handle or URL."""
    local = local_pool(node, reference)
    if local is not None:
        return local
    row, doc = await lookup(node, client, reference)
    if row.kind != "pool" and "CommonPool" not in types(doc):
        raise BadInput(f"{reference} is a {row.kind}, not a pool")
    return row


async def follow(node: Node, client: "Client", handle_or_url: str, follower: str) -> dict:
    """`follower` follows a remote actor; delivered by the server, accepted by the other side."""
    person = require(node, follower, "person")
    target, _ = await lookup(node, client, handle_or_url)
    if target.local:
        raise BadInput("following actors on this node is not needed: they share its log")
    return send_follow(node, person, target)


async def endorse_remote(node: Node, client: "Client", contribution_url: str, endorser: str,
                         weight: float | None = None) -> dict:
    """Endorse a contribution held on another server (fetched to learn its author and pool)."""
    person = require(node, endorser, "person")
    obj = await client.get_json(contribution_url)
    if "Contribution" not in types(obj):
        raise NotFound(f"{contribution_url} is not a contribution")
    provider = obj.get("provider") or obj.get("attributedTo")
    if provider == person.id:
        raise BadInput("endorsing your own contribution counts for nothing; ask a peer")
    activity = activities.endorsement(
        activity_id=urls.new_activity(node.url), actor=person.id, contribution_id=obj["id"],
        contributor=provider, published=now(), weight=weight,
    )
    if isinstance(obj.get("receiver"), str):
        activity["cc"] = [obj["receiver"]]
    pending = sign_as(node, person, activity)
    log_writer.append(node, [pending])
    return pending.activity
