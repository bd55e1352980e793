"""The log folded into a cooperative's movements, and its balance per unit.

Only what the cooperative itself signed counts: a ``Create`` whose actor is the
cooperative, of a BookEntry or Distribution attributed to it. A Distribution becomes one
``payout`` movement per recipient paid (what a bookkeeper posts), dated the day it was
published. A reversal counts only when it names an earlier entry of the same cooperative
with the same kind, amount and unit that no other reversal has undone yet; anything else
(a malformed entry, a second reversal of the same entry) is skipped, so one bad entry in
an append-only log can never stop the books from being read.

The balance of a unit is income minus expenses minus distributions: the sum of the
movements' effects, whatever their order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from ..errors import BadInput
from ..payout.document import read_distribution
from ..payout.money import Currency
from .entries import BOOK_ENTRY_TYPE, read_entry


@dataclass(frozen=True)
class Movement:
    """One line of the books. ``amount`` is positive; ``effect`` is signed (what the balance does)."""

    entry: int  # the log index of the Create that logged it
    id: str  # the BookEntry's or the Distribution's URL
    kind: str  # income, expense or payout
    booked_on: str
    unit: Currency
    amount: int
    effect: int
    counterparty: str | None = None
    counterparty_name: str = ""
    category: str = ""
    memo: str = ""
    evidence: tuple[str, ...] = ()
    corrects: str | None = None
    period: str | None = None  # payouts only, with policy
    policy: str | None = None


def movements(logged: Iterable[tuple[int, Mapping[str, Any]]], cooperative: str) -> list[Movement]:
    """The cooperative's movements from ``(log index, activity)`` pairs in log order."""
    fold = Ledger(cooperative)
    for idx, activity in logged:
        fold.add(idx, activity)
    return fold.found


class Ledger:
    """The fold of :func:`movements`, kept so it can go on from where it stopped: the log
    only grows, so the movements of a longer log are those of a shorter one and then some,
    and the movements of any prefix are those whose ``entry`` is inside it."""

    def __init__(self, cooperative: str):
        self.cooperative = cooperative
        self.found: list[Movement] = []
        self.size = 0  # how many log entries have been read (set by the caller)
        self._entries: dict[str, Movement] = {}
        self._reversed: set[str] = set()

    def add(self, idx: int, activity: Mapping[str, Any]) -> None:
        """Read one logged activity (in log order)."""
        cooperative = self.cooperative
        if not isinstance(activity, Mapping) or activity.get("type") != "Create":
            return
        obj = activity.get("object")
        if activity.get("actor") != cooperative or not isinstance(obj, Mapping):
            return
        if obj.get("attributedTo") != cooperative:
            return
        kinds = obj.get("type")
        if kinds == BOOK_ENTRY_TYPE:
            move = _book_entry(idx, obj, cooperative, self._entries, self._reversed)
            if move is not None:
                self.found.append(move)
        elif isinstance(kinds, list) and "Distribution" in kinds:
            self.found.extend(_payouts(idx, obj, activity, cooperative))

    def before(self, size: int) -> list[Movement]:
        """The movements of the first ``size`` log entries."""
        return [m for m in self.found if m.entry < size]


def _book_entry(idx: int, obj: Mapping, cooperative: str, entries: dict[str, Movement],
                reversed_: set[str]) -> Movement | None:
    try:
        entry = read_entry(obj)
    except BadInput:
        return None
    if entry.cooperative != cooperative or entry.id in entries:
        return None
    if entry.corrects is not None:
        original = entries.get(entry.corrects)
        if (original is None or original.corrects is not None or entry.corrects in reversed_
                or (original.kind, original.amount, original.unit) != (entry.kind, entry.amount, entry.unit)):
            return None
        reversed_.add(entry.corrects)
    move = Movement(idx, entry.id, entry.kind, entry.booked_on, entry.unit, entry.amount, entry.effect,
                    entry.counterparty, entry.counterparty_name, entry.category, entry.memo,
                    entry.evidence, entry.corrects)
    entries[entry.id] = move
    return move


def _payouts(idx: int, obj: Mapping, activity: Mapping, cooperative: str) -> list[Movement]:
    try:
        terms = read_distribution(obj)
    except BadInput:
        return []
    published = obj.get("published") or activity.get("published")
    if terms.cooperative != cooperative or not isinstance(published, str) or len(published) < 10:
        return []
    return [Movement(idx, str(obj.get("id")), "payout", published[:10], terms.unit, minor, -minor,
                     counterparty=recipient, category="distribution", period=terms.period,
                     policy=terms.policy)
            for recipient, minor in sorted(terms.payouts.items()) if minor]


def corrected(found: Iterable[Movement]) -> set[str]:
    """Ids of the entries a reversal among ``found`` undoes."""
    return {m.corrects for m in found if m.corrects}


def balances(found: Iterable[Movement], *, before: str | None = None) -> dict[Currency, int]:
    """Minor units held per unit: the sum of effects (only those booked before ``before``, a date)."""
    totals: dict[Currency, int] = {}
    for move in found:
        if before is None or move.booked_on < before:
            totals[move.unit] = totals.get(move.unit, 0) + move.effect
    return totals


def balance_of(found: Iterable[Movement], unit: Currency) -> int:
    """Minor units of ``unit`` held now."""
    return balances(found).get(unit, 0)


def unit_named(found: Iterable[Movement], code: str) -> Currency | None:
    """The unit the books already use under ``code``, if any (its decimals are then fixed)."""
    for move in found:
        if move.unit.code == code:
            return move.unit
    return None
