"""Effort rules: how an import turns what a source saw (times, lines changed) into minutes.

Pure and versioned. Every contribution an import records names its rule and parameters
(``effortRule``), so a reader of the log sees where a figure came from; a rule's meaning
never changes under its name (a new meaning is a new version, ``sessions/2``), and a pool
that changes its rule changes new runs only, never what is already in the log.

- ``sessions/1``: a person's items less than ``gap`` minutes apart form one session; a
  session counts its span plus a fixed ``allowance``. Each item carries its part: the first
  of a session the allowance, each later one the time since the previous one.
- ``flat/1``: ``minutes`` per item.
- ``lines/1``: lines added and deleted at ``per_hour`` lines an hour, rounded up, at least
  ``min`` and at most ``cap`` minutes.
- ``claim/1``: no effort (0 minutes); the contributor states it and a steward validates.

An item with several people splits its effort among them: equally, unless the source gives
shares (see :func:`split`).
"""

import math
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Mapping, Sequence

from .effort import MAX_MINUTES, parse_effort
from .errors import BadInput

# name -> {parameter: (default, lowest, highest)}; durations are minutes.
RULES: dict[str, dict[str, tuple[int, int, int]]] = {
    "sessions/1": {"gap": (120, 1, MAX_MINUTES), "allowance": (30, 0, MAX_MINUTES)},
    "flat/1": {"minutes": (60, 0, MAX_MINUTES)},
    "lines/1": {"per_hour": (60, 1, 1_000_000), "min": (5, 0, MAX_MINUTES), "cap": (240, 1, MAX_MINUTES)},
    "claim/1": {},
}
# Parameters that are durations may be written as efforts ("2h", "90m") as well as minutes.
_DURATIONS = {"gap", "allowance", "minutes", "min", "cap"}


@dataclass(frozen=True)
class Rule:
    """A rule and its parameters, every one present and checked."""

    name: str
    parameters: Mapping[str, int]

    def describe(self) -> dict:
        """The rule as a contribution names it in the log."""
        return {"method": self.name, "parameters": dict(sorted(self.parameters.items()))}


def rule(name: str, given: Mapping[str, object] | None = None) -> Rule:
    """The named rule with `given` parameters over its defaults; BadInput for an unknown rule,
    an unknown parameter or a value out of range."""
    if name not in RULES:
        raise BadInput(f"unknown effort rule {name!r}: use one of {', '.join(RULES)}")
    spec = RULES[name]
    values = {key: default for key, (default, _, _) in spec.items()}
    for key, raw in (given or {}).items():
        if key not in spec:
            known = ", ".join(spec) or "none"
            raise BadInput(f"{name} has no parameter {key!r} (its parameters: {known})")
        _, low, high = spec[key]
        value = _number(key, raw)
        if not low <= value <= high:
            raise BadInput(f"{name} parameter {key} must be from {low} to {high}, not {value}")
        values[key] = value
    if name == "lines/1" and values["min"] > values["cap"]:
        raise BadInput("lines/1 parameter min must not exceed cap")
    return Rule(name, values)


def _number(key: str, raw: object) -> int:
    if isinstance(raw, bool):
        raise BadInput(f"parameter {key} must be a whole number, not {raw!r}")
    if isinstance(raw, int):
        return raw
    text = str(raw).strip()
    if text.isdigit():
        return int(text)
    if key in _DURATIONS:
        return parse_effort(text)  # "2h", "90m"; BadInput says what it could not read
    raise BadInput(f"parameter {key} must be a whole number, not {raw!r}")


def parse_params(pairs: Sequence[str]) -> dict[str, str]:
    """``K=V`` strings as given on a command line; BadInput for one without ``=``."""
    found: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"a parameter is written K=V, not {pair!r}")
        found[key.strip()] = value.strip()
    return found


def item_minutes(rule_: Rule, metrics: Mapping[str, int]) -> int:
    """The effort of one item under a rule that looks at the item alone (not sessions/1)."""
    p = rule_.parameters
    if rule_.name == "flat/1":
        return p["minutes"]
    if rule_.name == "claim/1":
        return 0
    if rule_.name == "lines/1":
        lines = max(0, int(metrics.get("lines_added", 0))) + max(0, int(metrics.get("lines_deleted", 0)))
        return min(p["cap"], max(p["min"], math.ceil(lines * 60 / p["per_hour"])))
    raise ValueError(f"{rule_.name} depends on a person's earlier items: use session_minutes")


def session_minutes(rule_: Rule, when: datetime, previous: datetime | None) -> int:
    """sessions/1: the part of a session this item carries, given the same person's previous
    item (None: their first). An item earlier than the previous one starts a session."""
    p = rule_.parameters
    if previous is None or when < previous:
        return p["allowance"]
    gap = (when - previous).total_seconds() / 60
    return p["allowance"] if gap >= p["gap"] else round(gap)


def split(minutes: int, shares: Sequence[Fraction | None]) -> list[int]:
    """Whole minutes for each person of an item: by their shares when every one has one (they
    are normalised to sum to 1), else equally. The parts add up to `minutes` exactly (largest
    remainders get the odd minutes, earlier people first on ties)."""
    count = len(shares)
    if count == 0:
        return []
    if None in shares or any(s < 0 for s in shares) or sum(shares) <= 0:
        # Equal parts, in whole numbers: the common case, kept free of Fractions.
        base, left = divmod(minutes, count)
        return [base + 1 if i < left else base for i in range(count)]
    total = sum(shares)
    weights = [Fraction(s) / total for s in shares]
    exact = [minutes * w for w in weights]
    parts = [math.floor(x) for x in exact]
    left = minutes - sum(parts)
    order = sorted(range(count), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts
