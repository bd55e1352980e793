"""A fediverse Note that mentions a pool of ours becomes a pending contribution claim.

One path for both ways a Note arrives: delivered to an inbox by another server
(federation.processing) and posted to a local person's outbox through the ActivityPub API
(services.contributions.c2s). The pool records what the Note claims as a `Create{Contribution}` in its
own name, with the person as provider and the Note as `claim`, and answers the author
with a reply saying what it recorded or why it could not.
"""

from urllib.parse import urlsplit, urlunsplit

from ... import activities, urls
from ...claims import mentioned, read_claim
from ...effort import format_effort
from ...node import Node, now
from ...store import actors as actor_store
from ...store import contributions as contribution_store
from ...store import outgoing as outgoing_store
from ...store.actors import ActorRow
from ...store.db import transaction
from ..actors.signing import sign_as
from ..log import log_writer
from .contributions import followers_of

Result = tuple[str, str | None]


def _variants(url: str) -> list[str]:
    """A mention href and the spellings of it that name the same actor (a trailing slash,
    a fragment, or a query some clients add to profile URLs)."""
    found = [url]
    try:
        parts = urlsplit(url)
    except ValueError:
        return found
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    if bare and bare not in found:
        found.append(bare)
    return found


def local_pool(node: Node, reference: str) -> ActorRow | None:
    """The local pool a mention href or address names, by its `id` or its `url`
    (which are the same URL on this node, give or take a trailing slash)."""
    for candidate in _variants(reference):
        row = actor_store.actor(node.db, candidate)
        if row is not None and row.local and row.kind == "pool":
            return row
    return None


def addressed_pools(node: Node, note: dict) -> list[ActorRow]:
    """The pools of this node a Note mentions (Mention tags) or addresses (to, cc)."""
    pools: list[ActorRow] = []
    for target in mentioned(note):
        row = local_pool(node, target)
        if row is not None and row not in pools:
            pools.append(row)
    return pools


def record_note_claim(node: Node, pool: ActorRow, note: dict, *, author: str, author_name: str,
                      note_id: str) -> Result:
    """Record the claim a Note makes on `pool` and reply to its author.

    ('processed', None) when recorded; ('processed', why) when the Note could not be read
    as a claim (the reply says why); ('ignored', why) when it was already recorded.
    Claims are keyed by `note_id`, so the caller passes only an id it has checked is the
    author's (on the author's server, or minted here). Malformed when a field of the Note
    has a shape it may not have.
    """
    if contribution_store.claimed(node.db, note_id):
        return "ignored", "already recorded"
    claim = read_claim(note, node.config.kinds)
    pool_name = pool.display_name or pool.name
    with transaction(node.db):
        if claim.problem:
            _reply(node, pool, author, note_id, f"I could not record this for {pool_name}: {claim.problem}.")
            return "processed", claim.problem
        recorded = activities.contribution(
            activity_id=urls.new_activity(node.url), contribution_id=urls.new_contribution(node.url),
            actor=pool.id, provider=author, pool=pool.id, pool_name=pool_name,
            provider_name=author_name, minutes=claim.minutes, kind=claim.kind, summary=claim.summary,
            published=now(), claim=note_id, cc=followers_of(pool),
        )
        pending = sign_as(node, pool, recorded)
        log_writer.append(node, [pending])
        url = pending.activity["object"]["id"]
        _reply(node, pool, author, note_id,
               f"Recorded {format_effort(claim.minutes)} of {claim.kind} for "
               f"{pool_name}, pending a steward's validation: {url}")
    return "processed", None


def _reply(node: Node, pool: ActorRow, to: str, in_reply_to: str, text: str) -> None:
    """The pool answers the Note's author (queued; a local author reads it in their inbox)."""
    reply = activities.reply(activity_id=urls.new_activity(node.url), actor=pool.id, to=to,
                             in_reply_to=in_reply_to, text=text, published=now())
    pending = sign_as(node, pool, reply)
    outgoing_store.enqueue(node.db, reply["id"], pool.id, pending.body, [to], now())
