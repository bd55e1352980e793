"""Cooperatives: local actors that sustain common pools (on any node) and pay their contributors.

A cooperative is an actor of kind ``cooperative`` (``["Organization", "Cooperative"]`` at
``/coops/{slug}``) with its own keys, so what it decides is signed by it, not by a person.

Members are the local people who may act for it on this node: every command that writes
for a cooperative names one (``--as MEMBER``) and is refused for anyone else. Membership
is this node's authorisation, kept in its database; it is not a public fact in the log,
which records what the cooperative itself signed.

What a cooperative sustains is stated in an Update of the cooperative by itself, carrying
its public description and the full list ``sustains: [{pool, weight}]`` (weights as
decimal strings), so the log holds every change. A pool on another node is also followed
by the cooperative, so the pool's activities reach this node as they happen; its home
node's log must be replicated here (``fedcommons sync``) before a payout can compute its
standing.

Its default payout constraints (``payoutConstraints``, see :mod:`fedcommons.payout.defaults`)
are stated the same way, in an Update of itself that carries them; a payout whose run
leaves a constraint out takes it from there. Once the cooperative has adopted governance,
both change only when a proposal of its members passes.
"""

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING

from ... import activities, urls
from ...activities import ACTOR_BASE, ACTOR_TERMS, context_for
from ...errors import BadInput, FedcommonsError, Forbidden, NotFound
from ...node import Node, now
from ...payout.constraints import decimal_fraction, decimal_text
from ...payout.defaults import read_defaults
from ...store import actors as actor_store
from ...store import coops as coop_store
from ...store import follows as follow_store
from ...store import governance as governance_store
from ...store.actors import ActorRow
from ...store.db import transaction
from ..actors import remote
from ..actors.actors import create_actor, public_description, require
from ..actors.follows import send_follow
from ..actors.signing import sign_as
from ..log import log_writer
from ..standing.logs import replicate

if TYPE_CHECKING:  # the type only: the client is an edge's, handed in
    from ...federation.client import Client


@dataclass(frozen=True)
class Sustain:
    """A pool a cooperative sustains and its weight among the cooperative's pools."""

    pool: str
    weight: Fraction

    @property
    def weight_text(self) -> str:
        """The weight as the decimal string the log carries ("1", "0.5")."""
        return decimal_text(self.weight) or ""


@dataclass(frozen=True)
class SustainChange:
    """What ``sustain``/``unsustain`` did: the new list, and the Follow sent (remote pools)."""

    coop: ActorRow
    pool: ActorRow
    sustains: list[Sustain]
    update_id: str
    follow_id: str | None = None
    replicated: int | None = None  # entries of the pool's home log held here after syncing
    sync_problem: str | None = None


def create_coop(node: Node, slug: str, *, name: str, members: list[str],
                summary: str | None = None) -> ActorRow:
    """A new cooperative on this node; its members must be local people."""
    if not members:
        raise BadInput("a cooperative needs at least one member who may act for it (--member NAME)")
    people = sorted({require(node, m, "person").id for m in members})
    with transaction(node.db):
        row = create_actor(node, "cooperative", slug, display_name=name, summary=summary)
        coop_store.add_members(node.db, row.id, people)
    return row


def require_coop(node: Node, slug: str) -> ActorRow:
    """A local cooperative by slug, or NotFound saying how to create one."""
    return require(node, slug, "cooperative")


def acting_member(node: Node, coop: ActorRow, person: str) -> ActorRow:
    """The local person ``person`` if they may act for ``coop``; Forbidden otherwise."""
    row = require(node, person, "person")
    if not coop_store.is_member(node.db, coop.id, row.id):
        raise Forbidden(f"{person} is not a member of the cooperative {coop.name}; "
                        f"members: {', '.join(_names(members(node, coop))) or 'none'}")
    return row


def add_members(node: Node, slug: str, people: list[str], *, member: str) -> list[str]:
    """A member lets more local people act for the cooperative; returns every member's URL."""
    coop = require_coop(node, slug)
    acting_member(node, coop, member)
    ids = [require(node, p, "person").id for p in people]
    with transaction(node.db):
        coop_store.add_members(node.db, coop.id, ids)
    return members(node, coop)


def members(node: Node, coop: ActorRow) -> list[str]:
    """URLs of the people who may act for ``coop``."""
    return coop_store.members(node.db, coop.id)


def sustained(node: Node, coop: ActorRow) -> list[Sustain]:
    """The pools ``coop`` sustains now (as its latest Update of itself says), by pool URL."""
    return [Sustain(pool, Fraction(weight)) for pool, weight in coop_store.sustains(node.db, coop.id)]


def parse_weight(text: str) -> Fraction:
    """A sustain weight: a positive decimal such as 1 or 0.5."""
    weight = decimal_fraction(text, "--weight")
    if weight <= 0:
        raise BadInput(f"--weight must be more than zero, not {text}; use `coop unsustain` to stop sustaining")
    return weight


