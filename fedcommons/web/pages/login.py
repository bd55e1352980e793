"""Signing in from a browser: ``GET``/``POST /login`` and ``POST /logout``.

The sign-in form, before there is a session, is bound to a short-lived random cookie of
its own, so a sign-in cannot be forged either. The password is checked by
:mod:`fedcommons.web.sign_in`, as on the OAuth consent form, so the two forms share one
set of limits. The session cookie it sets is read by :mod:`fedcommons.web.session`.
"""

import secrets

from aiohttp import web

from ...errors import Forbidden
from ...services.accounts import sessions
from .. import csrf, sign_in
from ..forms import browser_form, read_form
from ..keys import NODE, WRITER
from ..session import COOKIE, STALE_FORM, check_form, form_token, safe_next, viewer
from ..templating import render

LOGIN_COOKIE = "fc_login"
LOGIN_FORM_SECONDS = 3600


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
