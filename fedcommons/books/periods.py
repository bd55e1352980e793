"""Which dates a statement covers: a period name, a quarter, or any range of days."""

from __future__ import annotations

import re
from datetime import date, timedelta

from ..errors import BadInput
from ..payout.periods import period_bounds

_QUARTER = re.compile(r"(\d{4})-Q([1-4])")


def statement_period(period: str | None = None, start: str | None = None, end: str | None = None,
                     *, today: date) -> tuple[str, str, str]:
    """(label, first day, day after the last) of a statement.

    Either ``period`` (``2026``, ``2026-Q4``, ``2026-10``, ``2026-10-05``, ``2026-01/2026-06``),
    or ``start`` and/or ``end`` as inclusive dates (``--from 2026-01-15 --to 2026-02-10``;
    a missing ``start`` is the beginning of the books, a missing ``end`` today). With
    neither, the current year.
    """
    if period is not None and (start is not None or end is not None):
        raise BadInput("give a period, or a range with from and to, not both")
    if period is not None:
        period = period.strip()
        if not period.isascii():
            raise BadInput(f"period {period[:40]!r} must be written with ASCII digits, such as 2026-Q4")
        quarter = _QUARTER.fullmatch(period)
        if quarter:
            year, q = int(quarter[1]), int(quarter[2])
            first = date(year, 3 * q - 2, 1)
            after = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
            return period, first.isoformat(), after.isoformat()
        first_text, after_text = period_bounds(period)
        return period, first_text, after_text
    if start is None and end is None:
        return str(today.year), date(today.year, 1, 1).isoformat(), date(today.year + 1, 1, 1).isoformat()
    first = _day(start, "from") if start is not None else date(1, 1, 1)
    last = _day(end, "to") if end is not None else today
    if last < first:
        raise BadInput(f"the range ends ({last}) before it starts ({first})")
    if last == date.max:
        raise BadInput("the range must end before 9999-12-31")
    after = last + timedelta(days=1)
    label = f"{first.isoformat() if start is not None else ''}..{last.isoformat()}"
    return label, first.isoformat(), after.isoformat()


def _day(text: str, what: str) -> date:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text.strip()):
        raise BadInput(f"{what} {text!r} must be a date such as 2026-10-05")
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"{what} {text!r} is not a calendar date") from None
