"""The constrained exact split of an amount among weighted recipients.

What the split is. Recipients are those with positive weight. Each gets a *target*: an
equal part of the basic share plus the rest in proportion to weight,

    target_i = A * (b / n + (1 - b) * w_i / W).

Without constraints the payouts are the targets. With them, the payouts are the unique
amounts that maximise the weighted Nash welfare ``sum(target_i * log(p_i))`` subject to
paying ``A`` in full, the floor and cap, and ``max(p) <= max_ratio * min(p)``. That
optimum has a simple shape, which is what makes it exact and fast here:

    p_i = clamp(target_i * s, lo, hi)

for one scale ``s`` and bounds ``lo``, ``hi``:

- floor and cap only: ``lo, hi = floor, cap`` and ``s`` is set so the total is ``A``.
  This is water-filling: clamp to the bounds, hand the excess to the unclamped in
  proportion to their targets, repeat; solved here directly instead of by iteration.
- when that breaks the ratio: ``s = 1``, ``hi = max_ratio * lo``, and ``lo`` is the level
  at which the amount cut from the top exactly pays for lifting the bottom. Everyone in
  between keeps their target. If that level is below the floor, the bottom sits at the
  floor instead (``lo, hi = floor, ratio * floor``, ``s`` re-solved); if its top is above
  the cap, the top sits at the cap (``lo, hi = cap / ratio, cap``).

(These are the KKT conditions of the welfare problem: at the optimum the ratio's two
multipliers balance, which for this objective says "lift = cut".) Each step is a search
for the root of a monotone piecewise-linear function over its breakpoints, O(n log n)
in all, in exact Fractions.

Rounding. The exact payouts are rounded to minor units by largest remainder, ties to the
larger weight and then the smaller recipient id. Floor and cap are whole minor units, so
rounding cannot cross them; it can cross the ratio (10.5 rounded down while 84 stays). In
that case the lowest level is raised to a whole minor unit ``m`` and the split re-solved
within whole-unit bounds ``[max(floor, m), min(cap, floor(ratio * m))]``, which every
rounding respects. The result sums to the amount exactly, meets every constraint, never
pays a larger weight less, and depends only on the inputs (not on their order).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from typing import Callable, Mapping

from fedcommons.errors import BadInput
from fedcommons.payout.constraints import Constraints, check_feasible
from fedcommons.payout.money import Currency, exact_number

Weight = Decimal | Fraction | int | str


@dataclass(frozen=True)
class Allocation:
    """A split: whole-unit payouts, what shaped them, and (on demand) the exact optimum.

    ``binding`` names the constraints that moved payouts away from the targets, from
    ``"floor"``, ``"cap"``, ``"ratio"`` and ``"rounding"`` (the whole-unit re-solve).
    """

    payouts: dict[str, int]
    binding: tuple[str, ...]
    _shape: _Shape = field(repr=False, compare=False)
    _people: _Recipients = field(repr=False, compare=False)

    @cached_property
    def exact(self) -> dict[str, Fraction]:
        """The exact (unrounded) optimal payouts, by recipient."""
        return dict(sorted((r, self._shape.at(u)) for r, u in zip(self._people.ids, self._people.u)))


@dataclass(frozen=True)
class _Shape:
    """Exact payouts ``clamp(u_i * scale, lo, hi)``; ``hi`` None is unbounded."""

    scale: Fraction
    lo: Fraction
    hi: Fraction | None

    def at(self, u: int) -> Fraction:
        value = max(self.lo, u * self.scale)
        return value if self.hi is None else min(self.hi, value)


class _Recipients:
    """Active recipients sorted by (effective weight, id), with prefix sums of weights."""

    def __init__(self, weights: Mapping[str, Weight], basic_share: Fraction) -> None:
        active: list[tuple[str, Fraction]] = []
        for recipient, weight in weights.items():
            value = _to_fraction(recipient, weight)
            if value > 0:
                active.append((recipient, value))
        if not active:
            raise BadInput("no recipient has a positive weight: there is nobody to pay")
        # Integers from here on: the common denominator of decimal weights is a power of ten.
        denominator = math.lcm(*(w.denominator for _, w in active))
        ints = [w.numerator * (denominator // w.denominator) for _, w in active]
        n, total = len(ints), sum(ints)
        b_num, b_den = basic_share.numerator, basic_share.denominator
        # target_i = A * (b/n + (1-b) w_i/W), scaled by n*W*b_den to stay integral.
        effective = [b_num * total + n * (b_den - b_num) * w for w in ints]
        common = math.gcd(*effective)
        ranked = sorted(zip((e // common for e in effective), (r for r, _ in active)))
        self.u = [u for u, _ in ranked]
        self.ids = [r for _, r in ranked]
        self.n = n
        self.prefix = [0]
        for u in self.u:
            self.prefix.append(self.prefix[-1] + u)


def _to_fraction(recipient: str, weight: Weight) -> Fraction:
    if not isinstance(recipient, str):
        raise BadInput(f"recipients are named by strings (their URLs), not {recipient!r}")
    value = exact_number(weight, f"weight of {recipient}")
    if value < 0:
        raise BadInput(f"weight of {recipient} is negative ({weight}); weights must be zero or more")
    return value


def _first_reaching(key: Callable[[int], Fraction], size: int,
                    total: Callable[[Fraction], Fraction], target: int) -> int:
    """Smallest index whose key's total reaches ``target`` (keys and totals non-decreasing)."""
    low, high = 0, size
    while low < high:
        middle = (low + high) // 2
        if total(key(middle)) >= target:
            high = middle
        else:
            low = middle + 1
    return low


