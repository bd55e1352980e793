"""Adopting governance, proposing, voting and delegating, as local people.

A pool adopts governance by a steward's Update carrying its settings; from then on its
governed parameters change only when a proposal passes (see :mod:`.tallies`). A proposal
is a Question the pool itself publishes to its followers; a vote and a delegation are
signed by the person who makes them, and delivered to the pool when it lives elsewhere.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta, timezone

import orjson

from ... import urls
from ...errors import BadInput, Forbidden, NotFound
from ...governance import activities as governance_activities
from ...governance.settings import COOP_PARAMETERS, MEMBERS, POOL_PARAMETERS, check_change, read_settings
from ...node import Node, now
from ...payout.constraints import decimal_text
from ...payout.defaults import read_defaults
from ...standing import validate_parameters
from ...store import actors as actor_store
from ...store import coops as coop_store
from ...store import governance as governance_store
from ...store import log as log_store
from ...store.actors import ActorRow
from ...store.db import transaction
from ..actors.actors import public_description, require
from ..actors.pools import SPDX_EXPRESSION
from ..actors.signing import sign_as
from ..log import log_writer
from ..payouts.coops import parse_weight

MIN_DURATION = timedelta(minutes=1)
MAX_DURATION = timedelta(days=366)
_DURATION = re.compile(r"^(\d{1,6})([mhd])$")


def governed(node: Node, pool: ActorRow) -> dict | None:
    """The pool's governance settings, or None while its stewards decide alone."""
    return governance_store.governance(node.db, pool.id)


def refuse_if_governed(node: Node, actor: ActorRow, what: str) -> None:
    """Forbidden, saying how to propose instead, once the pool or cooperative has adopted governance."""
    if governed(node, actor) is not None:
        coop = " --coop" if actor.kind == "cooperative" else ""
        raise Forbidden(f"{actor.name} has adopted governance: its {what} changes only when a proposal passes "
                        f"(`fedcommons propose {actor.name}{coop} --as NAME --title ... --change JSON`)")


def adopt(node: Node, slug: str, *, steward: str, settings: dict | None = None) -> dict:
    """A steward's Update by which the pool adopts governance with ``settings``."""
    normalized = _pool_settings(settings or {})
    pool = require(node, slug, "pool")
    person = require(node, steward, "person")
    with transaction(node.db):
        if person.id not in actor_store.stewards(node.db, pool.id):
            raise Forbidden(f"{steward} is not a steward of {pool.id}; only a steward can adopt governance")
        refuse_if_governed(node, pool, "governance setting")
        return _update_pool(node, pool, person, {"governance": normalized})


def adopt_for_coop(node: Node, slug: str, *, member: str, settings: dict | None = None) -> dict:
    """A member has the cooperative adopt governance: from then on what it sustains changes
    only when its members pass a proposal. Its Update of itself, signed by it."""
    normalized = read_settings({**(settings or {}), "electorate": MEMBERS}).as_dict()
    coop = require(node, slug, "cooperative")
    person = require(node, member, "person")
    with transaction(node.db):
        if not coop_store.is_member(node.db, coop.id, person.id):
            raise Forbidden(f"{member} is not a member of {slug}; only a member can adopt governance for it")
        refuse_if_governed(node, coop, "governance setting")
        obj = {**public_description(node, coop), "governance": normalized}
        activity = governance_activities.governed_update(
            activity_id=urls.new_activity(node.url), actor=coop.id, published=now(), obj=obj)
        pending = sign_as(node, coop, activity)
        log_writer.append(node, [pending])
    return pending.activity


def _pool_settings(settings: object) -> dict:
    normalized = read_settings(settings).as_dict()
    if normalized["electorate"] == MEMBERS:
        raise BadInput("members vote in a cooperative; a pool's electorate is contributors, standing or stewards")
    return normalized


def _update_pool(node: Node, pool: ActorRow, actor: ActorRow, fields: dict) -> dict:
    activity = governance_activities.governed_update(
        activity_id=urls.new_activity(node.url), actor=actor.id, published=now(),
        obj={"id": pool.id, "type": ["Group", "CommonPool"], **fields})
    pending = sign_as(node, actor, activity)
    log_writer.append(node, [pending])
    return pending.activity


