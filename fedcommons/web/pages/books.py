"""A cooperative's books for people: the statement of a period and one book entry.

Served by :mod:`fedcommons.web.books` when a browser asks, beside the JSON-LD and CSV.
"""

from datetime import date
from urllib.parse import urlencode

from aiohttp import web

from ...services.books import books as service
from ...store.actors import ActorRow
from ..keys import NODE
from ..templating import render
from .common import name_of, named


def period_links(coop: ActorRow, today: date) -> list[tuple[str, str]]:
    """(label, URL) of the periods a reader most often wants: this and last year, this
    year's quarters so far, and the last three months."""
    base = f"{coop.id}/books?period="
    year = today.year
    links = [(str(year), base + str(year)), (str(year - 1), base + str(year - 1))]
    links += [(f"{year}-Q{q}", f"{base}{year}-Q{q}") for q in range(1, (today.month - 1) // 3 + 2)]
    month = date(year, today.month, 1)
    for _ in range(3):
        links.append((month.strftime("%Y-%m"), base + month.strftime("%Y-%m")))
        month = date(month.year - (month.month == 1), 12 if month.month == 1 else month.month - 1, 1)
    return links


def statement_page(request: web.Request, coop: ActorRow, document: dict) -> web.Response:
    """The statement: balances, income and expenses by category, and every line with its proof."""
    node = request.app[NODE]
    query = {k: v for k, v in request.query.items() if k in ("period", "from", "to", "treeSize")}
    last_day = date.fromordinal(date.fromisoformat(document["periodEnd"]).toordinal() - 1).isoformat()
    export_range = urlencode({"from": document["periodStart"], "to": last_day})
    lines = []
    for line in document["lines"]:
        who = line.get("counterpartyName") or (name_of(node, line["counterparty"]) if line.get("counterparty") else "")
        lines.append({**line, "who": who, "counterparty_link": line.get("counterparty")})
    return render(request, "books.html", {
        "title": f"Books of {coop.display_name or coop.name}: {document['period']}", "coop": coop,
        "document": document, "lines": lines, "periods": period_links(coop, service.today()),
        "json_url": f"{coop.id}/books?{urlencode({**query, 'format': 'json'})}",
        "csv_url": f"{coop.id}/books?{urlencode({**query, 'format': 'csv'})}",
        "export_url": f"{coop.id}/books/export.csv?{export_range}",
        "journal_url": f"{coop.id}/books/journal?{export_range}",
        "first": document["periodStart"] if document["periodStart"] > "0001-01-01" else "",
        "last": last_day})


def entry_page(request: web.Request, coop: ActorRow, document: dict) -> web.Response:
    """One book entry, as signed."""
    node = request.app[NODE]
    income = document.get("entryKind") == "income"
    other = document.get("provider" if income else "receiver")
    return render(request, "book_entry.html", {
        "title": f"{coop.display_name or coop.name}: {document.get('entryKind')} of {document.get('amount')} "
                 f"{document.get('currency')}", "coop": coop, "document": document,
        "counterparty": named(node, other) if isinstance(other, str) else None,
        "recorded_by": named(node, document["recordedBy"]) if isinstance(document.get("recordedBy"), str) else None})
