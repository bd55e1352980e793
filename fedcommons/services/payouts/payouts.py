"""A cooperative's payout: standing per sustained pool, the exact split, an open-book record.

One payout, for the pools the cooperative sustains (see :mod:`.coops`):

1. A Standing per pool, computed here from the pool's log (this node's own, or its
   mirror of the pool's home node's) as of now, by the pool's own method and parameters,
   adjusted by the policy:

   - ``immediate`` pays for a period (``--period``, required): the standing restricted to
     it with ``periodStart``/``periodEnd`` (a month ``2026-10`` is [2026-10-01, 2026-11-01));
   - ``recent``: the standing decayed with ``halfLifeDays`` (default
     :data:`DEFAULT_HALF_LIFE_DAYS`, a quarter of a year: work counts half after 90 days);
   - ``balanced``: the lifetime standing, and what this cooperative already paid in the
     currency, from all its earlier Distributions in the log.

2. :func:`~fedcommons.payout.compute_payouts` (the pure core) combines the pools by their
   sustain weights, applies the policy and splits the amount exactly under the
   constraints. Infeasible constraints raise :class:`BadInput` naming the nearest
   feasible amount, before anything is written.

3. Unless it is a dry run, one log append (all or nothing) records each Standing used,
   signed by this node, as the object of a Create by the node actor, at
   ``{coop}/standings/{uuid}``; and the Distribution, at ``{coop}/distributions/{uuid}``,
   signed by the cooperative, inside a Create by the cooperative addressed to the public,
   its followers and the followers of the local pools it sustains. Logging the Standings
   keeps every input fetchable at its id, byte for byte, whatever the pools' parameters,
   so anyone can recompute the split (:mod:`.payout_checks`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from fractions import Fraction
from html import escape

from ... import activities, urls
from ...activities import PUBLIC
from ...errors import BadInput, FedcommonsError
from ...node import NODE_NAME, Node, now
from ...books.ledger import balance_of
from ...payout.defaults import choose
from ...payout.periods import period_bounds
from ...payout import (
    POLICIES,
    Allocation,
    Constraints,
    Currency,
    PoolStanding,
    combine_pools,
    compute_payouts,
    constraints_from_options,
    currency,
    distribution_document,
    distribution_input,
    paid_totals,
    parse_amount,
    standing_input,
    standing_shares,
)
from ...sig.proof import create_proof_canonical
from ...standing import pool_method
from ...store import actors as actor_store
from ...store import coops as coop_store
from ...store import log as log_store
from ...store.actors import ActorRow
from ..actors.signing import sign_as
from ..books import books
from ..log import log_writer
from ..standing import standing as standing_service
from .coops import Sustain, acting_member, require_coop, sustained

DEFAULT_HALF_LIFE_DAYS = 90
# How many recipients the human-readable `content` names before "and N more".
CONTENT_NAMES = 10


@dataclass(frozen=True)
class PayoutOptions:
    """What a payout was asked for, as typed (amounts and ratios as decimal strings)."""

    amount: str | None  # None only with from_balance: pay all the books hold
    currency: str
    policy: str
    period: str | None = None
    # A constraint left None is not given: it comes from the cooperative's default payout
    # constraints, else the built-in default (ratio 8, no floor or cap, no basic share).
    max_ratio: str | None = None  # "none": no ratio, whatever the defaults say
    floor: str | None = None
    cap: str | None = None
    basic_share: str | None = None
    decimals: int | None = None
    half_life_days: float | None = None


@dataclass(frozen=True)
class UsedStanding:
    """A Standing computed for one sustained pool (signed once it is published)."""

    sustain: Sustain
    document: dict


@dataclass(frozen=True)
class PayoutPlan:
    """A computed payout: its inputs, the split, and the Distribution document."""

    coop: ActorRow
    unit: Currency
    amount: int
    policy: str
    constraints: Constraints
    period: str | None
    standings: list[UsedStanding]
    previous: list[dict]
    allocation: Allocation
    pools: list[PoolStanding]
    document: dict
    written: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.document["id"]

    def standing_shares(self) -> dict[str, Fraction]:
        """Each recipient's share of the pools' combined standing (for showing; costs a pass)."""
        return combine_pools(self.pools)


def make_payout(node: Node, slug: str, options: PayoutOptions, *, member: str | None,
                dry_run: bool = False, from_balance: bool = False) -> PayoutPlan:
    """Compute a payout for the cooperative ``slug`` and, unless ``dry_run``, publish it.

    ``member`` must be a member of the cooperative to publish; a dry run needs nobody.
    With ``from_balance`` it pays at most what the cooperative's books hold in the
    currency (all of it when ``options.amount`` is None), and a note says so.
    """
    coop = require_coop(node, slug)
    if member is not None:
        acting_member(node, coop, member)
    elif not dry_run:
        raise BadInput("say which member runs this payout (--as MEMBER), or use --dry-run")
    notes = []
    if from_balance:
        options, note = _bounded_by_balance(node, coop, options)
        notes.append(note)
    elif options.amount is None:
        raise BadInput("give --amount, or --from-balance to pay what the cooperative's books hold")
    plan = plan_payout(node, coop, options)
    plan = replace(plan, notes=notes + plan.notes)
    return plan if dry_run else publish(node, plan)


def _bounded_by_balance(node: Node, coop: ActorRow, options: PayoutOptions) -> tuple[PayoutOptions, str]:
    """The payout bounded by the books' balance in its unit, and the note that says how."""
    found = books.coop_movements(node, coop)
    unit = books.book_unit(found, options.currency, options.decimals)
    held = balance_of(found, unit)
    if options.amount is None:
        if held <= 0:
            raise BadInput(f"the books of {coop.name} hold {unit.display(held)}: there is nothing to pay "
                           "from the balance")
        return (replace(options, amount=unit.to_string(held)),
                f"bounded by the balance: pays all {unit.display(held)} the books hold")
    minor = parse_amount(options.amount, unit)
    books.require_balance(found, unit, minor, "a payout")
    return options, (f"paid from the balance: {unit.display(minor)} of the {unit.display(held)} the books "
                     f"hold, {unit.display(held - minor)} left")