def parse_end(text: str, *, start: datetime | None = None) -> datetime:
    """When a proposal ends: a duration (``30m``, ``48h``, ``7d``) from now, or an ISO instant."""
    start = start or datetime.now(timezone.utc).replace(microsecond=0)
    match = _DURATION.match(text.strip())
    if match:
        count, unit = int(match.group(1)), match.group(2)
        end = start + {"m": timedelta(minutes=count), "h": timedelta(hours=count), "d": timedelta(days=count)}[unit]
    else:
        try:
            end = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise BadInput(f"--ends {text!r} is neither a duration (30m, 48h, 7d) nor an ISO 8601 instant") from None
        if end.tzinfo is None:
            raise BadInput(f"--ends {text!r} has no time zone: add Z for UTC")
    if not MIN_DURATION <= end - start <= MAX_DURATION:
        raise BadInput("a proposal runs from one minute to a year")
    return end.astimezone(timezone.utc).replace(microsecond=0)


def check_pool_change(change: object) -> dict:
    """A change of a pool's governed parameters, each value checked as the commands check it."""
    change = check_change(change, POOL_PARAMETERS)
    if "standingMethod" in change:
        method = change["standingMethod"]
        if type(method) is not dict:
            raise BadInput("standingMethod must be {\"method\": NAME, \"parameters\": {...}}")
        normalized = validate_parameters(method.get("method"), method.get("parameters"))
        change["standingMethod"] = {"method": method["method"], "parameters": normalized}
    if "stewards" in change:
        stewards = change["stewards"]
        if type(stewards) is not list or not stewards or not all(type(s) is str and s for s in stewards):
            raise BadInput("stewards must be a non-empty list of actor URLs")
        change["stewards"] = sorted(set(stewards))
    if "license" in change and (type(change["license"]) is not str or not SPDX_EXPRESSION.match(change["license"])):
        raise BadInput("license must be an SPDX license expression (for example MIT or CC-BY-SA-4.0)")
    if "manuallyApprovesFollowers" in change and type(change["manuallyApprovesFollowers"]) is not bool:
        raise BadInput("manuallyApprovesFollowers must be true or false")
    if "governance" in change:
        change["governance"] = _pool_settings(change["governance"])
    return change


def check_coop_change(node: Node, change: object) -> dict:
    """A change of a cooperative's parameters: what it sustains (the full list of pools this
    node knows, each with a positive decimal weight, as `coop sustain` writes it), its
    default payout constraints (the whole set, as `coop constraints` states it), its settings."""
    change = check_change(change, COOP_PARAMETERS)
    checked = {}
    if "payoutConstraints" in change:
        checked["payoutConstraints"] = read_defaults(change["payoutConstraints"])
    if "governance" in change:  # members always vote; quorum and majority may change
        checked["governance"] = read_settings({**change["governance"], "electorate": MEMBERS}).as_dict()
    if "sustains" not in change:
        return checked
    sustains = change["sustains"]
    if type(sustains) is not list or not all(type(s) is dict and set(s) <= {"pool", "weight"} for s in sustains):
        raise BadInput('sustains must be a list of {"pool": URL, "weight": "0.5"}')
    written = []
    for item in sustains:
        pool = actor_store.actor(node.db, item.get("pool")) if type(item.get("pool")) is str else None
        if pool is None or pool.kind != "pool":
            raise BadInput(f"{item.get('pool')!r} is not a pool this node knows; sustain it once with "
                           "`fedcommons coop sustain` (which follows it and replicates its log)")
        weight = parse_weight(str(item.get("weight", "1")))
        written.append({"pool": pool.id, "weight": decimal_text(weight)})
    if len({s["pool"] for s in written}) != len(written):
        raise BadInput("a pool is listed twice in sustains")
    return {**checked, "sustains": sorted(written, key=lambda s: s["pool"])}


def propose(node: Node, slug: str, *, proposer: str, title: str, change: dict, ends: datetime,
            options: tuple[str, str] = ("yes", "no"), kind: str = "pool") -> dict:
    """The governed actor publishes a Question: the first option applies ``change``, the
    second keeps things as they are. Returns the Create."""
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise BadInput("a proposal needs a --title of 1 to 200 characters")
    if len(set(options)) != 2 or not all(o.strip() and len(o) <= 200 for o in options):
        raise BadInput("a proposal has two different, non-empty options")
    person = require(node, proposer, "person")
    start = now()
    if kind == "pool":
        target = require(node, slug, "pool")
        if governed(node, target) is None:
            raise BadInput(f"{slug} has not adopted governance: a steward adopts it first with "
                           f"`fedcommons governance adopt {slug} --as NAME`")
        change = check_pool_change(change)
        members = None
    else:
        target = require(node, slug, "cooperative")
        if governed(node, target) is None:
            raise BadInput(f"{slug} has not adopted governance: a member adopts it first with "
                           f"`fedcommons governance adopt {slug} --coop --as NAME`")
        members = coop_store.members(node.db, target.id)
        if person.id not in members:
            raise Forbidden(f"{proposer} is not a member of {slug}; only members propose for a cooperative")
        change = check_coop_change(node, change)
    if ends <= datetime.fromisoformat(start.replace("Z", "+00:00")):
        raise BadInput("a proposal must end in the future")
    question_id = f"{target.id}/proposals/{secrets.token_hex(8)}"
    activity = governance_activities.proposal(
        activity_id=urls.new_activity(node.url), question_id=question_id, governs=target.id,
        proposer=person.id, title=title, options=[(options[0], change), (options[1], None)],
        published=start, end_time=ends.strftime("%Y-%m-%dT%H:%M:%SZ"), members=members)
    pending = sign_as(node, target, activity)
    log_writer.append(node, [pending])
    return pending.activity


