"""What a bookkeeper posts: a CSV row per movement, and a plain-text accounting journal.

Both take the movements (see :mod:`.ledger`) of a date range, the display names of the
actors involved, and, only for the bookkeeper's private copy, the payee details kept in
the node's private table (legal name, bank details), which never come from the log.

The journal is in the ledger / hledger format: one transaction per book entry and per
distribution and unit, balanced against the cooperative's account ``assets:cooperative``;
income goes to ``income:CATEGORY``, expenses to ``expenses:CATEGORY`` and payouts to
``expenses:distributions``, one posting per person paid.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from ..payout.money import Currency
from .ledger import Movement

CSV_COLUMNS = ["date", "entry", "kind", "counterparty_name", "counterparty", "amount", "currency",
               "category", "memo", "corrects", "distribution", "period", "policy"]
PRIVATE_COLUMNS = ["payee_legal_name", "payee_bank_details"]
ASSETS = "assets:cooperative"


@dataclass(frozen=True)
class Payee:
    """What the bookkeeper needs to pay someone; kept only in the node's private table."""

    legal_name: str
    bank_details: str


def in_range(found: Iterable[Movement], start: str, after: str) -> list[Movement]:
    """Movements booked in [start, after), by date and log order."""
    return sorted((m for m in found if start <= m.booked_on < after), key=lambda m: (m.booked_on, m.entry))


def movements_csv(found: Iterable[Movement], names: Mapping[str, str],
                  payees: Mapping[str, Payee] | None = None) -> str:
    """RFC 4180 CSV, one row per movement; ``amount`` is signed (what it does to the balance).

    A payout row is one person paid by a distribution: ``entry`` and ``distribution`` are the
    Distribution's URL. With ``payees`` (the ``--private`` export), two more columns carry
    the payee's legal name and bank details.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS + (PRIVATE_COLUMNS if payees is not None else []))
    for m in found:
        payout = m.kind == "payout"
        name = m.counterparty_name or (names.get(m.counterparty, "") if m.counterparty else "")
        row = [m.booked_on, m.id, m.kind, name, m.counterparty or "", m.unit.to_string(m.effect), m.unit.code,
               m.category, m.memo, m.corrects or "", m.id if payout else "", (m.period or "") if payout else "",
               (m.policy or "") if payout else ""]
        if payees is not None:
            payee = payees.get(m.counterparty or "")
            row += [payee.legal_name, payee.bank_details] if payee else ["", ""]
        writer.writerow([_safe_cell(cell) for cell in row])
    return out.getvalue()


def _safe_cell(value: str) -> str:
    """Text a spreadsheet will not run as a formula (OWASP CSV injection); amounts keep their sign."""
    if value and value[0] in "=+@\t\r" or (value[:1] == "-" and not re.fullmatch(r"-[0-9.]+", value)):
        return "'" + value
    return value


def journal(found: Iterable[Movement], names: Mapping[str, str], *, title: str,
            payees: Mapping[str, Payee] | None = None) -> str:
    """The movements as a ledger / hledger journal (``hledger -f FILE balance`` reads it)."""
    lines = [f"; {_one_line(title)}", "; written by fedcommons books export; amounts are exact", "",
             "decimal-mark .", ""]
    found = list(found)
    for unit in sorted({m.unit for m in found}, key=lambda u: u.code):
        lines.append(f"commodity {_amount(unit, 10 ** unit.exponent * 1000)}")
    if found:
        lines.append("")
    done: set[tuple[str, Currency]] = set()
    for m in found:
        if m.kind != "payout":
            lines += _entry_transaction(m, names)
            continue
        if (m.id, m.unit) in done:
            continue
        done.add((m.id, m.unit))
        paid = [p for p in found if p.kind == "payout" and p.id == m.id and p.unit == m.unit]
        lines += _payout_transaction(m, paid, names, payees)
    return "\n".join(lines) + "\n"


def _entry_transaction(m: Movement, names: Mapping[str, str]) -> list[str]:
    who = m.counterparty_name or (names.get(m.counterparty, m.counterparty) if m.counterparty else "")
    reversal = "reversal: " if m.corrects else ""
    description = _one_line(f"{reversal}{who} | {m.memo or m.category}")
    account = f"{'income' if m.kind == 'income' else 'expenses'}:{_account_part(m.category)}"
    lines = [f"{m.booked_on} * {description}", f"    ; entry: {m.id}"]
    if m.counterparty:
        lines.append(f"    ; counterparty: {m.counterparty}")
    if m.corrects:
        lines.append(f"    ; corrects: {m.corrects}")
    lines += [f"    {ASSETS}  {_amount(m.unit, m.effect)}", f"    {account}  {_amount(m.unit, -m.effect)}", ""]
    return lines


def _payout_transaction(first: Movement, paid: list[Movement], names: Mapping[str, str],
                        payees: Mapping[str, Payee] | None) -> list[str]:
    label = f" {first.period}" if first.period else ""
    lines = [f"{first.booked_on} * {_one_line(f'distribution{label} ({first.policy})')}",
             f"    ; distribution: {first.id}"]
    for p in paid:
        who = _account_part(names.get(p.counterparty or "", "") or _last_part(p.counterparty or "someone"))
        lines.append(f"    expenses:distributions:{who}  {_amount(p.unit, -p.effect)}  ; recipient: {p.counterparty}")
        payee = payees.get(p.counterparty or "") if payees is not None else None
        if payee is not None:
            lines.append(f"        ; payee: {_one_line(payee.legal_name)}, bank: {_one_line(payee.bank_details)}")
    lines += [f"    {ASSETS}  {_amount(first.unit, sum(p.effect for p in paid))}", ""]
    return lines


def _amount(unit: Currency, minor: int) -> str:
    """An amount hledger reads exactly: the decimal string and the unit, quoted unless letters only."""
    symbol = unit.code if re.fullmatch(r"[A-Za-z]+", unit.code) else f'"{unit.code}"'
    return f"{unit.to_string(minor)} {symbol}"


def _account_part(text: str) -> str:
    """A name usable inside an account: no colon (a separator), no double space (ends the name)."""
    cleaned = re.sub(r"[:;\"]", "-", re.sub(r"\s+", " ", text)).strip()
    return cleaned or "uncategorised"


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace(";", ",").strip()


def _last_part(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]
