"""GET/POST /contribute: a signed-in person logs a contribution to one of this node's pools.

Each field is checked on its own so that its message appears next to it, and everything
typed comes back in the form. :func:`fedcommons.services.contributions.contributions.contribute` then
checks the whole claim again and writes it; the page never writes anything itself.
"""

from datetime import date, datetime, timezone
from urllib.parse import urlsplit

from aiohttp import web

from ...effort import parse_effort
from ...errors import BadInput
from ...services.contributions import contributions
from ...store import actors as actor_store
from ..forms import browser_form, read_form
from ..keys import NODE, WRITER
from ..session import check_form, form_token, require_viewer
from ..templating import render

PURPOSE = "contribute"
FIELDS = ("pool", "effort", "kind", "summary", "evidence", "date")


async def form_page(request: web.Request) -> web.Response:
    """The empty form (the pool chosen by ``?pool=`` when given)."""
    require_viewer(request)
    values = {"pool": request.query.get("pool", ""), "date": _today().isoformat()}
    return _render(request, values, {})


@browser_form
async def submit(request: web.Request) -> web.Response:
    """Check the form; on success log the contribution and show it, else show the form again."""
    node = request.app[NODE]
    require_viewer(request)
    form = await read_form(request)
    session = check_form(request, form, PURPOSE)
    values = {name: str(form.get(name, "")) for name in FIELDS}
    errors = _check(node, values)
    if errors:
        return _render(request, values, errors, status=400)
    try:
        contribution = await request.app[WRITER].run(
            contributions.contribute, pool=values["pool"], person=session.person.name, effort=values["effort"],
            kind=values["kind"], summary=values["summary"], evidence=_links(values["evidence"]),
            when=None if values["date"] == _today().isoformat() else values["date"])
    except BadInput as exc:
        # The service checks the whole claim again; what it still refuses is shown above the form.
        return _render(request, values, {"": str(exc)}, status=400)
    return web.Response(status=303, headers={"Location": contribution})


def _check(node, values: dict) -> dict[str, str]:
    """A message per wrong field (empty when all are fine)."""
    errors = {}
    if actor_store.local_actor(node.db, values["pool"], "pool") is None:
        errors["pool"] = "Choose one of this node's pools."
    try:
        parse_effort(values["effort"])
    except BadInput as exc:
        errors["effort"] = _sentence(str(exc))
    if values["kind"] not in node.config.kinds:
        errors["kind"] = f"Choose one of the kinds of work: {', '.join(node.config.kinds)}."
    summary = " ".join(values["summary"].split())
    if not summary:
        errors["summary"] = "Say in a few words what was done."
    elif len(summary) > contributions.MAX_SUMMARY:
        errors["summary"] = f"Keep it under {contributions.MAX_SUMMARY} characters (this is {len(summary)})."
    links = _links(values["evidence"])
    bad = [link for link in links if urlsplit(link).scheme not in ("http", "https") or not urlsplit(link).netloc]
    if bad:
        errors["evidence"] = f"Evidence must be http(s) links, one per line; this is not: {bad[0]}"
    elif len(links) > contributions.MAX_EVIDENCE:
        errors["evidence"] = f"At most {contributions.MAX_EVIDENCE} links."
    if values["date"]:
        try:
            day = date.fromisoformat(values["date"])
        except ValueError:
            errors["date"] = "Write the date as YYYY-MM-DD."
        else:
            if day > _today():
                errors["date"] = "The date is in the future; log work once it is done."
    return errors


def _render(request: web.Request, values: dict, errors: dict, *, status: int = 200) -> web.Response:
    node = request.app[NODE]
    pools = actor_store.local_actors(node.db, "pool")
    pool_options = [("", "Choose a pool")] + [(p.name, p.display_name or p.name) for p in pools]
    kind_options = [("", "Choose a kind")] + [(k, k) for k in node.config.kinds]
    return render(request, "contribute.html", {
        "title": "Log a contribution", "values": values, "errors": errors, "pools": pool_options,
        "kinds": kind_options, "token": form_token(request, PURPOSE), "max_summary": contributions.MAX_SUMMARY,
        "today": _today().isoformat(), "wrong": len([k for k in errors if k])}, status=status)


def _links(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _today() -> date:
    return datetime.now(timezone.utc).date()


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