def plan_payout(node: Node, coop: ActorRow, options: PayoutOptions, *,
                as_of: datetime | None = None) -> PayoutPlan:
    """Everything a payout would publish, computed and checked; nothing is written."""
    if options.policy not in POLICIES:
        raise BadInput(f"unknown policy {options.policy!r}: choose one of {', '.join(POLICIES)}")
    unit = currency(options.currency, options.decimals)
    amount = parse_amount(options.amount, unit)
    chosen = choose(coop_store.payout_defaults(node.db, coop.id), unit.code, max_ratio=options.max_ratio,
                    floor=options.floor, cap=options.cap, basic_share=options.basic_share)
    constraints = constraints_from_options(unit, max_ratio=chosen.max_ratio, floor=chosen.floor,
                                           cap=chosen.cap, basic_share=chosen.basic_share)
    as_of = as_of or standing_service.parse_as_of(None)
    overrides = _parameter_overrides(options, as_of)
    sustains = sustained(node, coop)
    if not sustains:
        raise BadInput(f"the cooperative {coop.name} sustains no pool yet: "
                       f"`fedcommons coop sustain {coop.name} POOL --as MEMBER` first")
    standings = [_standing(node, coop, s, as_of, overrides) for s in sustains]
    pools = [PoolStanding(u.sustain.pool, u.sustain.weight, standing_shares(u.document)) for u in standings]
    if not any(p.standing for p in pools):
        when = f" in {options.period}" if options.policy == "immediate" else ""
        raise BadInput(f"nobody has standing{when} in the pools {coop.name} sustains, so there is "
                       "nobody to pay: standing comes from validated contributions")
    previous, paid = [], None
    if options.policy == "balanced":
        previous = earlier_distributions(node, coop, unit)
        paid = paid_totals(previous, coop.id, unit)
    allocation = compute_payouts(options.policy, pools, amount, constraints, paid=paid, unit=unit)
    inputs = [standing_input(u.document["id"], u.document, u.sustain.weight_text) for u in standings]
    inputs += [distribution_input(d["id"]) for d in previous]
    core = distribution_document(coop.id, amount, unit.code, unit.exponent, options.policy, constraints,
                                 options.period, inputs, allocation.payouts)
    published = now()
    document = {
        "@context": core.pop("@context"),
        "id": f"{coop.id}/distributions/{uuid.uuid4().hex}",
        **core,
        "attributedTo": coop.id,
        "published": published,
        "content": distribution_content(coop.display_name or coop.name, unit, amount, options,
                                        allocation.payouts),
        "to": [PUBLIC],
        "cc": _audience(node, coop, sustains),
    }
    notes = list(chosen.notes)
    if chosen.from_defaults:
        notes.append(f"from {coop.name}'s default payout constraints: {', '.join(chosen.from_defaults)}")
    notes += [f"{u.sustain.pool} has no standing{' in the period' if options.policy == 'immediate' else ''}; "
             "its weight goes to the other pools" for u, p in zip(standings, pools) if not p.standing]
    return PayoutPlan(coop, unit, amount, options.policy, constraints, options.period, standings, previous,
                      allocation, pools, document, notes=notes)


