"""The page of a pool on another node that someone here follows: the parts of a pool's own page,
recomputed from this node's mirror of its node's log, saying where they come from and how far
the mirror has got (GET /following/pool?url=POOL_URL).

Only pools a local person follows have one: the mirror of their node is what following keeps
(federation.sync_worker), and a page for any URL would let anyone make this node read logs.
"""

import json
from urllib.parse import urlsplit

from aiohttp import web

from ... import urls
from ...errors import FedcommonsError
from ...services.standing.pool_view import PoolView, pool_view
from ...store import actors as actor_store
from ...store import follows as follow_store
from ...store import mirrors as mirror_store
from ...store.actors import ActorRow
from ..keys import NODE
from ..templating import render
from .common import in_worker, named
from .pool import standing_section

MAX_URL = 2000


async def page(request: web.Request) -> web.Response:
    """GET /following/pool?url=POOL_URL."""
    node = request.app[NODE]
    url = request.query.get("url", "")
    if not url.startswith(("https://", "http://")) or len(url) > MAX_URL:
        raise web.HTTPBadRequest(text="give the followed pool's URL: /following/pool?url=https://...")
    if urls.is_local(node.url, url):
        raise web.HTTPSeeOther(url)  # a pool of this node has its own page
    row = _followed_pool(node, url)
    if row is None:
        raise web.HTTPNotFound(text=f"nobody on this node follows a pool at {url}")
    try:
        view = await in_worker(node, lambda reader: pool_view(reader, row.id))
        problem = None
    except FedcommonsError as exc:
        view, problem = None, str(exc)
    doc = json.loads(row.document) if row.document else {}
    base = urls.home_of_pool(row.id) or ""
    mirror = view.mirror if view else mirror_store.mirror_by_url(node.db, base)
    return render(request, "followed_pool.html", {
        "title": row.display_name or row.name or row.id, "pool": row, "doc": doc if isinstance(doc, dict) else {},
        "handle": f"@{row.name}@{urlsplit(row.id).netloc}" if row.name else row.id,
        "mirror": mirror, "view": view, "problem": problem,
        "stewards": [named(node, s) for s in view.stewards] if view else [],
        "standing": _standing(node, row, view), "recent": _table(node, view, mirror)})


def _followed_pool(node, url: str) -> ActorRow | None:
    """The remote pool at ``url`` if a local person follows it."""
    row = actor_store.actor(node.db, url)
    if row is None or row.local or row.kind != "pool" or not follow_store.followed_here(node.db, row.id):
        return None
    return row


def _standing(node, row: ActorRow, view: PoolView | None) -> dict:
    if view is None:
        return {"reason": "the mirror cannot be read yet (see above)"}
    return standing_section(node, row, view.standing if view.standing is not None else view.standing_problem)


def _table(node, view: PoolView | None, mirror) -> list[dict]:
    """The newest contributions as the ``contribution_table`` macro shows them; each links to
    the inclusion proof its own node serves for its entry."""
    if view is None:
        return []
    return [{"published": c.published, "contributor": named(node, c.contributor), "pool": named(node, view.pool),
             "kind": c.kind, "minutes": round(c.minutes), "id": c.id, "summary": c.summary or c.id, "status": c.status,
             "decided_by": None, "reason": None, "entry": c.entry,
             "proof": f"{mirror.url}/log/proof/inclusion?index={c.entry}&size={view.size}"
             if mirror is not None and c.entry >= 0 else None}
            for c in view.recent]
