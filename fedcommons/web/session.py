"""Who is looking: the session cookie, the signed-in person, and the CSRF tokens of forms.

The cookie holds a random value whose hash is the server-side session
(:mod:`fedcommons.services.accounts.sessions`). It is ``HttpOnly`` (no script reads it),
``SameSite=Lax`` (other sites' forms do not carry it), ``Path=/`` and, when the node's URL
is https, ``Secure``. Signing in and out (``/login``, ``/logout``) is the page
:mod:`.pages.login`.

Every form carries a CSRF token (:mod:`.csrf`) bound to that cookie value.
"""

from urllib.parse import quote, urlsplit

from aiohttp import web

from ..errors import Forbidden
from ..services.accounts import sessions
from ..services.accounts.sessions import Session
from . import csrf
from .keys import NODE
from .negotiation import add_vary
from .templating import NAV

COOKIE = "fc_session"
VIEWER = web.RequestKey("viewer", object)  # Session | None

# What a forged or stale form is told.
STALE_FORM = ("This form was not issued to this browser, or it has expired. "
              "Go back, reload the page and try again.")

# Pages are built on the server from this node's own data: nothing needs another host,
# and no page may be framed (a framed Validate button could be clicked by deceit).
_HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@web.middleware
async def session_middleware(request: web.Request, handler):
    """Find who is signed in (if anyone), put them in the header of every page, and give
    pages the headers that keep them from being framed, mixed with other hosts or shared by caches."""
    node = request.app[NODE]
    session = sessions.resume(node, request.cookies.get(COOKIE))
    request[VIEWER] = session
    # aiohttp runs each request in its own task, so this never reaches another request.
    request[NAV] = _nav(request, session)
    response = await handler(request)
    if response.content_type == "text/html" and not response.prepared:
        for name, value in _HTML_HEADERS.items():
            response.headers.setdefault(name, value)
        # The header differs for whoever is signed in: a cache must not hand one person's page to another.
        add_vary(response, "Cookie")
        if session is not None:
            # The page names who is signed in and carries their form tokens.
            response.headers["Cache-Control"] = "private, no-store"
    return response


def viewer(request: web.Request) -> Session | None:
    """The signed-in person's session, or None."""
    return request.get(VIEWER)


def require_viewer(request: web.Request) -> Session:
    """The signed-in person's session; anyone else is sent to sign in and brought back."""
    session = viewer(request)
    if session is None:
        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='/')}")
    return session


def form_token(request: web.Request, purpose: str) -> str:
    """The CSRF token for a form the signed-in person may post."""
    return csrf.token(request.app[NODE], require_viewer(request).token, purpose)


def check_form(request: web.Request, form, purpose: str) -> Session:
    """The session a posted form belongs to; Forbidden when its token is missing or forged."""
    session = viewer(request)
    sent = form.get(csrf.FIELD)
    if session is None or not isinstance(sent, str) or not csrf.genuine(request.app[NODE], session.token, sent,
                                                                        purpose):
        raise Forbidden(STALE_FORM)
    return session


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this node, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 0x20 for c in target):
        return "/"
    return target


def _nav(request: web.Request, session: Session | None) -> dict:
    """The header's part: who is signed in and their sign-out token, or where signing in returns to."""
    if session is None:
        here = "" if request.path in ("/login", "/logout") or request.method != "GET" else \
            f"?next={quote(request.path_qs, safe='/')}"
        return {"person": None, "next": here}
    return {"person": session.person, "token": csrf.token(request.app[NODE], session.token, "logout")}
