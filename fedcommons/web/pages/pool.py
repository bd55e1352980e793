"""The page of a common pool: what it is, who stewards it, who has standing, recent work."""

from aiohttp import web

from ..keys import NODE
from ...services.standing import percent
from ...store import contributions as contribution_store
from ...store.actors import ActorRow
from .. import html
from ..charts import Bar, share_bars
from ..session import viewer
from .common import (
    actor_link,
    contribution_table,
    in_worker,
    name_of,
    respond,
    standing_or_reason,
)

RECENT = 25
RANKED = 20
PENDING_SHOWN = 200


async def page(request: web.Request, pool: ActorRow, doc: dict) -> web.Response:
    """GET /pools/{slug} for a browser."""
    node = request.app[NODE]
    standing = await in_worker(node, lambda reader: standing_or_reason(reader, pool.id))
    title = pool.display_name or pool.name
    stewards = doc.get("stewards", [])
    parts = [
        f"<h1>{html.esc(title)}</h1>",
        f"<p class=muted>@{html.esc(pool.name)}@{html.esc(node.config.host)} · common pool</p>",
    ]
    if pool.summary:
        parts.append(f"<p class=description>{html.esc(pool.summary)}</p>")
    method = doc.get("standingMethod", {}).get("method", "")
    parts.append(
        "<dl class=facts>"
        f"<dt>Licence</dt><dd>{html.esc(doc['license']) if doc.get('license') else 'not stated'}</dd>"
        f"<dt>Stewards</dt><dd class=stewards>{', '.join(actor_link(node, s) for s in stewards) or 'none'}</dd>"
        f"<dt>Standing method</dt><dd><code>{html.esc(method)}</code></dd>"
        "</dl>"
    )
    parts.append(_actions(request, pool, stewards))
    parts.append(_standing(node, pool, standing))
    recent = contribution_store.contributions_of_pool(node.db, pool.id, limit=RECENT)
    total = contribution_store.count_of_pool(node.db, pool.id)
    parts.append(f"<h2>Recent contributions</h2><p class=muted>{len(recent)} newest of {total}; "
                 "each links to the inclusion proof of its log entry.</p>")
    parts.append(contribution_table(node, recent, show_pool=False))
    parts.append(
        f"<p class=muted>{html.link(pool.id + '?format=json', 'JSON-LD')} · "
        f"{html.link(pool.id + '/contributions?format=json', 'contributions')} · "
        f"{html.link(pool.id + '/standing?format=json', 'Standing document')} · "
        f"{html.link(pool.id + '/outbox?format=json', 'outbox')} · "
        f"{html.link(pool.id + '/followers?format=json', 'followers')}</p>"
    )
    return respond(request, title, "".join(parts))


def _actions(request: web.Request, pool: ActorRow, stewards: list[str]) -> str:
    """What the person looking can do here: sign in, log work, review the queue."""
    session = viewer(request)
    if session is None:
        return (f"<p class=muted>{html.link('/login?next=/contribute?pool=' + pool.name, 'Sign in')} "
                "to log your work in this pool.</p>")
    node = request.app[NODE]
    parts = [f"<p>{html.link('/contribute?pool=' + pool.name, 'Log a contribution to this pool')}</p>"]
    if session.person.id in stewards:
        waiting = contribution_store.contributions_of_pool(node.db, pool.id, status="pending",
                                                           limit=PENDING_SHOWN + 1)
        count = f"{PENDING_SHOWN}+" if len(waiting) > PENDING_SHOWN else str(len(waiting))
        if waiting:
            parts.append(f"<p class=notice>You steward this pool: {count} contribution"
                         f"{'s wait' if len(waiting) != 1 else ' waits'} for review. "
                         f"{html.link(pool.id + '/pending', 'Review them')}</p>")
        else:
            parts.append("<p class=notice>You steward this pool; nothing waits for review.</p>")
    return "".join(parts)


def _standing(node, pool: ActorRow, standing) -> str:
    """The chart of shares and the ranked table, as of now."""
    head = "<h2>Standing</h2>"
    if isinstance(standing, str):
        return f"{head}<p class=muted>Standing cannot be shown: {html.esc(standing)}</p>"
    rows = standing.result.rows
    if not rows:
        return f"{head}<p class=muted>Nobody has standing yet: it comes from validated contributions.</p>"
    names = {r.contributor: name_of(node, r.contributor) for r in rows[:RANKED]}
    doc = standing.document
    chart = share_bars([Bar(names.get(r.contributor) or r.contributor, r.share, r.contributor, r.contributor)
                        for r in rows], title=f"Shares of standing in {pool.display_name or pool.name}")
    body = "".join(
        f"<tr><td class=num>{rank}</td><td>{html.link(r.contributor, names[r.contributor])}</td>"
        f"<td class=num>{html.esc(r.score)}</td><td class=num>{html.esc(percent(r.share))}</td></tr>"
        for rank, r in enumerate(rows[:RANKED], start=1))
    more = (f"<p class=muted>{len(rows) - RANKED} more on the {html.link(pool.id + '/standing', 'standing page')}.</p>"
            if len(rows) > RANKED else "")
    return (
        f"{head}<p class=muted>{html.esc(doc['method'])} as of {html.esc(doc['asOf'])}, from the first "
        f"{doc['checkpoint']['treeSize']} log entries · {html.link(pool.id + '/standing', 'details and history')}</p>"
        f"<figure class=chart>{chart}</figure>"
        "<div class=scroll><table class=ranking><thead><tr><th class=num>#</th><th>Contributor</th>"
        f"<th class=num>Score</th><th class=num>Share</th></tr></thead><tbody>{body}</tbody></table></div>{more}"
    )

