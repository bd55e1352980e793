"""A cooperative's open books for people: the list of its Distributions, one Distribution
(who got what, under which policy and constraints, from which Standings) and a Standing it
used. Served by :mod:`fedcommons.web.coops` when a browser asks, beside the signed
documents they show.
"""

import json
from decimal import Decimal
from fractions import Fraction

from aiohttp import web

from ...payout import read_distribution
from ...store import actors as actor_store
from ...store import coops as coop_store
from ...store.actors import ActorRow
from ..charts import Bar, share_bars
from ..keys import NODE
from ..templating import render

TABLE_ROWS = 500


def distributions_page(request: web.Request, coop: ActorRow, url: str) -> web.Response:
    """The cooperative's Distributions as a table, newest first."""
    node = request.app[NODE]
    return render(request, "distributions.html", {
        "title": f"Distributions of {coop.display_name or coop.name}", "coop": coop, "url": url,
        "rows": coop_store.distributions(node.db, coop.id, limit=200)})


def distribution_page(request: web.Request, coop: ActorRow, document: dict) -> web.Response:
    """One Distribution: who got what, with a chart of the shares."""
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


def standing_page(request: web.Request, coop: ActorRow, document: dict) -> web.Response:
    """A Standing a Distribution of this cooperative used."""
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
