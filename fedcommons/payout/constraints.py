"""Fairness constraints on a payout, and exactly which amounts can meet them.

A :class:`Constraints` holds, in minor units where they are money:

- ``max_ratio``: the highest payout is at most ``max_ratio`` times the lowest (default 8,
  the 1:8 wage differential); ``None`` for no ratio;
- ``floor`` and ``cap``: the least and most any one recipient is paid;
- ``basic_share``: the fraction of the amount split equally among the active
  contributors before the rest goes by weight.

Who is counted: the *recipients* of a split are the contributors with positive weight.
Every one of them is paid, so the floor and the ratio protect all of them.

Feasible amounts. For ``n`` recipients, floor ``F`` (0 when unset), cap ``C`` (unbounded
when unset) and ratio ``R``, an amount ``A`` in minor units can be split iff

1. ``n * F <= A <= n * C``, and
2. when ``R`` is set, the amount can be split in whole minor units within the ratio:
   with ``q = A // n``, ``q >= 1`` and ``A <= n * floor(R * q)``.

In exact arithmetic only (1) matters: the equal split meets every constraint, and
``max_ratio``, floor and cap never conflict beyond ``F <= C`` because the ratio bounds a
payout by the lowest *paid*, which is at least ``F``. Condition (2) is what whole minor
units add: every recipient needs at least one unit (``A >= n``); and for a ratio below 2
some amounts have no whole-unit split at all (with ``R = 1`` only multiples of ``n``).
For ``R >= 2``, (2) is just ``A >= n``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping

from fedcommons.errors import BadInput
from fedcommons.payout.money import Currency, exact_number, format_minor, parse_amount

DEFAULT_MAX_RATIO = Fraction(8)


def decimal_fraction(value: Any, what: str) -> Fraction:
    """``value`` (str, Decimal, int or Fraction) as a Fraction with a finite decimal form.

    A finite decimal form is required so that the published document states the
    constraint exactly ("0.2", not a rounded 1/3).
    """
    result = exact_number(value, what)
    if decimal_text(result) is None:
        raise BadInput(f"{what} {result} has no exact decimal form; give it as a decimal such as 0.25")
    return result


def decimal_text(value: Fraction) -> str | None:
    """The shortest exact decimal string for ``value`` ("0.2", "8"), or None if it has none."""
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        return None
    places = max(twos, fives)
    text = format_minor(value.numerator * 10**places // value.denominator, places)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@dataclass(frozen=True)
class Constraints:
    """Ratio, floor, cap (minor units) and basic share for one split; validated on creation."""

    max_ratio: Fraction | None = DEFAULT_MAX_RATIO
    floor: int | None = None
    cap: int | None = None
    basic_share: Fraction = Fraction(0)

    def __post_init__(self) -> None:
        ratio = self.max_ratio
        if ratio is not None:
            ratio = decimal_fraction(ratio, "max ratio")
            if ratio < 1:
                raise BadInput(
                    f"max ratio {decimal_text(ratio)} is below 1: the highest payout cannot be "
                    "less than the lowest; use 1 for equal pay"
                )
        share = decimal_fraction(self.basic_share, "basic share")
        if not 0 <= share < 1:
            raise BadInput(
                f"basic share {decimal_text(share)} is outside [0, 1): it is the fraction of the "
                "amount split equally, and some part must still go by weight"
            )
        for name in ("floor", "cap"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise BadInput(f"{name} must be a whole number of minor units, not {value!r}")
        if self.floor is not None and self.floor < 0:
            raise BadInput(f"floor {self.floor} is negative")
        if self.cap is not None and self.cap <= 0:
            raise BadInput(f"cap {self.cap} must be more than zero")
        if self.floor is not None and self.cap is not None and self.floor > self.cap:
            raise BadInput(
                f"floor ({self.floor} minor units) is above cap ({self.cap}): "
                "no payout can meet both; lower the floor or raise the cap"
            )
        object.__setattr__(self, "max_ratio", ratio)
        object.__setattr__(self, "basic_share", share)


def constraints_from_options(
    unit: Currency,
    *,
    max_ratio: str | Decimal | int | None = "8",
    floor: str | Decimal | None = None,
    cap: str | Decimal | None = None,
    basic_share: str | Decimal = "0",
) -> Constraints:
    """Constraints from command-line style options: floor and cap in major units ("100" = 100.00 EUR)."""
    floor_minor = None if floor is None else parse_amount(floor, unit, what="floor", allow_zero=True)
    cap_minor = None if cap is None else parse_amount(cap, unit, what="cap")
    if floor_minor is not None and cap_minor is not None and floor_minor > cap_minor:
        raise BadInput(
            f"floor {unit.display(floor_minor)} is above cap {unit.display(cap_minor)}: "
            "no payout can meet both; lower the floor or raise the cap"
        )
    return Constraints(max_ratio=max_ratio, floor=floor_minor, cap=cap_minor, basic_share=basic_share)


def constraints_to_json(constraints: Constraints, unit: Currency) -> dict[str, str]:
    """The constraints as a document states them; an unset constraint is left out."""
    out: dict[str, str] = {}
    if constraints.max_ratio is not None:
        out["maxRatio"] = decimal_text(constraints.max_ratio) or ""
    if constraints.floor is not None:
        out["floor"] = unit.to_string(constraints.floor)
    if constraints.cap is not None:
        out["cap"] = unit.to_string(constraints.cap)
    if constraints.basic_share:
        out["basicShare"] = decimal_text(constraints.basic_share) or ""
    return out


def constraints_from_json(data: Mapping[str, Any], unit: Currency) -> Constraints:
    """Read back :func:`constraints_to_json`: a missing key means that constraint is unset."""
    if not isinstance(data, Mapping):
        raise BadInput("constraints must be an object")
    unknown = set(data) - {"maxRatio", "floor", "cap", "basicShare"}
    if unknown:
        raise BadInput(f"unknown constraint(s): {', '.join(sorted(unknown))}")
    return constraints_from_options(
        unit,
        max_ratio=data.get("maxRatio"),
        floor=data.get("floor"),
        cap=data.get("cap"),
        basic_share=data.get("basicShare", "0"),
    )


def _show(minor: int, unit: Currency | None) -> str:
    return unit.display(minor) if unit else f"{minor:,} minor units"


def _show_plain(minor: int, unit: Currency | None) -> str:
    return format_minor(minor, unit.exponent, grouping=True) if unit else f"{minor:,}"


def check_feasible(amount: int, recipients: int, constraints: Constraints,
                   unit: Currency | None = None) -> None:
    """Raise :class:`BadInput` naming the nearest feasible amount unless ``amount`` can be split.

    ``unit`` only makes the message speak in the currency ("1,200.00 EUR").
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise BadInput(f"amount must be a whole number of minor units, not {amount!r}")
    if amount <= 0:
        raise BadInput("amount must be more than zero")
    if recipients < 1:
        raise BadInput("no recipient has a positive weight: there is nobody to pay")
    n = recipients
    who = f"{n:,} recipient{'s' if n != 1 else ''}"
    floor, cap, ratio = constraints.floor, constraints.cap, constraints.max_ratio
    if floor and amount < n * floor:
        raise BadInput(
            f"amount {_show(amount, unit)} is too small for the floor: "
            f"at least {_show(n * floor, unit)} for {who} at floor {_show_plain(floor, unit)}"
        )
    if cap is not None and amount > n * cap:
        raise BadInput(
            f"amount {_show(amount, unit)} is too large for the cap: "
            f"at most {_show(n * cap, unit)} for {who} at cap {_show_plain(cap, unit)}"
        )
    if ratio is None:
        return
    q = amount // n
    if q == 0:
        raise BadInput(
            f"amount {_show(amount, unit)} is less than one minor unit per recipient, so someone "
            f"would get nothing and break the max ratio: at least {_show(n, unit)} for {who}"
        )
    if amount > n * math.floor(ratio * q):
        # Both neighbours are within floor and cap: n*F <= n*q <= below, above = n*(q+1) <= n*C.
        below, above = n * math.floor(ratio * q), n * (q + 1)
        raise BadInput(
            f"amount {_show(amount, unit)} cannot be split among {who} in whole minor units "
            f"within max ratio {decimal_text(ratio)}; the nearest amounts that can: "
            f"{_show(below, unit)} or {_show(above, unit)}"
        )