async def sustain(node: Node, client: "Client", slug: str, pool_reference: str, *, member: str,
                  weight: str = "1", replicate: bool = True) -> SustainChange:
    """``member`` has the cooperative sustain a pool (or change its weight).

    A remote pool is followed by the cooperative (the Update and the Follow are queued for
    the running server to deliver) and, with ``replicate``, its home node's log is synced
    here at once; a sync that fails is reported, not raised: the server's sync worker
    keeps the logs of followed pools' nodes up to date and will try again.
    """
    coop = require_coop(node, slug)
    acting_member(node, coop, member)
    value = parse_weight(weight)
    pool = await remote.resolve_pool(node, client, pool_reference)
    current = {s.pool: s for s in sustained(node, coop)}
    current[pool.id] = Sustain(pool.id, value)
    follow_id = None
    with transaction(node.db):
        update_id = _publish(node, coop, sorted(current.values(), key=lambda s: s.pool))
        if not pool.local and pool.id not in follow_store.following(node.db, coop.id):
            follow_id = send_follow(node, coop, pool)["id"]
    change = SustainChange(coop, pool, sustained(node, coop), update_id, follow_id)
    if pool.local or not replicate:
        return change
    try:
        return replace(change, replicated=await replicate_home_log(node, client, pool))
    except FedcommonsError as exc:
        return replace(change, sync_problem=str(exc))


async def unsustain(node: Node, client: "Client", slug: str, pool_reference: str, *, member: str) -> SustainChange:
    """``member`` has the cooperative stop sustaining a pool (its earlier payouts stay as they are)."""
    coop = require_coop(node, slug)
    acting_member(node, coop, member)
    current = {s.pool: s for s in sustained(node, coop)}
    pool = await _known_pool(node, client, pool_reference, current)
    del current[pool.id]
    with transaction(node.db):
        update_id = _publish(node, coop, sorted(current.values(), key=lambda s: s.pool))
    return SustainChange(coop, pool, sustained(node, coop), update_id)


def home_node(pool: ActorRow) -> str:
    """The base URL of a remote fedcommons pool's node (pools live at ``{base}/pools/{slug}``)."""
    base = urls.home_of_pool(pool.id)
    if base is None:
        raise BadInput(f"{pool.id} is not a fedcommons pool URL, so its node's log cannot be replicated")
    return base


async def replicate_home_log(node: Node, client: "Client", pool: ActorRow) -> int:
    """Sync this node's mirror of a remote pool's home log now; returns the entries held."""
    return await replicate(node, client, home_node(pool))


async def _known_pool(node: Node, client: "Client", reference: str, current: dict[str, Sustain]) -> ActorRow:
    """The sustained pool ``reference`` names, matched without a network lookup when possible."""
    if not remote.is_remote_reference(reference):
        pool = require(node, reference, "pool")
    else:
        pool = actor_store.actor(node.db, reference) or await remote.resolve_pool(node, client, reference)
    if pool.id not in current:
        raise NotFound(f"the cooperative does not sustain {pool.id}")
    return pool


def payout_defaults(node: Node, coop: ActorRow) -> dict:
    """The default payout constraints ``coop`` stated last (``{}``: none)."""
    return coop_store.payout_defaults(node.db, coop.id)


def set_payout_defaults(node: Node, slug: str, constraints: dict, *, member: str) -> str:
    """``member`` has the cooperative state its default payout constraints (the whole set:
    ``{}`` clears them), in its Update of itself; returns the Update's id. Forbidden once it
    has adopted governance."""
    coop = require_coop(node, slug)
    acting_member(node, coop, member)
    normalized = read_defaults(constraints)
    with transaction(node.db):
        _refuse_if_governed(node, coop, "default payout constraints")
        return _publish_update(node, coop, {"payoutConstraints": normalized})


def _publish(node: Node, coop: ActorRow, sustains: list[Sustain]) -> str:
    """Log the cooperative's Update of itself with its full ``sustains`` list, signed by it;
    Forbidden once it has adopted governance (then its members' proposals decide)."""
    _refuse_if_governed(node, coop, "what it sustains")
    return _publish_update(node, coop, {"sustains": [{"pool": s.pool, "weight": s.weight_text} for s in sustains]})


def _refuse_if_governed(node: Node, coop: ActorRow, what: str) -> None:
    if governance_store.governance(node.db, coop.id) is not None:
        raise Forbidden(f"{coop.name} has adopted governance: {what} changes only when a proposal "
                        f"passes (`fedcommons propose {coop.name} --coop --as NAME --title ... --change JSON`)")


def _publish_update(node: Node, coop: ActorRow, fields: dict) -> str:
    """The cooperative's Update of itself: its public description and ``fields``, to its followers."""
    obj = {**public_description(node, coop), **fields}
    activity = activities.update_object(
        activity_id=urls.new_activity(node.url), actor=coop.id, obj=obj, published=now()
    )
    activity["cc"] = [f"{coop.id}/followers"]
    if "payoutConstraints" in fields:  # the term only when used: sustain Updates keep their context
        activity["@context"] = list(context_for(ACTOR_TERMS + ("payoutConstraints",), ACTOR_BASE))
    log_writer.append(node, [sign_as(node, coop, activity)])
    return activity["id"]


def _names(urls_: list[str]) -> list[str]:
    return [u.rstrip("/").rsplit("/", 1)[-1] for u in urls_]
