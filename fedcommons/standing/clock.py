"""Instants as integer microseconds since the Unix epoch, UTC.

Standing compares and subtracts millions of timestamps; integers make that exact and
cheap, and make "latest wins" comparisons free of float rounding.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from fedcommons.errors import BadInput

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ONE_MICROSECOND = timedelta(microseconds=1)
MICROS_PER_DAY = 86_400_000_000


def parse_micros(value: object) -> int | None:
    """Microseconds of an ISO 8601 timestamp, or None when ``value`` is not one.

    A timestamp without an offset is read as UTC (some servers omit the ``Z``).
    Digits below the microsecond are dropped.
    """
    if type(value) is not str:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - EPOCH) // ONE_MICROSECOND


def micros_of(moment: datetime) -> int:
    """Microseconds of an aware datetime; BadInput for a naive one (its zone is unknowable)."""
    if not isinstance(moment, datetime):
        raise BadInput(f"asOf must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BadInput("asOf must carry a time zone (use UTC, for example 2024-06-01T00:00:00Z)")
    return (moment - EPOCH) // ONE_MICROSECOND


def format_micros(micros: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` for an instant; the fraction only when it is not zero."""
    moment = EPOCH + timedelta(microseconds=int(micros))
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text + "Z"


def parse_period_bound(name: str, value: object) -> tuple[str, int]:
    """Normalise a period parameter (an ISO date or timestamp) to (canonical text, micros).

    A bare date means midnight UTC at its start. BadInput names ``name`` when the value is
    not readable.
    """
    if type(value) is not str:
        raise BadInput(f"parameter {name!r} must be an ISO 8601 date like 2024-01-01 or null")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is not None and len(value) == 10:
        micros = (datetime(day.year, day.month, day.day, tzinfo=timezone.utc) - EPOCH) // ONE_MICROSECOND
        return day.isoformat(), micros
    micros = parse_micros(value)
    if micros is None:
        raise BadInput(
            f"parameter {name!r} is {value!r}, not an ISO 8601 date or timestamp "
            "(write 2024-01-01 or 2024-01-01T00:00:00Z)"
        )
    return format_micros(micros), micros
