"""A cooperative's default payout constraints: what a payout uses where its run gives none.

The cooperative states them as ``payoutConstraints`` in its Update of itself (see
:mod:`fedcommons.services.payouts.coops`), with the same keys and text as a
Distribution's ``constraints``:

- ``maxRatio``: a decimal of at least 1, or ``"none"`` for no ratio at all;
- ``basicShare``: a decimal in [0, 1);
- ``floor`` and ``cap``: decimals in major units of ``currency``, which they need: a floor
  of 50 means nothing without its unit.

Each constraint is taken on its own: one the run gives wins, one it leaves out comes from
the defaults, and one neither sets is the built-in default (ratio 8, no floor, no cap, no
basic share). A floor or cap in another currency than the payout's is not applied, and a
note says so: converting money is no business of a split.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fedcommons.errors import BadInput
from fedcommons.payout.constraints import Constraints, constraints_from_options, decimal_fraction, decimal_text
from fedcommons.payout.money import currency

FIELDS = ("maxRatio", "floor", "cap", "basicShare", "currency")
NO_RATIO = "none"
BUILT_IN_RATIO = "8"
MAX_TEXT = 40


def is_no_ratio(text: str | None) -> bool:
    """Whether ``text`` asks for no ratio ("none" or "off", any case)."""
    return text is not None and text.strip().lower() in (NO_RATIO, "off")


def read_defaults(value: object) -> dict:
    """``payoutConstraints`` checked and in normal form (``{}``: none); BadInput naming the first fault."""
    if type(value) is not dict:
        raise BadInput("payoutConstraints must be an object with some of maxRatio, floor, cap, basicShare "
                       "(and currency with floor or cap)")
    unknown = sorted(set(value) - set(FIELDS))
    if unknown:
        raise BadInput(f"payoutConstraints has unknown fields: {', '.join(unknown)}; "
                       f"it may set {', '.join(FIELDS)}")
    for key, text in value.items():
        if type(text) is not str or not text.strip() or len(text) > MAX_TEXT:
            raise BadInput(f"payoutConstraints {key} must be written as text, such as \"8\" or \"0.1\"")
    out: dict[str, str] = {}
    if "maxRatio" in value:
        if is_no_ratio(value["maxRatio"]):
            out["maxRatio"] = NO_RATIO
        else:
            ratio = Constraints(max_ratio=decimal_fraction(value["maxRatio"], "maxRatio")).max_ratio
            out["maxRatio"] = decimal_text(ratio) or ""
    if "basicShare" in value:
        share = Constraints(basic_share=decimal_fraction(value["basicShare"], "basicShare")).basic_share
        out["basicShare"] = decimal_text(share) or ""
    money = [key for key in ("floor", "cap") if key in value]
    if money and "currency" not in value:
        raise BadInput(f"payoutConstraints {' and '.join(money)} need a currency (such as EUR): "
                       "they are sums of money")
    if "currency" in value:
        if not money:
            raise BadInput("payoutConstraints currency goes with a floor or a cap")
        unit = currency(value["currency"])
        checked = constraints_from_options(unit, max_ratio=None, floor=value.get("floor"), cap=value.get("cap"))
        out["currency"] = unit.code
        if checked.floor is not None:
            out["floor"] = unit.to_string(checked.floor)
        if checked.cap is not None:
            out["cap"] = unit.to_string(checked.cap)
    return {key: out[key] for key in FIELDS if key in out}


@dataclass(frozen=True)
class Chosen:
    """The constraint options a payout uses, as text for ``constraints_from_options``."""

    max_ratio: str | None
    floor: str | None
    cap: str | None
    basic_share: str
    from_defaults: tuple[str, ...] = ()  # which came from the cooperative's defaults
    notes: list[str] = field(default_factory=list)


def choose(defaults: dict, currency_code: str, *, max_ratio: str | None, floor: str | None,
           cap: str | None, basic_share: str | None) -> Chosen:
    """Each constraint from the run when it gives one (None: not given; ``max_ratio`` "none":
    no ratio), else from ``defaults`` (normal form), else the built-in default."""
    used = []
    if max_ratio is None and "maxRatio" in defaults:
        max_ratio = defaults["maxRatio"]
        used.append("maxRatio")
    ratio = None if is_no_ratio(max_ratio) else (max_ratio or BUILT_IN_RATIO)
    if basic_share is None and "basicShare" in defaults:
        basic_share = defaults["basicShare"]
        used.append("basicShare")
    notes = []
    same_unit = defaults.get("currency", "").upper() == currency_code.strip().upper()
    for key, given in (("floor", floor), ("cap", cap)):
        if given is None and key in defaults:
            if same_unit:
                used.append(key)
            else:
                notes.append(f"the cooperative's default {key} ({defaults[key]} {defaults['currency']}) is "
                             f"in another currency, so it is not applied to a payout in {currency_code}")
    return Chosen(
        max_ratio=ratio,
        floor=floor if floor is not None else (defaults.get("floor") if "floor" in used else None),
        cap=cap if cap is not None else (defaults.get("cap") if "cap" in used else None),
        basic_share=basic_share if basic_share is not None else "0",
        from_defaults=tuple(used), notes=notes)
