"""Policies: from contributors' standing to the weights a split pays by.

A *standing* here is a mapping from contributor URL to a share or score, as the decimal
strings of a Standing document (``Decimal``, ``Fraction`` and ``int`` work too). Only
relative sizes matter, so shares and scores give the same weights.

- ``immediate``: pay by standing in the period (a Standing computed over that period).
- ``recent``: pay by exponentially decayed standing. The decay is part of the standing
  method, not of the policy: the caller computes a Standing with the ``halfLifeDays``
  parameter set (so that Standing document records the half-life and anyone can
  recompute it), cites it in the Distribution's inputs, and passes its shares here. The
  policy itself is then the same as ``immediate``.
- ``balanced``: lifetime fairness. With lifetime shares ``s_i`` (normalised to sum to 1),
  ``paid_i`` already paid to each person by this cooperative and ``P`` the cooperative's
  total paid so far, the weight is ``max(0, s_i * (P + amount) - paid_i)``: what each
  would still be owed if this amount were paid in strict proportion. Underpaid people
  catch up; anyone already paid beyond their share gets nothing this time.

A cooperative sustaining several pools (a phyle) combines them first
(:func:`combine_pools`): each pool's standing is normalised to shares, scaled by the
pool's sustain weight, and summed per person, so someone in two pools gets both parts.
The policy then applies to the combined shares, and one constrained split applies ratio,
floor, cap and basic share to the final per-person amounts. (``balanced`` needs this
order: what was paid is known per cooperative, not per pool.)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Mapping

from fedcommons.errors import BadInput
from fedcommons.payout.allocate import Allocation, Weight, allocate
from fedcommons.payout.constraints import Constraints
from fedcommons.payout.money import Currency, exact_number

POLICIES = ("immediate", "balanced", "recent")


@dataclass(frozen=True)
class PoolStanding:
    """One pool's standing and the cooperative's sustain weight for that pool."""

    pool: str
    weight: Weight
    standing: Mapping[str, Weight]


def _number(value: Weight, what: str) -> Fraction:
    number = exact_number(value, what)
    if number < 0:
        raise BadInput(f"{what} is negative ({value})")
    return number


def shares(standing: Mapping[str, Weight]) -> dict[str, Fraction]:
    """Standing normalised to shares that sum to exactly 1; zero entries are dropped."""
    values = {who: _number(v, f"standing of {who}") for who, v in standing.items()}
    total = sum(values.values())
    if total == 0:
        return {}
    return {who: v / total for who, v in values.items() if v > 0}


def immediate_weights(standing: Mapping[str, Weight]) -> dict[str, Fraction]:
    """Weights for ``immediate``: the standing in the period, as shares."""
    return shares(standing)


def recent_weights(decayed_standing: Mapping[str, Weight]) -> dict[str, Fraction]:
    """Weights for ``recent``: a standing the caller computed with a half-life, as shares."""
    return shares(decayed_standing)


def balanced_weights(standing: Mapping[str, Weight], paid: Mapping[str, int],
                     amount: int) -> dict[str, Fraction]:
    """Weights for ``balanced``: ``max(0, share_i * (paid_total + amount) - paid_i)``.

    ``paid`` is minor units already paid by this cooperative (in this currency) per
    person, including people no longer in the standing: their pay counts in the total.
    Without binding constraints, repeated balanced payouts never increase the L1 distance
    between what each person has been paid and their share of all that was paid. A
    floor, cap, ratio or basic share can pay someone past their share, by design.
    """
    for who, value in paid.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise BadInput(f"paid to {who} must be whole minor units, zero or more, not {value!r}")
    fractions = shares(standing)
    grand_total = sum(paid.values()) + amount
    weights = {}
    for who, share in fractions.items():
        owed = share * grand_total - paid.get(who, 0)
        if owed > 0:
            weights[who] = owed
    return weights


def combine_pools(pools: Iterable[PoolStanding]) -> dict[str, Fraction]:
    """Per-person shares across pools: each pool's shares times its normalised sustain weight.

    A pool with no standing yet drops out, so its sustain weight goes to the other pools
    in proportion (the amount is always paid in full).
    """
    parts: list[tuple[Fraction, dict[str, Fraction]]] = []
    seen = set()
    for entry in pools:
        if entry.pool in seen:
            raise BadInput(f"pool {entry.pool} is listed twice")
        seen.add(entry.pool)
        weight = _number(entry.weight, f"sustain weight of {entry.pool}")
        pool_shares = shares(entry.standing)
        if weight > 0 and pool_shares:
            parts.append((weight, pool_shares))
    total = sum(weight for weight, _ in parts)
    combined: dict[str, Fraction] = {}
    for weight, pool_shares in parts:
        for who, share in pool_shares.items():
            combined[who] = combined.get(who, Fraction(0)) + share * weight / total
    return combined


def policy_weights(policy: str, standing: Mapping[str, Weight], *,
                   paid: Mapping[str, int] | None = None, amount: int | None = None) -> dict[str, Fraction]:
    """The weights ``policy`` gives ``standing``; ``balanced`` also needs ``paid`` and ``amount``."""
    if policy == "immediate":
        return immediate_weights(standing)
    if policy == "recent":
        return recent_weights(standing)
    if policy == "balanced":
        if amount is None:
            raise BadInput("the balanced policy needs the amount")
        return balanced_weights(standing, paid or {}, amount)
    raise BadInput(f"unknown policy {policy!r}: choose one of {', '.join(POLICIES)}")


def compute_payouts(policy: str, pools: Iterable[PoolStanding], amount: int,
                    constraints: Constraints = Constraints(), *,
                    paid: Mapping[str, int] | None = None, unit: Currency | None = None) -> Allocation:
    """Combine pools, apply the policy, and split: the one path for paying and for verifying."""
    combined = combine_pools(pools)
    weights = policy_weights(policy, combined, paid=paid, amount=amount)
    return allocate(amount, weights, constraints, unit=unit)
