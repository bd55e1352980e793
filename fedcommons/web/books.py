"""A cooperative's books over HTTP: statements, the bookkeeper's exports, and each entry.

- ``/coops/{slug}/books``: the statement of a period (``?period=2026-10``, ``2026-Q4``,
  ``2026``, or ``?from=2026-01-15&to=2026-02-10``; default this year; ``&treeSize=N`` for
  the log at N entries), as a page, as JSON-LD (``Accept`` or ``?format=json``) or as CSV
  (``?format=csv``);
- ``/coops/{slug}/books/export.csv?from=&to=``: a row per movement, for the bookkeeper;
- ``/coops/{slug}/books/journal?from=&to=``: the same as a ledger / hledger journal;
- ``/coops/{slug}/books/{id}``: one book entry as logged (JSON-LD, or a page).

The payee table is never read here: legal names and bank details are only in
``fedcommons books export --private``, on the node's own machine.
"""

from aiohttp import web

from ..books import statement_period
from ..books.exports import in_range, journal, movements_csv
from ..books.statement import statement_csv
from ..errors import BadInput
from ..services.books import books as service
from ..services.payouts import payouts as payout_service
from .coops import coop_of
from .keys import NODE
from .negotiation import activity_response, wants_activity_json
from .pages.books import entry_page, statement_page


def _param(request: web.Request, name: str) -> str | None:
    """A query parameter; an empty one (a date field the form left blank) counts as absent."""
    return request.query.get(name) or None


def _period(request: web.Request) -> tuple[str, str, str]:
    return statement_period(_param(request, "period"), _param(request, "from"), _param(request, "to"),
                            today=service.today())


def _tree_size(request: web.Request) -> int | None:
    size = request.query.get("treeSize")
    if size is None:
        return None
    if not size.isascii() or not size.isdigit() or len(size) > 15:
        raise BadInput(f"treeSize must be a whole number, not {size[:40]!r}")
    return int(size)


async def statement(request: web.Request) -> web.Response:
    """The statement of a period: a page, JSON-LD or CSV."""
    node = request.app[NODE]
    coop = coop_of(request)
    label, start, after = _period(request)
    document = service.statement(node, coop, label, start, after, _tree_size(request))
    if request.query.get("format") == "csv":
        return _download(statement_csv(document), "text/csv", f"{coop.name}-statement-{_safe(label)}.csv")
    if wants_activity_json(request):
        return activity_response(document)
    return statement_page(request, coop, document)


def _movements(request: web.Request):
    node = request.app[NODE]
    coop = coop_of(request)
    _, start, after = statement_period(None, _param(request, "from") or "0001-01-01", _param(request, "to"),
                                       today=service.today())
    found = in_range(service.coop_movements(node, coop), start, after)
    return coop, found, service.names(node, found), start, after


async def export_csv(request: web.Request) -> web.Response:
    """A row per movement in the date range (no private payee details, ever)."""
    coop, found, names, start, after = _movements(request)
    return _download(movements_csv(found, names), "text/csv", f"{coop.name}-books-{start}-{after}.csv")


async def export_journal(request: web.Request) -> web.Response:
    """The movements of the date range as a ledger / hledger journal."""
    coop, found, names, start, after = _movements(request)
    text = journal(found, names, title=f"{coop.display_name or coop.name} ({coop.id}) from {start} to before {after}")
    return _download(text, "text/plain", f"{coop.name}-{start}-{after}.journal")


async def entry(request: web.Request) -> web.Response:
    """One book entry, as logged."""
    coop = coop_of(request)
    url = f"{coop.id}/books/{request.match_info['id']}"
    document = payout_service.logged_object(request.app[NODE], url)
    if document is None or "BookEntry" not in (document.get("type") or []):
        raise web.HTTPNotFound(text=f"no such book entry of {coop.name} in this node's log")
    if wants_activity_json(request):
        return activity_response(document)
    return entry_page(request, coop, document)


def _download(text: str, content_type: str, name: str) -> web.Response:
    return web.Response(body=text.encode("utf-8"), content_type=content_type, charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _safe(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "_" for c in label)
