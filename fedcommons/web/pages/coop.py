"""The page of a cooperative: the pools it sustains and their weights, and its open books.

Each distribution has its own page and CSV (:mod:`fedcommons.web.coops`); this page lists
them and links there.
"""

from fractions import Fraction

from aiohttp import web

from ..keys import NODE
from ...services.coops import members, sustained
from ...store import coops as coop_store
from ...store.actors import ActorRow
from .. import html
from ..charts import Bar, share_bars
from .common import actor_link, name_of, respond

LATEST = 20


async def page(request: web.Request, coop: ActorRow, doc: dict) -> web.Response:
    """GET /coops/{slug} for a browser."""
    node = request.app[NODE]
    title = coop.display_name or coop.name
    parts = [f"<h1>{html.esc(title)}</h1>",
             f"<p class=muted>@{html.esc(coop.name)}@{html.esc(node.config.host)} · cooperative</p>"]
    if coop.summary:
        parts.append(f"<p>{html.esc(coop.summary)}</p>")
    people = members(node, coop)
    parts.append(f"<dl class=facts><dt>Members</dt><dd>{', '.join(actor_link(node, p) for p in people) or 'none'}"
                 "</dd></dl>")
    parts.append(_sustains(node, coop))
    parts.append(_distributions(node, coop))
    parts.append(f"<p class=muted>{html.link(coop.id + '?format=json', 'JSON-LD')} · "
                 f"{html.link(coop.id + '/distributions?format=json', 'distributions (JSON-LD)')} · "
                 f"{html.link(coop.id + '/outbox?format=json', 'outbox')}</p>")
    return respond(request, title, "".join(parts))


def _sustains(node, coop: ActorRow) -> str:
    head = "<h2>Pools it sustains</h2>"
    pools = sustained(node, coop)
    if not pools:
        return head + "<p class=muted>No pool yet.</p>"
    total = sum((s.weight for s in pools), Fraction(0))
    shares = {s.pool: s.weight / total for s in pools}
    chart = share_bars([Bar(name_of(node, s.pool), f"{float(shares[s.pool]):.9f}", s.pool, s.pool)
                        for s in sorted(pools, key=lambda s: (-s.weight, s.pool))],
                       title=f"How {coop.display_name or coop.name} weighs its pools")
    rows = "".join(
        f"<tr><td>{actor_link(node, s.pool)}</td><td class=num>{html.esc(s.weight_text)}</td>"
        f"<td class=num>{float(shares[s.pool]) * 100:.2f}%</td></tr>" for s in pools)
    return (f"{head}<p class=muted>Each payout is split among the pools by these weights, then "
            "within each pool by standing.</p>"
            f"<figure class=chart>{chart}</figure>"
            "<div class=scroll><table class=sustains><thead><tr><th>Pool</th><th class=num>Weight</th>"
            f"<th class=num>Part</th></tr></thead><tbody>{rows}</tbody></table></div>")


def _distributions(node, coop: ActorRow) -> str:
    total = coop_store.count_distributions(node.db, coop.id)
    head = "<h2>Distributions</h2>"
    if not total:
        return head + "<p class=muted>Nothing has been paid out yet.</p>"
    rows = coop_store.distributions(node.db, coop.id, limit=LATEST)
    body = "".join(
        f"<tr><td>{html.esc(r.published[:10])}</td><td class=opt>{html.esc(r.period or '')}</td>"
        f"<td class=num>{html.esc(r.amount)} {html.esc(r.currency)}</td><td>{html.esc(r.policy)}</td>"
        f"<td class='num opt'>{r.recipients:,}</td>"
        f"<td>{html.link(r.id, 'who got what')} · {html.link(r.id + '.csv', 'CSV')}</td></tr>" for r in rows)
    return (f"{head}<p class=muted>{len(rows)} newest of {total}; each page says who got what, under which "
            f"policy and constraints, from which standing documents · "
            f"{html.link(coop.id + '/distributions', 'all distributions')}</p>"
            "<div class=scroll><table class=distributions><thead><tr><th>Published</th><th class=opt>Period</th>"
            "<th class=num>Amount</th><th>Policy</th><th class='num opt'>People</th><th></th></tr></thead>"
            f"<tbody>{body}</tbody></table></div>")
