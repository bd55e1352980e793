"""Effort as people write it ("2h30m", "90m", "1.5h") and as the log stores it (minutes)."""

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from .errors import BadInput

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(hours?|hrs|hr|h|minutes?|mins|min|m)", re.IGNORECASE)

# The longest single contribution we accept: a week of continuous work. Anything longer is
# almost certainly a typo (minutes entered as hours) and should be split up.
MAX_MINUTES = 7 * 24 * 60


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
