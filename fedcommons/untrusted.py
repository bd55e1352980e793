"""Reading what strangers send: JSON within limits, whole numbers and dates within range.

Python's own parsers turn some bad input into crashes instead of refusals: JSON nested
about a thousand deep raises RecursionError, an integer of more than 4,300 digits a
ValueError, ``NaN`` or ``1e999`` become values no JSON encoder can write back, a number
past 2**63 overflows SQLite, and a date at the edge of the calendar overflows when a day
or a time zone is added. Every request body and query parameter is read through here,
and anything out of bounds is :class:`BadInput` (400) saying what the bound is.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timezone
from typing import Any

from .errors import BadInput

# ActivityStreams documents nest a handful of levels; 64 leaves room for any real one
# while keeping every recursive walk downstream (canonical JSON, JSON-LD) far from the
# interpreter's recursion limit.
MAX_DEPTH = 64
# A JSON number is a double (RFC 8259 §6, RFC 7493 §2.2): none holds more than this.
_MAX_NUMBER = sys.float_info.max
# The largest whole number a JSON number carries exactly; it and any sum of two of them
# fit SQLite's 64-bit integers.
MAX_WHOLE = 2**53 - 1
# Dates are kept well inside what datetime can hold, so that taking the end of a day or
# moving to UTC cannot overflow; a log, a pool or a standing before 1970 is a typing slip.
FIRST_YEAR, LAST_YEAR = 1970, 9998


def load_json(body: bytes) -> Any:
    """The JSON value of a request body; BadInput when it is not UTF-8 JSON, nests deeper
    than MAX_DEPTH, or holds a number no double can hold, NaN, an infinity or a lone surrogate."""
    try:
        # Strictly: json.loads would let UTF-8-encoded surrogates through.
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"the body is not UTF-8 JSON: {exc}") from None
    try:
        value = json.loads(text, parse_constant=_constant)
    except RecursionError:
        raise BadInput(f"the JSON is nested more than {MAX_DEPTH} levels deep") from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"the body is not JSON: {exc}") from None
    except ValueError:  # int() past 4,300 digits
        raise BadInput("the JSON holds an integer of thousands of digits, beyond what a JSON number can be") from None
    # Only a \u escape can spell a lone surrogate once the text is valid UTF-8.
    _check_tree(value, strings="\\u" in text)
    return value


def _constant(token: str):
    raise BadInput(f"the JSON holds {token}, which JSON has no place for")


def _check_tree(value: Any, *, strings: bool) -> None:
    """Refuse nesting past MAX_DEPTH, numbers past what a double holds (1e999 reads as
    infinity) and, with ``strings``, strings with lone surrogates.

    Level by level, each in a few C-speed passes: a megabyte of tiny lists must not cost
    the event loop much more than parsing it did."""
    items: list = [value]
    for depth in range(MAX_DEPTH + 1):
        numbers = [item for item in items if type(item) is int or type(item) is float]
        if numbers and (max(numbers) > _MAX_NUMBER or min(numbers) < -_MAX_NUMBER):
            raise BadInput("the JSON holds a number beyond what a JSON number (a double) can be")
        if strings:
            _check_strings([item for item in items if type(item) is str])
        level = [item for item in items if type(item) is dict or type(item) is list]
        if not level:
            return
        if depth == MAX_DEPTH:
            raise BadInput(f"the JSON is nested more than {MAX_DEPTH} levels deep")
        items = []
        for container in level:
            if type(container) is dict:
                if strings:
                    items += container  # the keys
                items += container.values()
            else:
                items += container


def _check_strings(texts: list[str]) -> None:
    try:
        # UTF-8 has no encoding for a surrogate code point; json.loads has already joined
        # every escaped pair into one character.
        "".join(texts).encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput("the JSON holds a string with a lone surrogate (\\uD800 to \\uDFFF)") from None


def whole_number(name: str, raw: str | None, *, default: int | None = None, minimum: int = 0,
                 maximum: int = MAX_WHOLE, kind: str = "a whole number") -> int:
    """The parameter ``name``, given as ``raw`` (None when absent), as a whole number from
    ``minimum`` to ``maximum``; ``default`` when absent, or BadInput when there is none.
    ``kind`` names what the number counts, for the message."""
    if raw is None:
        if default is None:
            raise BadInput(f"the parameter {name} is required")
        return default
    # isdigit alone takes "²" and "٣"; more digits than the maximum has cannot be in range.
    if not raw.isascii() or not raw.isdigit() or len(raw.lstrip("0")) > len(str(maximum)):
        raise BadInput(f"{name} must be {kind} from {minimum} to {maximum}, not {raw[:40]!r}")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise BadInput(f"{name} must be {kind} from {minimum} to {maximum}, not {value}")
    return value


def calendar_day(name: str, text: str) -> date:
    """A date written YYYY-MM-DD, in the years FIRST_YEAR to LAST_YEAR."""
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise BadInput(f"{name} {text[:40]!r} is not a date: write YYYY-MM-DD")
    return _in_range(name, day)


def instant(name: str, text: str) -> datetime:
    """An ISO 8601 time, in UTC (one without a zone is taken as UTC), in the years
    FIRST_YEAR to LAST_YEAR."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{name} {text[:40]!r} is not an ISO 8601 time like 2024-06-30T12:00:00Z") from None
    _in_range(name, moment)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _in_range(name: str, value):
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise BadInput(f"{name} must be in the years {FIRST_YEAR} to {LAST_YEAR}, not {value.year}")
    return value