def publish(node: Node, plan: PayoutPlan) -> PayoutPlan:
    """Sign the plan's Standings (as this node) and Distribution (as the cooperative), log them
    in one append, and return the plan with the signed document."""
    node_actor = actor_store.local_actor(node.db, NODE_NAME, "node")
    pending, standings = [], []
    for used in plan.standings:
        signed, _ = standing_service.sign(node, used.document, created=used.document["asOf"])
        standings.append(replace(used, document=signed))
        pending.append(sign_as(node, node_actor, _create(node, node_actor.id, signed, [PUBLIC], [])))
    document = plan.document
    key = node.keys.ed25519(plan.coop.kind, plan.coop.name)
    signed, _ = create_proof_canonical(document, key, plan.coop.ed25519_key_id, created=document["published"])
    pending.append(sign_as(node, plan.coop, _create(node, plan.coop.id, signed, document["to"], document["cc"])))
    log_writer.append(node, pending)
    return replace(plan, standings=standings, document=signed, written=True)


def earlier_distributions(node: Node, coop: ActorRow, unit: Currency) -> list[dict]:
    """The cooperative's published Distributions in ``unit``'s currency, oldest first."""
    found = []
    for row in coop_store.distributions(node.db, coop.id, currency=unit.code, newest_first=False):
        document = logged_object(node, row.id)
        if document is None:
            raise FedcommonsError(f"the distribution {row.id} was redacted from the log, so what it paid "
                                  "is unknown and the balanced policy cannot count it")
        found.append(document)
    return found


def logged_object(node: Node, object_id: str) -> dict | None:
    """The object of the Create that logged ``object_id`` here (a Distribution, a Standing), as signed."""
    entry = log_store.entry_by_object(node.db, object_id, "Create")
    if entry is None or entry.body is None:
        return None
    obj = json.loads(entry.body).get("object")
    return obj if isinstance(obj, dict) and obj.get("id") == object_id else None


def recipient_bounds(plan: PayoutPlan) -> dict[str, str]:
    """Which constraint holds each recipient where they are: floor, cap or ratio ("" for none).

    Read from the exact optimum: the lowest exact payout sits at the floor or is lifted by
    the ratio, the highest sits at the cap or is cut by the ratio.
    """
    binding = set(plan.allocation.binding)
    if not binding - {"rounding"}:
        return dict.fromkeys(plan.allocation.payouts, "")
    exact = plan.allocation.exact
    low, high = min(exact.values()), max(exact.values())
    floor, cap = plan.constraints.floor, plan.constraints.cap
    low_mark = "floor" if "floor" in binding and floor is not None and low == floor else (
        "ratio" if "ratio" in binding else "")
    high_mark = "cap" if "cap" in binding and cap is not None and high == cap else (
        "ratio" if "ratio" in binding else "")
    marks = {}
    for recipient, value in exact.items():
        marks[recipient] = low_mark if value == low else high_mark if value == high else ""
    return marks