def _bracket(families: list[Callable[[int], Fraction]], size: int,
             total: Callable[[Fraction], Fraction], target: int) -> tuple[Fraction | None, Fraction | None]:
    """The breakpoints just below and at-or-above the root of a monotone piecewise-linear total.

    ``families`` are increasing sequences of breakpoints (the points where the total's
    slope changes). Between the two returned, there is no breakpoint, so the total is
    linear there.
    """
    below: Fraction | None = None
    above: Fraction | None = None
    for key in families:
        index = _first_reaching(key, size, total, target)
        if index < size:
            candidate = key(index)
            above = candidate if above is None or candidate < above else above
        if index > 0:
            candidate = key(index - 1)
            below = candidate if below is None or candidate > below else below
    return below, above


def _interior(below: Fraction | None, above: Fraction | None) -> Fraction:
    """A point strictly between two consecutive breakpoints (``None`` = 0 below, unbounded above)."""
    low = below if below is not None else Fraction(0)
    return (low + above) / 2 if above is not None else low + 1


def _water_fill(people: _Recipients, amount: int, lo: Fraction, hi: Fraction | None) -> _Shape:
    """Payouts ``clamp(u_i * s, lo, hi)`` with ``s`` chosen so they total ``amount``.

    The caller guarantees ``n * lo <= amount <= n * hi``.
    """
    u, prefix, n = people.u, people.prefix, people.n
    if n * lo == amount or (hi is not None and lo == hi):
        return _Shape(Fraction(0), lo, hi)
    if hi is not None and n * hi == amount:
        return _Shape(hi / u[0], lo, hi)

    def counts(s: Fraction) -> tuple[int, int]:
        # u_i * s <= lo, and u_i * s < hi; u is integral, so compare with floor/ceil.
        at_floor = bisect_right(u, math.floor(lo / s))
        below_cap = n if hi is None else bisect_left(u, math.ceil(hi / s))
        return at_floor, below_cap

    def total(s: Fraction) -> Fraction:
        if s == 0:
            return n * lo
        k, j = counts(s)
        return k * lo + s * (prefix[j] - prefix[k]) + (n - j) * (hi or 0)

    families = [lambda i: lo / u[n - 1 - i]]
    if hi is not None:
        families.append(lambda i: hi / u[n - 1 - i])
    below, above = _bracket(families, n, total, amount)
    if above is not None and total(above) == amount:
        return _Shape(above, lo, hi)
    k, j = counts(_interior(below, above))
    scale = (amount - k * lo - (n - j) * (hi or 0)) / Fraction(prefix[j] - prefix[k])
    return _Shape(scale, lo, hi)


def _ratio_level(people: _Recipients, amount: int, ratio: Fraction) -> Fraction:
    """The level L where ``sum(clamp(target_i, L, ratio * L)) == amount`` (lift = cut)."""
    u, prefix, n = people.u, people.prefix, people.n
    scale = Fraction(amount, prefix[n])

    def counts(level: Fraction) -> tuple[int, int]:
        return (bisect_right(u, math.floor(level / scale)),
                bisect_left(u, math.ceil(ratio * level / scale)))

    def total(level: Fraction) -> Fraction:
        k, j = counts(level)
        return k * level + scale * (prefix[j] - prefix[k]) + (n - j) * ratio * level

    families = [lambda i: scale * u[i] / ratio, lambda i: scale * u[i]]
    below, above = _bracket(families, n, total, amount)
    if above is not None and total(above) == amount:
        return above
    k, j = counts(_interior(below, above))
    return (amount - scale * (prefix[j] - prefix[k])) / (k + (n - j) * ratio)


