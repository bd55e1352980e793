"""A cooperative's open books: its Distributions and the Standings they were computed from.

- ``/coops/{slug}/distributions``: a paged OrderedCollection for ActivityPub clients, a
  table for browsers;
- ``/coops/{slug}/distributions/{id}``: the signed ``fc:Distribution`` as logged, or a page
  saying who got what, under which policy and constraints, from which Standings;
  ``?format=csv`` or ``{id}.csv`` is the bookkeeper's CSV download;
- ``/coops/{slug}/standings/{id}``: a signed Standing a Distribution used, as logged.

Everything is read from the log, so what is served is byte for byte what was signed.
"""

import json
from decimal import Decimal
from fractions import Fraction

from aiohttp import web

from ..payout import payouts_csv, read_distribution
from ..services.payouts import payouts as service
from ..store import actors as actor_store
from ..store import coops as coop_store
from ..store.actors import ActorRow
from .charts import Bar, share_bars
from .collections import paged
from .keys import NODE
from .negotiation import activity_response, wants_activity_json
from .templating import render

TABLE_ROWS = 500


def _coop(request: web.Request) -> ActorRow:
    row = actor_store.local_actor(request.app[NODE].db, request.match_info["name"], "cooperative")
    if row is None:
        raise web.HTTPNotFound(text="no such cooperative on this node")
    return row


def _logged(request: web.Request, coop: ActorRow, kind: str, what: str) -> dict:
    """The logged object at this URL, if it is a ``kind`` document of this cooperative."""
    url = f"{coop.id}/{what}/{request.match_info['id']}"
    document = service.logged_object(request.app[NODE], url)
    if document is None or kind not in (document.get("type") or []):
        raise web.HTTPNotFound(text=f"no such {kind} of {coop.name} in this node's log")
    return document


async def distributions(request: web.Request) -> web.Response:
    """The cooperative's Distributions, newest first."""
    node = request.app[NODE]
    coop = _coop(request)
    url = f"{coop.id}/distributions"
    if wants_activity_json(request):
        total = coop_store.count_distributions(node.db, coop.id)

        def items(limit, offset):
            return [_summary(coop, row) for row in
                    coop_store.distributions(node.db, coop.id, limit=limit, offset=offset)]

        return activity_response(paged(request, url, total, items))
    return render(request, "distributions.html", {
        "title": f"Distributions of {coop.display_name or coop.name}", "coop": coop, "url": url,
        "rows": coop_store.distributions(node.db, coop.id, limit=200)})


def _summary(coop: ActorRow, row: coop_store.DistributionRow) -> dict:
    """A collection item in ActivityStreams terms only; the full document is at its id."""
    period = f" for {row.period}" if row.period else ""
    return {"id": row.id, "type": "Document", "attributedTo": coop.id, "published": row.published,
            "name": f"{row.amount} {row.currency}{period} to {row.recipients} people ({row.policy})"}


async def distribution(request: web.Request) -> web.Response:
    """One Distribution: JSON-LD, a page, or (``?format=csv``) its CSV."""
    coop = _coop(request)
    document = _logged(request, coop, "Distribution", "distributions")
    if request.query.get("format") == "csv":
        return _csv(coop, document)
    if wants_activity_json(request):
        return activity_response(document)
    return _distribution_page(request, coop, document)


async def distribution_csv(request: web.Request) -> web.Response:
    """One Distribution as the bookkeeper's CSV."""
    coop = _coop(request)
    return _csv(coop, _logged(request, coop, "Distribution", "distributions"))


def _csv(coop: ActorRow, document: dict) -> web.Response:
    label = document.get("period") or str(document.get("published", ""))[:10]
    name = f"{coop.name}-{label}-{document['id'].rsplit('/', 1)[-1][:8]}.csv"
    return web.Response(body=payouts_csv(document).encode("utf-8"), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _distribution_page(request: web.Request, coop: ActorRow, document: dict) -> web.Response:
    node = request.app[NODE]
    terms = read_distribution(document)
    unit = terms.unit
    period = f" for {terms.period}" if terms.period else ""
    ranked = sorted(terms.payouts.items(), key=lambda item: (-item[1], item[0]))
    names = {who: _name(node, who) for who, _ in ranked[:TABLE_ROWS]}
    chart = share_bars([Bar(names.get(who) or who, f"{float(Fraction(minor, terms.amount)):.9f}", who, who)
                        for who, minor in ranked], title=f"Shares of {unit.display(terms.amount)}")
    return render(request, "distribution.html", {
        "title": f"{coop.display_name or coop.name} pays {unit.display(terms.amount)}{period}", "coop": coop,
        "document": document, "terms": terms, "people": len(ranked), "limits": "; ".join(_limits(document)),
        "chart": chart, "more": max(0, len(ranked) - TABLE_ROWS),
        "rows": [(who, names[who], unit.to_string(minor), f"{float(Fraction(minor, terms.amount)) * 100:.2f} %")
                 for who, minor in ranked[:TABLE_ROWS]]})


def _limits(document: dict) -> list[str]:
    """The constraints a distribution was computed under, in words."""
    constraints = document.get("constraints") or {}
    limits = [f"highest at most {constraints['maxRatio']} × lowest" if "maxRatio" in constraints else "no ratio limit"]
    if "floor" in constraints:
        limits.append(f"floor {constraints['floor']}")
    if "cap" in constraints:
        limits.append(f"cap {constraints['cap']}")
    if "basicShare" in constraints:
        share = format(Decimal(constraints["basicShare"]) * 100, "f")
        limits.append(f"{share.rstrip('0').rstrip('.') if '.' in share else share} % shared equally")
    return limits


async def standing(request: web.Request) -> web.Response:
    """A Standing a Distribution of this cooperative used, as logged (JSON-LD or a page)."""
    coop = _coop(request)
    document = _logged(request, coop, "Standing", "standings")
    if wants_activity_json(request):
        return activity_response(document)
    node = request.app[NODE]
    rows = document.get("standings") or []
    return render(request, "coop_standing.html", {
        "title": f"Standing in {_name(node, document.get('pool', ''))}", "coop": coop, "document": document,
        "checkpoint": document.get("checkpoint") or {}, "more": max(0, len(rows) - TABLE_ROWS),
        "rows": [(row, _name(node, row["contributor"]), f"{float(row['share']) * 100:.2f} %")
                 for row in rows[:TABLE_ROWS]],
        "parameters": json.dumps(document.get("parameters"), sort_keys=True)})


def _name(node, url: str) -> str:
    """A short name for a person or pool this node knows, else the URL."""
    row = actor_store.actor(node.db, url)
    return (row.display_name or row.name or url) if row is not None else url
