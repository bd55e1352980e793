"""Periods a payout or a statement covers: a year, month or day, or a range of them.

``2026`` is [2026-01-01, 2027-01-01), ``2026-10`` [2026-10-01, 2026-11-01), ``2026-10-05``
one day, and ``2026-01/2026-06`` the first half of 2026. Ends are exclusive.
"""

from __future__ import annotations

from datetime import date

from ..errors import BadInput


def period_bounds(period: str) -> tuple[str, str]:
    """[start, end) dates of a period: a year, month or day, or ``A/B`` from A through B.

    ``2026`` is [2026-01-01, 2027-01-01), ``2026-10`` [2026-10-01, 2026-11-01),
    ``2026-10-05`` one day, and ``2026-01/2026-06`` the first half of 2026.
    """
    first, slash, last = period.partition("/")
    start, _ = _calendar_unit(first, period)
    end = _calendar_unit(last, period)[1] if slash else _calendar_unit(first, period)[1]
    if end <= start:
        raise BadInput(f"period {period}: its end comes before its start")
    return start.isoformat(), end.isoformat()


def _calendar_unit(text: str, period: str) -> tuple[date, date]:
    """[start, end) of one year, month or day written as 2026, 2026-10 or 2026-10-05."""
    try:
        parts = [int(p) for p in text.split("-")]
        if len(parts) == 1 and len(text) == 4:
            return date(parts[0], 1, 1), date(parts[0] + 1, 1, 1)
        if len(parts) == 2 and len(text) == 7:
            year, month = parts
            start = date(year, month, 1)
            return start, date(year + month // 12, month % 12 + 1, 1)
        if len(parts) == 3 and len(text) == 10:
            start = date(*parts)
            return start, date.fromordinal(start.toordinal() + 1)
    except ValueError:
        pass
    raise BadInput(f"period {period!r} must be a year, month or day (2026, 2026-10, 2026-10-05) "
                   "or two of them joined by '/' (2026-01/2026-06)")

