"""The page of a common pool: what it is, who stewards it, who has standing, recent work."""

from aiohttp import web

from ..body_cache import state_key
from ..keys import BODIES, NODE
from ...store import contributions as contribution_store
from ...store.actors import ActorRow
from ..charts import Bar, share_bars
from ..session import viewer
from ..templating import render
from .common import contribution_table, in_worker, name_of, named, standing_or_reason

RECENT = 25
RANKED = 20
PENDING_SHOWN = 200


async def page(request: web.Request, pool: ActorRow, doc: dict) -> web.Response:
    """GET /pools/{slug} for a browser: rendered once per state of the node for everyone
    not signed in (:mod:`..body_cache`), for each request for someone signed in."""
    node = request.app[NODE]
    if viewer(request) is not None:
        return await _render(request, pool, doc)
    bodies, key = request.app[BODIES], state_key(node, "page", request.path_qs)
    body = bodies.get(key)
    if body is None:
        response = await _render(request, pool, doc)
        if response.status == 200:
            bodies.put(key, response.body)
        return response
    return web.Response(body=body, content_type="text/html", charset="utf-8")


async def _render(request: web.Request, pool: ActorRow, doc: dict) -> web.Response:
    node = request.app[NODE]
    standing = await in_worker(node, lambda reader: standing_or_reason(reader, pool.id))
    stewards = doc.get("stewards", [])
    recent = contribution_store.contributions_of_pool(node.db, pool.id, limit=RECENT)
    return render(request, "pool.html", {
        "title": pool.display_name or pool.name, "pool": pool, "doc": doc,
        "stewards": [named(node, s) for s in stewards], "method": doc.get("standingMethod", {}).get("method", ""),
        "signed_in": viewer(request) is not None, "waiting": _waiting(request, pool, stewards),
        "standing": standing_section(node, pool, standing), "recent": contribution_table(node, recent),
        "total": contribution_store.count_of_pool(node.db, pool.id)})


def _waiting(request: web.Request, pool: ActorRow, stewards: list[str]) -> str | None:
    """How many contributions wait for the signed-in steward ("200+" past a point); None for anyone else."""
    session = viewer(request)
    if session is None or session.person.id not in stewards:
        return None
    waiting = contribution_store.contributions_of_pool(request.app[NODE].db, pool.id, status="pending",
                                                       limit=PENDING_SHOWN + 1)
    return f"{PENDING_SHOWN}+" if len(waiting) > PENDING_SHOWN else str(len(waiting))


def standing_section(node, pool: ActorRow, standing) -> dict:
    """The chart of shares and the ranked table, as of now; or why not."""
    if isinstance(standing, str):
        return {"reason": standing}
    rows = standing.result.rows
    if not rows:
        return {"rows": []}
    names = {r.contributor: name_of(node, r.contributor) for r in rows[:RANKED]}
    chart = share_bars([Bar(names.get(r.contributor) or r.contributor, r.share, r.contributor, r.contributor)
                        for r in rows], title=f"Shares of standing in {pool.display_name or pool.name}")
    return {"rows": rows[:RANKED], "names": names, "more": max(0, len(rows) - RANKED), "chart": chart,
            "doc": standing.document}
