"""GET/POST /pools/{slug}/pending: a steward's queue of contributions waiting for a decision.

Each waiting contribution has its own small form: Validate, or Reject with a reason.
The decision is :func:`fedcommons.services.contributions.contributions.decide`, which signs it as the
steward and logs it; after it the browser comes back here (post, redirect, get), so a
reload never decides twice.
"""

import json

from aiohttp import web

from ...errors import BadInput, Conflict, Forbidden, NotFound
from ...services.contributions import contributions
from ...store import actors as actor_store
from ...store import contributions as contribution_store
from ...store import log as log_store
from ...store.actors import ActorRow
from ...store.contributions import ContributionRow
from ..forms import browser_form, read_form
from ..keys import NODE, WRITER
from ..session import check_form, form_token, require_viewer
from ..templating import render
from .common import named

PURPOSE = "review"
SHOWN = 100
DONE = {"validated": "Validated: it now counts toward standing.", "rejected": "Rejected, with your reason."}


def _pool(request: web.Request) -> ActorRow:
    pool = actor_store.local_actor(request.app[NODE].db, request.match_info["name"], "pool")
    if pool is None:
        raise NotFound("no such pool on this node")
    return pool


def steward_pool(request: web.Request) -> tuple[ActorRow, ActorRow]:
    """(pool, steward) when the signed-in person stewards the pool; Forbidden otherwise."""
    pool = _pool(request)
    session = require_viewer(request)
    if session.person.id not in actor_store.stewards(request.app[NODE].db, pool.id):
        raise Forbidden(f"only the stewards of {pool.display_name or pool.name} review its contributions; "
                        f"you are signed in as {session.person.name}")
    return pool, session.person


@browser_form
async def queue(request: web.Request) -> web.Response:
    """The waiting contributions, oldest first, each with its decision form."""
    pool, steward = steward_pool(request)
    notice = DONE.get(request.query.get("done", ""), "")
    return _render(request, pool, steward, notice=notice)


@browser_form
async def decide(request: web.Request) -> web.Response:
    """Validate or reject one contribution, then back to the queue."""
    node = request.app[NODE]
    form = await read_form(request)
    check_form(request, form, PURPOSE)
    pool, steward = steward_pool(request)
    contribution = str(form.get("contribution", ""))
    choice = str(form.get("decision", ""))
    reason = str(form.get("reason", ""))
    row = contribution_store.contribution(node.db, contribution)
    if row is None or row.pool != pool.id:
        raise BadInput(f"{contribution or 'that'} is not a contribution to {pool.name}")
    if choice not in ("validate", "reject"):
        raise BadInput("choose Validate or Reject")
    if choice == "reject" and not reason.strip():
        return _render(request, pool, steward, status=400, typed={contribution: reason},
                       errors={contribution: "Say why, so the contributor knows what to change."})
    try:
        await request.app[WRITER].run(contributions.decide, contribution, steward.name, reject=choice == "reject",
                                      reason=reason if choice == "reject" else None)
    except (BadInput, Conflict) as exc:
        return _render(request, pool, steward, status=exc.status, problem=str(exc))
    done = "rejected" if choice == "reject" else "validated"
    return web.Response(status=303, headers={"Location": f"{pool.id}/pending?done={done}"})


def _render(request: web.Request, pool: ActorRow, steward: ActorRow, *, status: int = 200, notice: str = "",
            problem: str = "", typed: dict | None = None, errors: dict | None = None) -> web.Response:
    node = request.app[NODE]
    typed, errors = typed or {}, errors or {}
    # Oldest first: a queue is worked through in the order it filled.
    waiting = contribution_store.contributions_of_pool(node.db, pool.id, status="pending", limit=10_000)[::-1]
    token = form_token(request, PURPOSE)
    return render(request, "review.html", {
        "title": f"Waiting for review in {pool.display_name or pool.name}", "pool": pool, "count": len(waiting),
        "items": [_item(node, steward, c, typed.get(c.id, ""), errors.get(c.id)) for c in waiting[:SHOWN]],
        "more": max(0, len(waiting) - SHOWN), "notice": notice, "problem": problem, "token": token},
        status=status)


def _item(node, steward: ActorRow, c: ContributionRow, reason: str, error: str | None) -> dict:
    """One waiting contribution with what its form shows; no form on the steward's own."""
    return {"row": c, "contributor": named(node, c.contributor), "evidence": _evidence(node, c),
            "own": c.contributor == steward.id, "reason": reason, "error": error,
            "field_id": f"reason-{c.id.rsplit('/', 1)[-1]}"}


def _evidence(node, c: ContributionRow) -> list[str]:
    """The evidence links of a contribution, from its logged object."""
    entry = log_store.entry(node.db, c.entry)
    if entry is None or entry.body is None:
        return []
    obj = json.loads(entry.body).get("object") or {}
    return [e for e in obj.get("evidence", []) if isinstance(e, str)][:contributions.MAX_EVIDENCE]
