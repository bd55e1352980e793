"""The page of a contributor: their work across pools, their standing in each, what they were paid."""

from dataclasses import dataclass

from aiohttp import web

from ... import urls
from ..keys import NODE
from ...errors import FedcommonsError
from ...node import Node
from ...payout import read_distribution
from ...services.payouts import logged_object
from ...services.standing import percent
from ...store import actors as actor_store
from ...store import contributions as contribution_store
from ...store import coops as coop_store
from ...store.actors import ActorRow
from .. import html
from ..session import viewer
from .common import (
    actor_link,
    contribution_table,
    in_worker,
    respond,
    standing_or_reason,
)

SHOWN = 100
# Distributions read per cooperative when looking for someone's payouts (newest first).
DISTRIBUTIONS_READ = 200


@dataclass(frozen=True)
class PoolStanding:
    """Where a person stands in one pool: rank among how many, score and share; or why not."""

    pool: str
    rank: int | None = None
    of: int = 0
    score: str = ""
    share: str = ""
    note: str = ""


@dataclass(frozen=True)
class Payout:
    """One payout a person received, from one Distribution."""

    coop: str
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
    title = person.display_name or person.name
    parts = [f"<h1>{html.esc(title)}</h1>",
             f"<p class=muted>@{html.esc(person.name)}@{html.esc(node.config.host)} · contributor</p>"]
    if person.summary:
        parts.append(f"<p>{html.esc(person.summary)}</p>")
    session = viewer(request)
    if session is not None and session.person.id == person.id:
        parts.append(f"<p class=notice>This is you. {html.link('/contribute', 'Log a contribution')}</p>")
    parts.append("<h2>Standing</h2>" + _standing_table(node, standings))
    parts.append("<h2>Payouts received</h2>" + _payout_table(node, payouts))
    parts.append(f"<h2>Contributions</h2><p class=muted>{min(len(rows), SHOWN)} newest of {len(rows)}, "
                 "across every pool.</p>")
    parts.append(contribution_table(node, rows[:SHOWN], show_contributor=False))
    parts.append(f"<p class=muted>{html.link(person.id + '?format=json', 'JSON-LD')} · "
                 f"{html.link(person.id + '/outbox?format=json', 'outbox')} · "
                 f"{html.link(person.id + '/followers?format=json', 'followers')}</p>")
    return respond(request, title, "".join(parts))


def _standings(node: Node, person: str, pools: list[str]) -> list[PoolStanding]:
    found = []
    for pool in pools:
        if not urls.is_local(node.url, pool):
            found.append(PoolStanding(pool, note="kept by the pool's own node"))
            continue
        standing = standing_or_reason(node, pool)
        if isinstance(standing, str):
            found.append(PoolStanding(pool, note=standing))
            continue
        rows = standing.result.rows
        for rank, row in enumerate(rows, start=1):
            if row.contributor == person:
                found.append(PoolStanding(pool, rank, len(rows), row.score, row.share))
                break
        else:
            found.append(PoolStanding(pool, of=len(rows), note="none yet: it comes from validated contributions"))
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
                found.append(Payout(coop.id, row.id, row.published, row.period, row.policy,
                                    terms.unit.to_string(terms.payouts[person]), row.currency))
    return sorted(found, key=lambda p: p.published, reverse=True)


def _standing_table(node: Node, standings: list[PoolStanding]) -> str:
    if not standings:
        return "<p class=muted>No contributions yet, so no standing.</p>"
    body = []
    for s in standings:
        link = html.link(s.pool + "/standing", "details") if urls.is_local(node.url, s.pool) else ""
        if s.rank is None:
            body.append(f"<tr><td>{actor_link(node, s.pool)}</td><td colspan=3 class=muted>{html.esc(s.note)}</td>"
                        f"<td>{link}</td></tr>")
        else:
            body.append(f"<tr><td>{actor_link(node, s.pool)}</td><td class=num>{s.rank} of {s.of}</td>"
                        f"<td class=num>{html.esc(s.score)}</td><td class=num>{html.esc(percent(s.share))}</td>"
                        f"<td>{link}</td></tr>")
    return ("<div class=scroll><table class=standings><thead><tr><th>Pool</th><th class=num>Rank</th>"
            "<th class=num>Score</th><th class=num>Share</th><th></th></tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _payout_table(node: Node, payouts: list[Payout]) -> str:
    if not payouts:
        return "<p class=muted>No payouts from this node's cooperatives yet.</p>"
    body = "".join(
        f"<tr><td>{html.esc(p.published[:10])}</td><td>{actor_link(node, p.coop)}</td>"
        f"<td class=opt>{html.esc(p.period or '')}</td><td class=opt>{html.esc(p.policy)}</td>"
        f"<td class=num>{html.esc(p.amount)} {html.esc(p.currency)}</td>"
        f"<td>{html.link(p.distribution, 'distribution')} · {html.link(p.distribution + '.csv', 'CSV')}</td></tr>"
        for p in payouts)
    return ("<div class=scroll><table class=payouts><thead><tr><th>Published</th><th>Cooperative</th>"
            "<th class=opt>Period</th><th class=opt>Policy</th><th class=num>Amount</th><th></th></tr></thead>"
            f"<tbody>{body}</tbody></table></div>")
