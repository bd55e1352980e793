"""GET/POST /pools/{slug}/identities: for a pool's stewards, the source identities that have
no alias yet (with the items waiting for each and the actors each may be), where a click
binds one; and the pool's import runs.

Identities (e-mail addresses) are private: only the pool's stewards see this page. Binding
is :func:`fedcommons.services.importing.aliases.confirm`, which records what waited, in the
writer thread; then the browser comes back here (post, redirect, get).
"""

from aiohttp import web

from ...errors import BadInput, NotFound
from ...services.importing import aliases, sources
from ..forms import browser_form, read_form
from ..keys import NODE, WRITER
from ..session import check_form, form_token
from ..templating import render
from .review import steward_pool

PURPOSE = "identities"
SHOWN = 200


@browser_form
async def identities(request: web.Request) -> web.Response:
    """The unmapped identities, most waiting items first, and the latest runs."""
    pool, _ = steward_pool(request)
    done = request.query.get("bound", "")
    notice = f"Bound {done}; its waiting items are recorded." if done else ""
    return _render(request, pool, notice=notice)


@browser_form
async def bind(request: web.Request) -> web.Response:
    """Confirm one alias (an identity is an actor), then back to the list."""
    form = await read_form(request)
    check_form(request, form, PURPOSE)
    pool, steward = steward_pool(request)
    key = str(form.get("key", "")).strip()
    actor = str(form.get("actor", "")).strip()
    if not key or not actor:
        return _render(request, pool, status=400, problem="Choose a suggestion, or type a local name or an actor URL.")
    try:
        await request.app[WRITER].run(aliases.confirm, pool.name, key, actor, steward.name)
    except (BadInput, NotFound) as exc:
        return _render(request, pool, status=exc.status, problem=str(exc))
    return web.Response(status=303, headers={"Location": f"{pool.id}/identities?bound={key}"})


def _render(request: web.Request, pool, *, status: int = 200, notice: str = "", problem: str = "") -> web.Response:
    node = request.app[NODE]
    unmapped = aliases.suggest(node, pool.name)
    return render(request, "identities.html", {
        "title": f"Who is who in {pool.display_name or pool.name}'s sources", "pool": pool,
        "count": len(unmapped), "items": unmapped[:SHOWN], "more": max(0, len(unmapped) - SHOWN),
        "runs": sources.runs(node, pool.name)[:20], "notice": notice, "problem": problem,
        "token": form_token(request, PURPOSE)}, status=status)
