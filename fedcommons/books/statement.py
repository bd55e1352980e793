"""A cooperative's statement for a period, as a JSON-LD document and as CSV.

The statement is a pure function of the cooperative's movements up to a checkpoint and
of the period: anyone holding the log up to ``checkpoint.treeSize`` recomputes the same
document byte for byte (``fedcommons books verify URL``). Per unit it gives the balance
at the start and at the end, income and expenses by category, and distributions; each
line names its log entry and links to the entry's inclusion proof in that tree.

A distribution is one line of the statement (with the number of people paid); the
bookkeeper's export (:mod:`.exports`) has one row per person instead.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

from ..payout.money import Currency
from .ledger import Movement, balances

STATEMENT_TYPE = ["Document", "Statement"]


def _node_of(cooperative: str) -> str:
    parts = urlsplit(cooperative)
    return f"{parts.scheme}://{parts.netloc}"


def inclusion_url(node: str, index: int, size: int) -> str:
    """Where the node serves the inclusion proof of entry ``index`` in the tree of ``size``."""
    return f"{node}/log/proof/inclusion?index={index}&size={size}"


def statement_document(cooperative: str, found: Iterable[Movement], *, label: str, start: str, after: str,
                       checkpoint: Mapping[str, Any], url: str, context: list | None = None) -> dict:
    """The statement of ``cooperative`` for [start, after) from its movements in the first
    ``checkpoint["treeSize"]`` log entries; ``url`` is where it is published."""
    size = int(checkpoint["treeSize"])
    found = [m for m in found if m.entry < size]
    opening, closing = balances(found, before=start), balances(found, before=after)
    inside = sorted((m for m in found if start <= m.booked_on < after), key=lambda m: (m.booked_on, m.entry))
    units = sorted(set(opening) | set(closing) | {m.unit for m in inside}, key=lambda u: (u.code, u.exponent))
    rows, categories = [], []
    for unit in units:
        moved = [m for m in inside if m.unit == unit]
        income = sum(m.effect for m in moved if m.kind == "income")
        expenses = -sum(m.effect for m in moved if m.kind == "expense")
        paid = -sum(m.effect for m in moved if m.kind == "payout")
        rows.append({"currency": unit.code, "opening": unit.to_string(opening.get(unit, 0)),
                     "income": unit.to_string(income), "expenses": unit.to_string(expenses),
                     "distributions": unit.to_string(paid), "closing": unit.to_string(closing.get(unit, 0))})
        for kind, sign in (("income", 1), ("expense", -1)):
            by_category: dict[str, int] = {}
            for m in moved:
                if m.kind == kind:
                    by_category[m.category] = by_category.get(m.category, 0) + sign * m.effect
            categories += [{"currency": unit.code, "entryKind": kind, "category": name,
                            "amount": unit.to_string(total)} for name, total in sorted(by_category.items())]
    document: dict[str, Any] = {}
    if context is not None:
        document["@context"] = context
    document.update({
        "id": url,
        "type": list(STATEMENT_TYPE),
        "cooperative": cooperative,
        "period": label,
        "periodStart": start,
        "periodEnd": after,
        "checkpoint": {"origin": checkpoint["origin"], "treeSize": size, "rootHash": checkpoint["rootHash"]},
        "balances": rows,
        "categories": categories,
        "lines": _lines(inside, _node_of(cooperative), size),
    })
    return document


def _lines(inside: list[Movement], node: str, size: int) -> list[dict]:
    """One line per book entry, and one per distribution and unit (its payouts summed)."""
    lines: list[dict] = []
    seen: dict[tuple[str, Currency], dict] = {}
    for m in inside:
        if m.kind == "payout":
            key = (m.id, m.unit)
            if key in seen:
                line = seen[key]
                line["_effect"] += m.effect
                line["recipientCount"] += 1
                continue
        line = {"entry": m.id, "logIndex": m.entry, "inclusionProof": inclusion_url(node, m.entry, size),
                "entryKind": m.kind, "bookedOn": m.booked_on, "category": m.category,
                "_effect": m.effect, "_unit": m.unit}
        if m.kind == "payout":
            line["recipientCount"] = 1
            seen[(m.id, m.unit)] = line
        else:
            if m.counterparty:
                line["counterparty"] = m.counterparty
            if m.counterparty_name:
                line["counterpartyName"] = m.counterparty_name
            if m.corrects:
                line["corrects"] = m.corrects
        lines.append(line)
    for line in lines:
        unit = line.pop("_unit")
        line["amount"] = unit.to_string(line.pop("_effect"))
        line["currency"] = unit.code
    return lines


def statement_csv(document: Mapping[str, Any]) -> str:
    """The statement's figures as RFC 4180 CSV: ``currency,line,category,amount``.

    ``line`` is opening, income, expense, distributions or closing; income and expense
    rows come one per category.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["period", "currency", "line", "category", "amount"])
    period = document["period"]
    for row in document["balances"]:
        code = row["currency"]
        writer.writerow([period, code, "opening", "", row["opening"]])
        for c in document["categories"]:
            if c["currency"] == code:
                writer.writerow([period, code, c["entryKind"], c["category"], c["amount"]])
        writer.writerow([period, code, "distributions", "", row["distributions"]])
        writer.writerow([period, code, "closing", "", row["closing"]])
    return out.getvalue()


def statement_differences(published: Mapping[str, Any], recomputed: Mapping[str, Any]) -> list[str]:
    """What differs between a published statement and the one recomputed; empty if they agree."""
    problems = []
    for key in ("cooperative", "period", "periodStart", "periodEnd", "checkpoint", "balances",
                "categories", "lines"):
        if published.get(key) != recomputed.get(key):
            problems.append(f"{key}: published {_short(published.get(key))}, recomputed {_short(recomputed.get(key))}")
    return problems


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 300 else text[:300] + "…"