def _optimum(people: _Recipients, amount: int, c: Constraints) -> tuple[_Shape, set[str]]:
    floor = Fraction(c.floor or 0)
    cap = None if c.cap is None else Fraction(c.cap)
    shape = _water_fill(people, amount, floor, cap)
    ratio = c.max_ratio
    if ratio is None or shape.at(people.u[-1]) <= ratio * shape.at(people.u[0]):
        return shape, _box_binding(people, shape)
    level = _ratio_level(people, amount, ratio)
    if level < floor:
        shape = _water_fill(people, amount, floor, ratio * floor)
        return shape, {"ratio", "floor"}
    if cap is not None and ratio * level > cap:
        shape = _water_fill(people, amount, cap / ratio, cap)
        return shape, {"ratio", "cap"}
    return _Shape(Fraction(amount, people.prefix[-1]), level, ratio * level), {"ratio"}


def _box_binding(people: _Recipients, shape: _Shape) -> set[str]:
    binding = set()
    if shape.lo > 0 and people.u[0] * shape.scale < shape.lo:
        binding.add("floor")
    if shape.hi is not None and people.u[-1] * shape.scale > shape.hi:
        binding.add("cap")
    return binding


def _round(people: _Recipients, shape: _Shape, amount: int) -> list[int]:
    """Largest-remainder rounding of the exact payouts, all in integers over one denominator."""
    parts = [shape.scale, shape.lo] + ([shape.hi] if shape.hi is not None else [])
    denominator = math.lcm(*(p.denominator for p in parts))
    scale = shape.scale.numerator * (denominator // shape.scale.denominator)
    lo = shape.lo.numerator * (denominator // shape.lo.denominator)
    hi = None if shape.hi is None else shape.hi.numerator * (denominator // shape.hi.denominator)
    floors: list[int] = []
    remainders: list[int] = []
    for u in people.u:
        scaled = max(lo, u * scale)
        if hi is not None and scaled > hi:
            scaled = hi
        whole, rest = divmod(scaled, denominator)
        floors.append(whole)
        remainders.append(rest)
    short = amount - sum(floors)
    if short:
        order = sorted(range(people.n), key=lambda i: (-remainders[i], -people.u[i], people.ids[i]))
        for i in order[:short]:
            floors[i] += 1
    return floors


def allocate(amount: int, weights: Mapping[str, Weight], constraints: Constraints = Constraints(),
             *, unit: Currency | None = None) -> Allocation:
    """Split ``amount`` minor units by ``weights`` under ``constraints``; see the module docstring.

    Raises :class:`BadInput` for a negative or unusable weight, no positive weight, or an
    amount the constraints cannot meet (the message names the nearest feasible amount;
    ``unit`` makes it speak in the currency).
    """
    people = _Recipients(weights, constraints.basic_share)
    check_feasible(amount, people.n, constraints, unit)
    shape, binding = _optimum(people, amount, constraints)
    payouts = _round(people, shape, amount)
    ratio = constraints.max_ratio
    if ratio is not None and max(payouts) > ratio * min(payouts):
        payouts = _round(people, _whole_unit_shape(people, shape, amount, constraints), amount)
        binding.add("rounding")
    return Allocation(dict(sorted(zip(people.ids, payouts))), tuple(sorted(binding)), shape, people)


def _whole_unit_shape(people: _Recipients, shape: _Shape, amount: int, c: Constraints) -> _Shape:
    """Re-solve with whole-unit bounds ``[m, floor(ratio * m)]`` so rounding keeps the ratio.

    ``m`` is the exact lowest payout rounded up, moved into the range of whole levels that
    can carry the amount (non-empty: :func:`check_feasible` passed).
    """
    ratio = c.max_ratio
    assert ratio is not None
    n = people.n
    lowest = math.ceil(shape.at(people.u[0]))
    least_level = math.ceil(Fraction(-(-amount // n)) / ratio)
    level = min(max(lowest, least_level), amount // n)
    lo = max(c.floor or 0, level)
    hi = math.floor(ratio * level)
    if c.cap is not None:
        hi = min(hi, c.cap)
    return _water_fill(people, amount, Fraction(lo), Fraction(hi))


def split(amount: int, weights: Mapping[str, Weight], constraints: Constraints = Constraints(),
          *, unit: Currency | None = None) -> dict[str, int]:
    """Payouts in minor units for each recipient with positive weight, summing to ``amount``."""
    return allocate(amount, weights, constraints, unit=unit).payouts