# -- inside -----------------------------------------------------------------------------


def _parameter_overrides(options: PayoutOptions, as_of: datetime) -> dict:
    """The standing parameters the policy sets over the pool's own."""
    if options.half_life_days is not None and options.policy != "recent":
        raise BadInput("--half-life-days goes with --policy recent")
    if options.policy == "immediate":
        if not options.period:
            raise BadInput("the immediate policy pays for a period: give --period (for example 2026-10)")
        start, end = period_bounds(options.period)
        if date.fromisoformat(start) > as_of.date():
            raise BadInput(f"the period {options.period} has not begun, so nobody has standing in it yet")
        return {"periodStart": start, "periodEnd": end}
    if options.period:
        period_bounds(options.period)  # only a label here, but it must still read as a period
    if options.policy == "recent":
        days = DEFAULT_HALF_LIFE_DAYS if options.half_life_days is None else options.half_life_days
        if not days > 0:
            raise BadInput(f"--half-life-days must be more than zero, not {days}")
        return {"halfLifeDays": int(days) if float(days).is_integer() else float(days)}
    return {}


def _standing(node: Node, coop: ActorRow, sustain: Sustain, as_of: datetime, overrides: dict) -> UsedStanding:
    """The pool's standing for this payout, unsigned, with its id under the cooperative."""
    log = standing_service.log_of_pool(node, sustain.pool)
    checkpoint = log.checkpoint()
    ledger = standing_service.log_ledger(log, checkpoint["treeSize"], sustain.pool)
    method, parameters = pool_method(ledger, as_of)
    document, _ = standing_service.compute(ledger, checkpoint, as_of, method, {**parameters, **overrides})
    document["id"] = f"{coop.id}/standings/{uuid.uuid4().hex}"
    document["attributedTo"] = node.actor_id
    return UsedStanding(sustain, document)


def _create(node: Node, actor: str, obj: dict, to: list[str], cc: list[str]) -> dict:
    return activities.create_signed(activity_id=urls.new_activity(node.url), actor=actor, obj=obj,
                                    published=now(), to=to, cc=cc)


def _audience(node: Node, coop: ActorRow, sustains: list[Sustain]) -> list[str]:
    """Who hears of a Distribution besides the public: the cooperative's followers and the
    followers of the local pools it sustains (remote pools' people follow their own node)."""
    local = [f"{s.pool}/followers" for s in sustains if urls.is_local(node.url, s.pool)]
    return [f"{coop.id}/followers", *local]


def distribution_content(name: str, unit: Currency, amount: int, options: PayoutOptions,
                         payouts: dict[str, int]) -> str:
    """The Distribution's ``content``: one human-readable line, so any fediverse server can
    show what was paid (specified in docs/methods.md, since it is part of the signed bytes)."""
    ranked = sorted(payouts.items(), key=lambda item: (-item[1], item[0]))
    named = ", ".join(f"{_short(who)} {unit.to_string(minor)}" for who, minor in ranked[:CONTENT_NAMES])
    more = f" and {len(ranked) - CONTENT_NAMES:,} more" if len(ranked) > CONTENT_NAMES else ""
    period = f" for {options.period}" if options.period else ""
    count = f"{len(ranked):,} {'person' if len(ranked) == 1 else 'people'}"
    text = (f"{name} pays {unit.display(amount)}{period} to {count} "
            f"by the {options.policy} policy: {named}{more}.")
    return f"<p>{escape(text)}</p>"


def _short(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]
