"""The node's front page: its pools and cooperatives, its log and who vouches for it, its peers.

A fork alarm comes first: if a peer's log was seen to fork, that is the one thing an
operator must not miss.
"""

from aiohttp import web

from ..keys import NODE
from ...node import Node
from ...store import actors as actor_store
from ...store import contributions as contribution_store
from ...store import coops as coop_store
from ...store import log as log_store
from ...store import mirrors as mirror_store
from ...store import witness as witness_store
from ..templating import render


async def home(request: web.Request) -> web.Response:
    """GET /: everything this node hosts and how its log stands, at a glance."""
    node = request.app[NODE]
    return render(request, "home.html", {
        "title": node.config.host, "forks": _forks(node), "pools": _pools(node), "coops": _coops(node),
        "log": _log(node), "mirrors": mirror_store.mirrors(node.db),
        "witnesses": witness_store.witness_peers(node.db)})


async def node_actor(request: web.Request, row, doc: dict) -> web.Response:
    """GET /actor for a browser: the instance actor and the key that signs the log."""
    return render(request, "node_actor.html", {"title": "Instance actor", "row": row, "doc": doc})


def _forks(node: Node) -> list[tuple[str, object]]:
    """(origin, fork or None) for every log seen to fork."""
    return [(origin, fork) for origin in mirror_store.forked_origins(node.db)
            for fork in mirror_store.forks(node.db, origin) or [None]]


def _pools(node: Node) -> list[dict]:
    found = []
    for p in actor_store.local_actors(node.db, "pool"):
        settings = actor_store.pool(node.db, p.id)
        found.append({"row": p, "contributions": contribution_store.count_of_pool(node.db, p.id),
                      "pending": contribution_store.count_of_pool(node.db, p.id, status="pending"),
                      "license": settings.license if settings and settings.license else ""})
    return found


def _coops(node: Node) -> list[dict]:
    return [{"row": c, "pools": len(coop_store.sustains(node.db, c.id)),
             "distributions": coop_store.count_distributions(node.db, c.id)}
            for c in actor_store.local_actors(node.db, "cooperative")]


def _log(node: Node) -> dict | None:
    latest = log_store.latest_checkpoint(node.db)
    if latest is None:
        return None
    size, _, note = latest
    cosigned = witness_store.latest_cosigned_size(node.db)
    return {"size": size, "note": note, "lines": witness_store.cosignature_lines(node.db, size),
            "cosigned": cosigned,
            "cosigned_count": len(witness_store.cosignature_lines(node.db, cosigned)) if cosigned else 0}
