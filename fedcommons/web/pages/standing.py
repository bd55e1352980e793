"""The standing page of a pool: what was computed, a form to ask for another date or
method, a chart of the shares and the ranked table. Served by :mod:`fedcommons.web.standing`
when a browser asks, beside the signed document it shows.
"""

import json

from aiohttp import web

from ...services.standing import standing as service
from ...standing import METHODS
from ...store import actors as actor_store
from ..charts import Bar, share_bars
from ..keys import NODE
from ..templating import render

TABLE_ROWS = 200


def standing_page(request: web.Request, pool, result: service.Standing, query: dict, headers: dict) -> web.Response:
    """The page: what was computed, a form to ask for another date or method, chart and table."""
    node = request.app[NODE]
    rows = result.result.rows
    names = {row.contributor: _name(node, row.contributor) for row in rows[:TABLE_ROWS]}
    chart = share_bars([Bar(names.get(r.contributor) or r.contributor, r.share, r.contributor, r.contributor)
                        for r in rows], title=f"Shares of standing in {pool.name}")
    as_of = query.get("asOf", "")
    return render(request, "standing.html", {
        "title": f"Standing in {pool.display_name or pool.name}", "pool": pool, "doc": result.document,
        "rows": rows[:TABLE_ROWS], "more": max(0, len(rows) - TABLE_ROWS), "names": names, "chart": chart,
        "day": as_of if len(as_of) == 10 else "", "chosen": query.get("method", ""), "methods": sorted(METHODS),
        "parameters": json.dumps(result.document["parameters"], indent=2, sort_keys=True)}, headers=headers)


def _name(node, url: str) -> str:
    """A contributor's name when this node knows them, else their URL."""
    row = actor_store.actor(node.db, url)
    if row is None:
        return url
    name = row.display_name or row.name
    return f"{name} ({url})" if name and not row.local else (name or url)
