"""Pages are Jinja2 templates (``web/templates/``), autoescaped, rendered through aiohttp-jinja2;
handlers hand them data. The stylesheet (``web/static/``) is served under a name that holds
its hash, so browsers may keep it for a year: a changed file gets a new name.

Links to URLs that come from outside (a contribution's evidence, a remote actor) go
through the ``link`` macro, which makes an anchor only of an http(s) URL or a path on
this node; anything else (``javascript:``, ``data:``) is shown as text.
"""

import hashlib
import re
from importlib import resources
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web

from ..effort import format_effort
from ..services.standing.standing import percent
from .keys import NODE

STATIC = "/static/"
# Safe for a year because the name changes with the content.
IMMUTABLE = "public, max-age=31536000, immutable"
# The header's sign-in link or signed-in person, set by web.session's middleware: a page
# rendered outside it (an error before it ran) has no such part.
NAV = web.RequestKey("nav", dict)


def _static_files() -> dict[str, tuple[bytes, str]]:
    """{hashed name: (bytes, content type)} for each file in web/static/."""
    found = {}
    for item in resources.files(__package__).joinpath("static").iterdir():
        if item.name.endswith(".css"):
            body = item.read_bytes()
            stem = item.name.rsplit(".", 1)[0]
            found[f"{stem}-{hashlib.sha256(body).hexdigest()[:16]}.css"] = (body, "text/css")
    return found


FILES = _static_files()
STYLESHEET = STATIC + next(name for name in FILES if name.startswith("site-"))


# A page links a hundred URLs; a compiled search is many times quicker than a loop per character.
_CONTROL = re.compile(r"[\x00-\x1f]")


def linkable(url) -> bool:
    """Whether ``url`` may be the target of a link: http(s), or a path on this node."""
    if not isinstance(url, str) or _CONTROL.search(url):
        return False
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return True
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _blank_none(value):
    """None shows as nothing, not as "None"."""
    return "" if value is None else value


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader(__package__, "templates"),
                             autoescape=jinja2.select_autoescape(("html", "svg")), trim_blocks=True,
                             lstrip_blocks=True, finalize=_blank_none)
    env.tests["linkable"] = linkable
    env.filters["percent"] = percent
    env.filters["effort"] = format_effort
    env.filters["thousands"] = lambda number: f"{number:,}"
    env.globals["stylesheet"] = STYLESHEET
    return env


# One environment for every application: templates are compiled once per process.
ENV = _environment()


def setup(app: web.Application) -> None:
    """Give the application its templates and serve the static files."""
    app[aiohttp_jinja2.APP_KEY] = ENV
    app.router.add_get(STATIC + "{name}", static)


async def static(request: web.Request) -> web.Response:
    """GET /static/{name}: a file of web/static/ by its hashed name."""
    found = FILES.get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound(text="no such file")
    body, content_type = found
    return web.Response(body=body, content_type=content_type, headers={"Cache-Control": IMMUTABLE})


def render(request: web.Request, template: str, context: dict, *, status: int = 200,
           headers: dict | None = None) -> web.Response:
    """The page ``template`` shows for ``context``, inside the layout."""
    context = {**_layout(request), **context}
    if aiohttp_jinja2.APP_KEY in request.app:
        response = aiohttp_jinja2.render_template(template, request, context, status=status)
    else:  # an application without the node's routes (a test of one middleware)
        response = web.Response(text=ENV.get_template(template).render(context), status=status,
                                content_type="text/html")
    response.headers.update(headers or {})
    return response


def render_fragment(template: str, context: dict) -> str:
    """A piece of markup (an SVG chart) rendered on its own."""
    return ENV.get_template(template).render(context)


def _layout(request: web.Request) -> dict:
    """What the layout shows on every page: the node's name and who is signed in."""
    node = request.app.get(NODE)
    return {"host": node.config.host if node else "", "nav": request.get(NAV)}
