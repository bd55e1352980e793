"""A cooperative's open books: its Distributions and the Standings they were computed from.

- ``/coops/{slug}/distributions``: a paged OrderedCollection for ActivityPub clients, a
  table for browsers;
- ``/coops/{slug}/distributions/{id}``: the signed ``fc:Distribution`` as logged, or a page
  saying who got what, under which policy and constraints, from which Standings;
  ``?format=csv`` or ``{id}.csv`` is the bookkeeper's CSV download;
- ``/coops/{slug}/standings/{id}``: a signed Standing a Distribution used, as logged.

Everything is read from the log, so what is served is byte for byte what was signed.
The pages browsers get are in :mod:`.pages.distributions`.
"""

from aiohttp import web

from ..payout import payouts_csv
from ..services.payouts import payouts as service
from ..store import actors as actor_store
from ..store import coops as coop_store
from ..store.actors import ActorRow
from .collections import paged
from .keys import NODE
from .negotiation import activity_response, wants_activity_json
from .pages.distributions import distribution_page, distributions_page, standing_page


def coop_of(request: web.Request) -> ActorRow:
    """The local cooperative the URL names, or 404."""
    row = actor_store.local_actor(request.app[NODE].db, request.match_info["name"], "cooperative")
    if row is None:
        raise web.HTTPNotFound(text="no such cooperative on this node")
    return row


def _logged(request: web.Request, coop: ActorRow, kind: str, what: str) -> dict:
    """The logged object at this URL, if it is a ``kind`` document of this cooperative."""
    url = f"{coop.id}/{what}/{request.match_info['id']}"
    document = service.logged_object(request.app[NODE], url)
    if document is None or kind not in (document.get("type") or []):
        raise web.HTTPNotFound(text=f"no such {kind} of {coop.name} in this node's log")
    return document


async def distributions(request: web.Request) -> web.Response:
    """The cooperative's Distributions, newest first."""
    node = request.app[NODE]
    coop = coop_of(request)
    url = f"{coop.id}/distributions"
    if wants_activity_json(request):
        total = coop_store.count_distributions(node.db, coop.id)

        def items(limit, offset):
            return [_summary(coop, row) for row in
                    coop_store.distributions(node.db, coop.id, limit=limit, offset=offset)]

        return activity_response(paged(request, url, total, items))
    return distributions_page(request, coop, url)


def _summary(coop: ActorRow, row: coop_store.DistributionRow) -> dict:
    """A collection item in ActivityStreams terms only; the full document is at its id."""
    period = f" for {row.period}" if row.period else ""
    return {"id": row.id, "type": "Document", "attributedTo": coop.id, "published": row.published,
            "name": f"{row.amount} {row.currency}{period} to {row.recipients} people ({row.policy})"}


async def distribution(request: web.Request) -> web.Response:
    """One Distribution: JSON-LD, a page, or (``?format=csv``) its CSV."""
    coop = coop_of(request)
    document = _logged(request, coop, "Distribution", "distributions")
    if request.query.get("format") == "csv":
        return _csv(coop, document)
    if wants_activity_json(request):
        return activity_response(document)
    return distribution_page(request, coop, document)


async def distribution_csv(request: web.Request) -> web.Response:
    """One Distribution as the bookkeeper's CSV."""
    coop = coop_of(request)
    return _csv(coop, _logged(request, coop, "Distribution", "distributions"))


def _csv(coop: ActorRow, document: dict) -> web.Response:
    label = document.get("period") or str(document.get("published", ""))[:10]
    name = f"{coop.name}-{label}-{document['id'].rsplit('/', 1)[-1][:8]}.csv"
    return web.Response(body=payouts_csv(document).encode("utf-8"), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def standing(request: web.Request) -> web.Response:
    """A Standing a Distribution of this cooperative used, as logged (JSON-LD or a page)."""
    coop = coop_of(request)
    document = _logged(request, coop, "Standing", "standings")
    if wants_activity_json(request):
        return activity_response(document)
    return standing_page(request, coop, document)
