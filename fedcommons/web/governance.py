"""A pool's (or a cooperative's) proposals on the web: the list, each proposal with its live
tally, vote buttons for signed-in people and the delegations in force, and its Tally.

GET  /pools/{slug}/proposals               the list (a page; JSON: a Collection of Questions)
GET  /pools/{slug}/proposals/{id}          the page; JSON: the Question, as logged
GET  /pools/{slug}/proposals/{id}/tally    the signed fc:Tally (?asOf=&treeSize= recompute one)
POST /pools/{slug}/proposals/{id}/vote     a signed-in person's vote (form, post-redirect-get)

The same under /coops/{slug}/ for a cooperative's proposals.

Counting reads the log in a worker thread, on its own connection, as the standing does.
"""

import asyncio
from urllib.parse import urlsplit

from aiohttp import web

from ..errors import BadInput, NotFound
from ..services.governance import proposals as service
from ..services.governance import polls, tallies
from ..services.standing.standing import on_reader
from ..store import actors as actor_store
from ..store import governance as governance_store
from .forms import browser_form, read_form
from .keys import NODE, WRITER
from .negotiation import ACTIVITY_JSON, activity_response, wants_activity_json
from .pages.common import named
from .session import check_form, form_token, viewer
from .templating import render

PURPOSE = "vote"
VOTED = "Your vote is in the log. A later vote replaces it until the proposal ends."


def _pool(request: web.Request):
    """The governed pool or cooperative the URL names."""
    kind = "pool" if request.match_info["kind"] == "pools" else "cooperative"
    governed = actor_store.local_actor(request.app[NODE].db, request.match_info["name"], kind)
    if governed is None:
        raise NotFound(f"no such {kind} on this node")
    return governed


def _proposal_id(request: web.Request) -> str:
    pool = _pool(request)
    proposal_id = f"{pool.id}/proposals/{request.match_info['id']}"
    if governance_store.proposal(request.app[NODE].db, proposal_id) is None:
        raise NotFound(f"no such proposal of {pool.name}")
    return proposal_id


async def proposals_page(request: web.Request) -> web.Response:
    """A pool's proposals, the latest end first."""
    node = request.app[NODE]
    pool = _pool(request)
    rows = governance_store.proposals(node.db, pool.id)
    if wants_activity_json(request):
        return activity_response({"@context": "https://www.w3.org/ns/activitystreams",
                                  "id": f"{pool.id}/proposals", "type": "Collection", "totalItems": len(rows),
                                  "items": [row.id for row in rows]})
    return render(request, "proposals.html", {
        "title": f"Proposals of {pool.display_name or pool.name}", "pool": pool, "rows": rows,
        "coop": pool.kind != "pool", "governance": governance_store.governance(node.db, pool.id)})


async def proposal_page(request: web.Request) -> web.Response:
    """One proposal: JSON-LD clients get its Question; people its live tally and a vote form."""
    node = request.app[NODE]
    proposal_id = _proposal_id(request)
    if wants_activity_json(request):
        result = await asyncio.get_running_loop().run_in_executor(None, _count, node, proposal_id, {})
        return activity_response(polls.with_counts(polls.question_document(node, proposal_id), result.document))
    return await _render(request, proposal_id, notice=VOTED if request.query.get("voted") else "")


async def tally(request: web.Request) -> web.Response:
    """The signed Tally document (its canonical bytes); the proposal's page for browsers."""
    proposal_id = _proposal_id(request)
    if not wants_activity_json(request):
        raise web.HTTPSeeOther(proposal_id)
    query = {key: request.query[key] for key in ("asOf", "treeSize") if key in request.query}
    result = await asyncio.get_running_loop().run_in_executor(None, _count, request.app[NODE], proposal_id, query)
    return web.Response(body=result.body, content_type=ACTIVITY_JSON, headers={"Vary": "Accept"})


@browser_form
async def vote(request: web.Request) -> web.Response:
    """The signed-in person's vote, then back to the proposal."""
    form = await read_form(request)
    session = check_form(request, form, PURPOSE)
    proposal_id = _proposal_id(request)
    option = str(form.get("option", ""))
    try:
        await request.app[WRITER].run(service.vote, session.person.name, proposal_id, option)
    except BadInput as exc:
        return await _render(request, proposal_id, status=400, problem=str(exc))
    return web.Response(status=303, headers={"Location": f"{proposal_id}?voted=1"})


def _count(node, proposal_id: str, query: dict) -> tallies.TallyDocument:
    return on_reader(node, lambda handle: tallies.query_tally(handle, proposal_id, query))


async def _render(request: web.Request, proposal_id: str, *, status: int = 200, notice: str = "",
                  problem: str = "") -> web.Response:
    node = request.app[NODE]
    pool = _pool(request)
    result = await asyncio.get_running_loop().run_in_executor(None, _count, node, proposal_id, {})
    document = result.document
    question = polls.question_document(node, proposal_id)
    session = viewer(request)
    mine = None
    if session is not None:
        mine = next((v["option"] for v in document["votes"] if v["elector"] == session.person.id), None)
    delegations = [{"delegator": named(node, d.delegator), "delegate": named(node, d.delegate), "since": d.published}
                   for d in governance_store.current_delegations(node.db, pool.id)]
    return render(request, "proposal.html", {
        "title": question.get("name") or proposal_id, "pool": pool, "question": question, "tally": document,
        "row": governance_store.proposal(node.db, proposal_id), "open": document["outcome"] == "open",
        "votes": [{**v, "who": named(node, v["elector"]), "via": [named(node, p) for p in v["path"][1:]]}
                  for v in document["votes"]],
        "uncounted": [{**u, "who": named(node, u["voter"])} for u in document["uncounted"]],
        "delegations": delegations, "signed_in": session is not None, "mine": mine,
        "token": form_token(request, PURPOSE) if session is not None else "",
        "next_path": urlsplit(proposal_id).path, "notice": notice, "problem": problem}, status=status)
