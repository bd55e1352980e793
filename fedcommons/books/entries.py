"""One book entry: income or an expense of a cooperative, as the log carries it.

A book entry is a ValueFlows economic event with the action ``transfer``: money (or hours
of a time bank, or a LETS unit) passes from ``provider`` to ``receiver``. For income the
cooperative is the receiver, for an expense the provider; the other side is the
counterparty, an actor URL when it has one, else only ``counterpartyName``.

- ``amount`` is a decimal string with exactly the unit's number of decimals, as on a
  Distribution, so the exponent of a unit outside ISO 4217 is read back from it;
- ``bookedOn`` is the calendar date of the movement (``YYYY-MM-DD``), never in the future;
- ``corrects`` (``vf:corrects``) marks a reversal: the entry undoes the one it names, with
  the same kind, amount and unit, so a correction is a new entry, never an edit.

Payees' legal names and bank details never go in here: they stay in the node's private
payee table (see ``services/books``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping
from urllib.parse import urlsplit

from ..errors import BadInput
from ..payout.money import Currency, currency, decimals_of, parse_amount

BOOK_ENTRY_TYPE = ["Note", "BookEntry"]
KINDS = ("income", "expense")
MAX_TEXT = 500  # category, counterparty name and memo: a line, not a document
MAX_EVIDENCE = 10
_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class Entry:
    """A book entry read back and checked; ``amount`` in minor units, always positive."""

    id: str
    cooperative: str
    kind: str
    amount: int
    unit: Currency
    booked_on: str
    counterparty: str | None
    counterparty_name: str
    category: str
    memo: str
    evidence: tuple[str, ...]
    corrects: str | None

    @property
    def effect(self) -> int:
        """What the entry does to the balance: income adds, an expense takes; a reversal the opposite."""
        sign = 1 if self.kind == "income" else -1
        return -sign * self.amount if self.corrects else sign * self.amount


def http_url(value: Any, what: str) -> str:
    """``value`` if it is an http(s) URL with a host; BadInput otherwise."""
    if isinstance(value, str):
        parts = urlsplit(value)
        if parts.scheme in ("http", "https") and parts.netloc and not _SPACE.search(value):
            return value
    raise BadInput(f"{what} must be an http(s) URL, not {value!r}")


def text_field(value: Any, what: str, *, required: bool) -> str:
    """One line of text (no control characters), at most MAX_TEXT characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BadInput(f"{what} must be text, not {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise BadInput(f"{what} must not be empty")
    if len(value) > MAX_TEXT:
        raise BadInput(f"{what} is longer than {MAX_TEXT} characters")
    if re.search(r"[\x00-\x1f\x7f]", value):
        raise BadInput(f"{what} must be one line without control characters")
    return value


def booking_date(value: Any, today: date, what: str = "date") -> str:
    """A calendar date ``YYYY-MM-DD`` that is not after ``today``."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise BadInput(f"{what} {value!r} must be a calendar date such as 2026-10-05")
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(f"{what} {value!r} is not a calendar date") from None
    if day > today:
        raise BadInput(f"{what} {day.isoformat()} is in the future (today is {today.isoformat()}); "
                       "record a movement once it has happened")
    return day.isoformat()


def entry_document(cooperative: str, kind: str, amount: str, unit: Currency, booked_on: str, *,
                   today: date, counterparty: str | None = None, counterparty_name: str | None = None,
                   category: str, memo: str | None = None, evidence: tuple[str, ...] = (),
                   corrects: str | None = None) -> dict:
    """The unsigned BookEntry (no ``id``, context or addressing); BadInput on anything wrong.

    ``amount`` is the decimal string as typed ("120.50"); it must be positive and no finer
    than the unit's minor unit.
    """
    if kind not in KINDS:
        raise BadInput(f"kind must be income or expense, not {kind!r}")
    minor = parse_amount(amount, unit)
    booked = booking_date(booked_on, today)
    name = text_field(counterparty_name, "counterparty name", required=False)
    if counterparty is not None:
        counterparty = http_url(counterparty, "counterparty")
    elif not name:
        raise BadInput("name the counterparty: an actor URL or a name such as 'Stadtwerke'")
    if len(evidence) > MAX_EVIDENCE:
        raise BadInput(f"at most {MAX_EVIDENCE} evidence links")
    links = [http_url(link, "evidence") for link in evidence]
    cooperative = http_url(cooperative, "cooperative")
    other = counterparty
    document: dict[str, Any] = {
        "type": list(BOOK_ENTRY_TYPE),
        "action": "transfer",
        "entryKind": kind,
        "cooperative": cooperative,
    }
    if kind == "income":
        document["receiver"] = cooperative
        if other:
            document["provider"] = other
    else:
        document["provider"] = cooperative
        if other:
            document["receiver"] = other
    if name:
        document["counterpartyName"] = name
    document.update({"amount": unit.to_string(minor), "currency": unit.code, "bookedOn": booked,
                     "category": text_field(category, "category", required=True)})
    note = text_field(memo, "memo", required=False)
    if note:
        document["note"] = note
    if links:
        document["evidence"] = links
    if corrects is not None:
        document["corrects"] = http_url(corrects, "the entry corrected")
    return document


def read_entry(document: Mapping[str, Any]) -> Entry:
    """Parse and check a logged BookEntry into minor units; BadInput when it is not one."""
    if not isinstance(document, Mapping) or document.get("type") != BOOK_ENTRY_TYPE:
        raise BadInput(f"not a book entry: type must be {BOOK_ENTRY_TYPE}")
    if document.get("action") != "transfer":
        raise BadInput("a book entry's action is transfer")
    kind = document.get("entryKind")
    if kind not in KINDS:
        raise BadInput(f"entryKind must be income or expense, not {kind!r}")
    coop = http_url(document.get("cooperative"), "cooperative")
    ours, theirs = ("receiver", "provider") if kind == "income" else ("provider", "receiver")
    if document.get(ours) != coop:
        raise BadInput(f"on {kind}, the {ours} is the cooperative")
    counterparty = document.get(theirs)
    if counterparty is not None:
        counterparty = http_url(counterparty, theirs)
    code = document.get("currency")
    if not isinstance(code, str):
        raise BadInput("a book entry names its currency")
    unit = currency(code, decimals_of(document.get("amount")))
    if unit.code != code:
        raise BadInput(f"currency {code!r} must be written {unit.code!r}")
    booked = document.get("bookedOn")
    if not isinstance(booked, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", booked):
        raise BadInput(f"bookedOn {booked!r} must be a date such as 2026-10-05")
    try:
        date.fromisoformat(booked)
    except ValueError:
        raise BadInput(f"bookedOn {booked!r} is not a calendar date") from None
    evidence = document.get("evidence", [])
    if not isinstance(evidence, list):
        raise BadInput("evidence must be a list of URLs")
    corrects = document.get("corrects")
    return Entry(
        id=http_url(document.get("id"), "id"), cooperative=coop, kind=kind,
        amount=parse_amount(document.get("amount"), unit), unit=unit, booked_on=booked,
        counterparty=counterparty,
        counterparty_name=text_field(document.get("counterpartyName"), "counterpartyName", required=False),
        category=text_field(document.get("category"), "category", required=True),
        memo=text_field(document.get("note"), "note", required=False),
        evidence=tuple(http_url(e, "evidence") for e in evidence),
        corrects=None if corrects is None else http_url(corrects, "corrects"),
    )
