"""Effort as people write it ("2h30m", "90m", "1.5h") and as the log stores it: an
``effortQuantity`` of ``{"hasUnit": "minute" | "hour", "hasNumericalValue": n}``.

Every reader of ``effortQuantity`` (the standing ledger, the query projection, the inbox,
the ActivityPub API) goes through :func:`quantity_minutes`, so they agree on what counts.
"""

import math
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from .errors import BadInput

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(hours?|hrs|hr|h|minutes?|mins|min|m)", re.IGNORECASE)

# The longest single contribution we accept: a week of continuous work. Anything longer is
# almost certainly a typo (minutes entered as hours) and should be split up. The standing
# ledger reads logs with it too, so changing it changes what every method computes.
MAX_MINUTES = 7 * 24 * 60

# JSON has no decimal type, so servers send amounts as strings too; allow plain decimals only.
_DECIMAL_TEXT = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_UNIT_MINUTES = {"minute": 1, "hour": 60}


@lru_cache(maxsize=1024)  # an import repeats a few dozen spellings ("1h", "2h30m") many times
def parse_effort(text: str) -> int:
    """Minutes of effort in `text`; BadInput for anything zero, negative or unreadable."""
    raw = (text or "").strip()
    if raw.startswith("-"):
        raise BadInput(f"effort must be positive, got {text!r}")
    compact = raw.replace(" ", "")
    parts = list(_PART.finditer(compact))
    if not parts or "".join(p.group(0) for p in parts) != compact:
        raise BadInput(f"cannot read effort {text!r}: write it like 2h30m, 90m or 1.5h")
    total = Decimal(0)
    for part in parts:
        try:
            value = Decimal(part.group(1))
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
            raise BadInput(f"cannot read effort {text!r}") from exc
        total += value * (60 if part.group(2).lower().startswith("h") else 1)
    if total != total.to_integral_value():
        raise BadInput(f"effort {text!r} is not a whole number of minutes")
    minutes = int(total)
    if minutes <= 0:
        raise BadInput(f"effort must be positive, got {text!r}")
    if minutes > MAX_MINUTES:
        raise BadInput(f"effort {text!r} is more than a week; split it into several contributions")
    return minutes


def format_effort(minutes: int) -> str:
    """'2 h 30 min', '45 min', '3 h'."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def find_effort(text: str) -> int | None:
    """The first effort written in free text ("3h watering", "1h30m of review"), or None."""
    match = re.search(r"(?<![\w.])(\d+(?:\.\d+)?\s*h(?:\s*\d+\s*m(?:in)?)?|\d+\s*m(?:in)?)(?!\w)",
                      text, re.IGNORECASE)
    if not match:
        return None
    try:
        return parse_effort(match.group(1))
    except BadInput:
        return None


def plain_decimal(value: object) -> Decimal | None:
    """A JSON number or plain decimal string as an exact Decimal; None for anything else."""
    kind = type(value)
    if kind is int:
        return Decimal(value)
    if kind is float:
        # repr is the shortest text that reads back as this float: what the sender wrote.
        return Decimal(repr(value)) if math.isfinite(value) else None
    if kind is str and _DECIMAL_TEXT.match(value):
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            return None
    return None


def quantity_minutes(effort: object) -> int | Decimal | None:
    """Exact minutes of an ``effortQuantity``: a number or plain decimal string of minutes
    or hours, from 0 to :data:`MAX_MINUTES`; None for anything else."""
    if type(effort) is not dict:
        return None
    unit = effort.get("hasUnit")
    scale = _UNIT_MINUTES.get(unit) if type(unit) is str else None
    if scale is None:
        return None
    value = effort.get("hasNumericalValue")
    if type(value) is int:  # what nodes write, so the common case
        minutes = value * scale
        return minutes if 0 <= minutes <= MAX_MINUTES else None
    amount = plain_decimal(value)
    if amount is None:
        return None
    minutes_exact = amount * scale
    return minutes_exact if 0 <= minutes_exact <= MAX_MINUTES else None


def claimed_minutes(effort: object) -> int:
    """The minutes a new contribution's ``effortQuantity`` claims; BadInput unless they are
    a positive whole number, at most a week."""
    minutes = quantity_minutes(effort)
    if minutes is None or minutes <= 0 or minutes != int(minutes):
        raise BadInput("effortQuantity must be a positive whole number of minutes, at most a week, "
                       "with hasUnit 'minute' or 'hour' and a numeric hasNumericalValue")
    return int(minutes)
