"""The page of a cooperative: the pools it sustains and their weights, and its open books.

Each distribution has its own page (:mod:`.distributions`) and CSV; this page lists them
and links there.
"""

from fractions import Fraction

from aiohttp import web

from ...books import statement_period
from ...services.books import books as book_service
from ...services.payouts.coops import members, sustained
from ...store import coops as coop_store
from ...store.actors import ActorRow
from ..charts import Bar, share_bars
from ..keys import NODE
from ..templating import render
from .books import period_links
from .common import name_of, named

LATEST = 20


async def page(request: web.Request, coop: ActorRow, doc: dict) -> web.Response:
    """GET /coops/{slug} for a browser."""
    node = request.app[NODE]
    total = coop_store.count_distributions(node.db, coop.id)
    today = book_service.today()
    label, start, after = statement_period(today=today)
    return render(request, "coop.html", {
        "books": book_service.statement(node, coop, label, start, after), "periods": period_links(coop, today),
        "title": coop.display_name or coop.name, "coop": coop, "members": [named(node, p) for p in members(node, coop)],
        "sustains": _sustains(node, coop), "total": total,
        "defaults": coop_store.payout_defaults(node.db, coop.id),
        "distributions": coop_store.distributions(node.db, coop.id, limit=LATEST) if total else []})


def _sustains(node, coop: ActorRow) -> dict | None:
    """The pools it sustains, each with its weight and part, and their chart; None when none."""
    pools = sustained(node, coop)
    if not pools:
        return None
    total = sum((s.weight for s in pools), Fraction(0))
    shares = {s.pool: s.weight / total for s in pools}
    chart = share_bars([Bar(name_of(node, s.pool), f"{float(shares[s.pool]):.9f}", s.pool, s.pool)
                        for s in sorted(pools, key=lambda s: (-s.weight, s.pool))],
                       title=f"How {coop.display_name or coop.name} weighs its pools")
    return {"chart": chart, "rows": [{"pool": named(node, s.pool), "weight": s.weight_text,
                                      "part": f"{float(shares[s.pool]) * 100:.2f}%"} for s in pools]}
