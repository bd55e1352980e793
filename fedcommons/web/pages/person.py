"""The page of a contributor: their work across pools, their standing in each, what they were paid."""

from dataclasses import dataclass

from aiohttp import web

from ... import urls
from ...errors import FedcommonsError
from ...node import Node
from ...payout import read_distribution
from ...services.payouts.payouts import logged_object
from ...store import actors as actor_store
from ...store import contributions as contribution_store
from ...store import coops as coop_store
from ...store import follows as follow_store
from ...store.actors import ActorRow
from ..keys import NODE
from ..session import viewer
from ..templating import render
from .common import Named, contribution_table, in_worker, named, standing_or_reason

SHOWN = 100
# Distributions read per cooperative when looking for someone's payouts (newest first).
DISTRIBUTIONS_READ = 200


@dataclass(frozen=True)
class PoolStanding:
    """Where a person stands in one pool: rank among how many, score and share; or why not."""

    pool: Named
    local: bool
    rank: int | None = None
    of: int = 0
    score: str = ""
    share: str = ""
    note: str = ""


@dataclass(frozen=True)
class Payout:
    """One payout a person received, from one Distribution."""

    coop: Named
    distribution: str
    published: str
    period: str | None
    policy: str
    amount: str
    currency: str


async def page(request: web.Request, person: ActorRow, doc: dict) -> web.Response:
    """GET /users/{name} for a browser."""
    node = request.app[NODE]
    rows = contribution_store.contributions_of(node.db, person.id)
    pools = sorted({r.pool for r in rows})
    standings, payouts = await in_worker(node, lambda reader: (_standings(reader, person.id, pools),
                                                               _payouts(reader, person.id)))
    session = viewer(request)
    return render(request, "person.html", {
        "title": person.display_name or person.name, "person": person,
        "me": session is not None and session.person.id == person.id, "standings": standings, "payouts": payouts,
        "contributions": contribution_table(node, rows[:SHOWN]), "total": len(rows),
        "followed": _followed_pools(node, person.id)})


def _followed_pools(node: Node, person: str) -> list[Named]:
    """Pools on other nodes the person follows: each has a page here, from the mirror."""
    found = []
    for url in follow_store.following(node.db, person):
        row = actor_store.actor(node.db, url)
        if row is not None and not row.local and row.kind == "pool":
            found.append(named(node, url))
    return found


def _standings(node: Node, person: str, pools: list[str]) -> list[PoolStanding]:
    found = []
    for url in pools:
        pool = named(node, url)
        if not urls.is_local(node.url, url):
            found.append(PoolStanding(pool, False, note="kept by the pool's own node"))
            continue
        standing = standing_or_reason(node, url)
        if isinstance(standing, str):
            found.append(PoolStanding(pool, True, note=standing))
            continue
        rows = standing.result.rows
        for rank, row in enumerate(rows, start=1):
            if row.contributor == person:
                found.append(PoolStanding(pool, True, rank, len(rows), row.score, row.share))
                break
        else:
            found.append(PoolStanding(pool, True, of=len(rows),
                                      note="none yet: it comes from validated contributions"))
    return found


def _payouts(node: Node, person: str) -> list[Payout]:
    """Every payout to ``person`` in the Distributions of this node's cooperatives, newest first."""
    found = []
    for coop in actor_store.local_actors(node.db, "cooperative"):
        for row in coop_store.distributions(node.db, coop.id, limit=DISTRIBUTIONS_READ):
            document = logged_object(node, row.id)
            if document is None:
                continue  # redacted: what it paid is no longer known
            try:
                terms = read_distribution(document)
            except FedcommonsError:
                continue
            if person in terms.payouts:
                found.append(Payout(named(node, coop.id), row.id, row.published, row.period, row.policy,
                                    terms.unit.to_string(terms.payouts[person]), row.currency))
    return sorted(found, key=lambda p: p.published, reverse=True)