def question_of(node: Node, proposal_id: str) -> dict:
    """The Question of a local proposal, as its log entry holds it; NotFound otherwise."""
    row = governance_store.proposal(node.db, proposal_id)
    entry = log_store.entry(node.db, row.entry) if row else None
    if entry is None or entry.body is None:
        raise NotFound(f"no proposal {proposal_id} on this node (`fedcommons proposals POOL` lists them)")
    return orjson.loads(entry.body)["object"]


def vote(node: Node, voter: str, proposal_id: str, option: str) -> dict:
    """A local person's vote. On a proposal of this node it must be open and name one of
    its options; one on another node is delivered to the proposal's author, which decides."""
    person = require(node, voter, "person")
    if urls.is_local(node.url, proposal_id):
        question = question_of(node, proposal_id)
        names = [o.get("name") for o in question["oneOf"]]
        if option not in names:
            raise BadInput(f"{option!r} is not an option of this proposal; its options: {', '.join(names)}")
        if question["endTime"] <= now():
            raise BadInput(f"the proposal ended at {question['endTime']}; a vote now would count for nothing")
        author = question["attributedTo"]
    else:
        author = _remote_author(node, proposal_id)
    if not option.strip() or len(option) > 200:
        raise BadInput("a vote names one of the proposal's options")
    activity = governance_activities.vote(
        activity_id=urls.new_activity(node.url), voter=person.id, question=proposal_id, author=author,
        option=option, published=now())
    pending = sign_as(node, person, activity)
    log_writer.append(node, [pending])
    return pending.activity


def _remote_author(node: Node, proposal_id: str) -> str:
    """The actor a remote proposal belongs to: the pool or cooperative its URL lives under."""
    base, sep, _ = proposal_id.partition("/proposals/")
    if not sep or not urls.same_origin(base, proposal_id):
        raise BadInput(f"{proposal_id} is not the URL of a proposal (POOL_URL/proposals/ID)")
    return base


def scope_of(node: Node, reference: str) -> str:
    """A delegation's scope by local slug (a pool, else a cooperative) or by URL."""
    if "/" in reference:
        return reference
    for kind in ("pool", "cooperative"):
        row = actor_store.local_actor(node.db, reference, kind)
        if row is not None:
            return row.id
    raise NotFound(f"no local pool or cooperative named {reference!r}")


def person_of(node: Node, reference: str) -> str:
    """A delegate by local name or by actor URL."""
    if "/" in reference:
        return reference
    return require(node, reference, "person").id


def delegate(node: Node, delegator: str, to: str, scope: str) -> dict:
    """A local person gives their vote in ``scope`` to ``to``; it replaces their last one there."""
    person = require(node, delegator, "person")
    target, delegate_id = scope_of(node, scope), person_of(node, to)
    if delegate_id == person.id:
        raise BadInput("a delegation to oneself means nothing: vote directly instead")
    activity = governance_activities.delegation(
        activity_id=urls.new_activity(node.url), delegator=person.id, delegate=delegate_id, scope=target,
        published=now())
    pending = sign_as(node, person, activity)
    log_writer.append(node, [pending])
    return pending.activity


def undelegate(node: Node, delegator: str, scope: str) -> dict:
    """A local person takes back their delegation in ``scope``."""
    person = require(node, delegator, "person")
    target = scope_of(node, scope)
    current = [d for d in governance_store.current_delegations(node.db, target) if d.delegator == person.id]
    if not current:
        raise NotFound(f"{delegator} has no delegation in {target} to take back")
    activity = governance_activities.revocation(
        activity_id=urls.new_activity(node.url), delegator=person.id, delegation_id=current[0].id,
        scope=target, published=now())
    pending = sign_as(node, person, activity)
    log_writer.append(node, [pending])
    return pending.activity
