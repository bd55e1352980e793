"""Signing in from a browser: ``/login``, ``/logout``, the session cookie, and who is looking.

The cookie holds a random value whose hash is the server-side session
(:mod:`fedcommons.services.accounts.sessions`). It is ``HttpOnly`` (no script reads it),
``SameSite=Lax`` (other sites' forms do not carry it), ``Path=/`` and, when the node's URL
is https, ``Secure``.

Every form carries a CSRF token (:mod:`.csrf`) bound to that cookie value; the sign-in
form, before there is a session, is bound to a short-lived random cookie of its own, so a
sign-in cannot be forged either. The password is checked by :mod:`.sign_in`, as on the
OAuth consent form, so the two forms share one set of limits.
"""

import secrets
from urllib.parse import quote, urlsplit

from aiohttp import web

from ..errors import Forbidden
from ..services.accounts import sessions
from ..services.accounts.sessions import Session
from . import csrf, sign_in
from .forms import browser_form, read_form
from .keys import NODE, WRITER
from .templating import NAV, render

COOKIE = "fc_session"
LOGIN_COOKIE = "fc_login"
LOGIN_FORM_SECONDS = 3600
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
        vary = response.headers.get("Vary")
        response.headers["Vary"] = f"{vary}, Cookie" if vary else "Cookie"
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


# -- /login and /logout -----------------------------------------------------------------


async def login_page(request: web.Request) -> web.Response:
    """GET /login: the sign-in form (or, when signed in, who you are)."""
    session = viewer(request)
    if session is not None:
        return render(request, "signed_in.html", {"title": "Signed in", "person": session.person,
                                                  "token": form_token(request, "logout")})
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    return _login_form(request, nonce, next_path=safe_next(request.query.get("next")))


@browser_form
async def login(request: web.Request) -> web.Response:
    """POST /login: check the password and start a session."""
    node = request.app[NODE]
    form = await read_form(request)
    nonce = request.cookies.get(LOGIN_COOKIE)
    sent = form.get(csrf.FIELD)
    if not csrf.genuine(node, nonce, sent if isinstance(sent, str) else None, "login"):
        raise Forbidden(STALE_FORM)
    account = str(form.get("account", "")).strip()
    password = str(form.get("password", ""))
    next_path = safe_next(str(form.get("next", "")))
    if not account:
        return _login_form(request, nonce, next_path=next_path, status=400,
                           errors={"account": "Type your account name, such as alice."})
    verdict = await sign_in.check_password(request, account, password)
    if verdict.retry_after:
        response = _login_form(request, nonce, account=account, next_path=next_path, status=429,
                               errors={"password": sign_in.refusal(verdict.retry_after)})
        response.headers["Retry-After"] = str(verdict.retry_after)
        return response
    if verdict.person is None:
        return _login_form(request, nonce, account=account, next_path=next_path, status=400,
                           errors={"password": "Wrong account name or password."})
    session = await request.app[WRITER].run(sessions.start, verdict.person)
    response = web.Response(status=303, headers={"Location": next_path})
    response.set_cookie(COOKIE, session.token, max_age=int(sessions.LIFETIME.total_seconds()), path="/",
                        httponly=True, samesite="Lax", secure=_secure(node))
    response.del_cookie(LOGIN_COOKIE, path="/login")
    return response


@browser_form
async def logout(request: web.Request) -> web.Response:
    """POST /logout: end the session (the form's token must be the session's)."""
    form = await read_form(request)
    if viewer(request) is not None:
        session = check_form(request, form, "logout")
        await request.app[WRITER].run(sessions.end, session.token)
    response = web.Response(status=303, headers={"Location": "/"})
    response.del_cookie(COOKIE, path="/")
    return response


def _login_form(request: web.Request, nonce: str, *, account: str = "", next_path: str = "/",
                errors: dict | None = None, status: int = 200) -> web.Response:
    node = request.app[NODE]
    errors = errors or {}
    response = render(request, "login.html", {"title": "Sign in", "token": csrf.token(node, nonce, "login"),
                                              "next": next_path, "account": account, "errors": errors},
                      status=status, headers={"Cache-Control": "no-store"})
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=LOGIN_FORM_SECONDS, path="/login", httponly=True,
                        samesite="Lax", secure=_secure(node))
    return response


def _secure(node) -> bool:
    return node.url.startswith("https://")
