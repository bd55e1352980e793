"""The authorization page: a person signs in and approves (or denies) a client's request.

GET checks the request and shows the form; POST checks the form and sends the browser back
to the client with a code, or with ``error=access_denied``. Until the client and its
redirect URI are known good, errors are shown on the page and never sent to the redirect
URI (RFC 6749 §4.1.2.1).

Cross-site request forgery: the GET sets a short-lived random cookie and puts in the form
a token (web.csrf: an HMAC under a key derived from the node's own key) bound to that
cookie, an expiry and every parameter the approval depends on. A POST without the
cookie, past the expiry, or with any of those parameters changed is refused. So the POST
needs no second fetch of the client's document: the MAC vouches that the GET checked
these exact values.

The password is checked by web.sign_in, as on the browser sign-in form, so the two forms
share one set of limits.
"""

import hmac
import json
import secrets
import time
from urllib.parse import urlencode

from aiohttp import web

from ...errors import BadInput, Forbidden, OAuthError
from ...services.accounts import oauth
from ...services.accounts.oauth_clients import resolve_client
from ...untrusted import whole_number
from .. import csrf, sign_in
from ..errors import message_page
from ..forms import read_form
from ..keys import CLIENT, NODE, WRITER
from ..templating import render

COOKIE = "fc_oauth"
FORM_SECONDS = 600
# What the approval depends on: checked on GET, carried through the form under the MAC.
SIGNED = ("client_id", "client_name", "verified", "redirect_uri", "scope", "state", "code_challenge")

_HEADERS = {
    # The page must not be framed (clickjacking the Approve button) or cached.
    "X-Frame-Options": "DENY",
    # No form-action: browsers would then block the redirect to the client after the POST.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def _mac(node, nonce: str, expires: int, fields: dict) -> str:
    """The form token: web.csrf's HMAC bound to the cookie, for this expiry and these values."""
    # JSON, so that no value (a client's `state`, say) can pass for a separator.
    purpose = json.dumps(["oauth consent", expires, [fields.get(name, "") for name in SIGNED]])
    return f"{expires}.{csrf.token(node, nonce, purpose)}"


def _form_is_genuine(node, nonce: str | None, token: str | None, fields: dict) -> bool:
    if not nonce or not token or "." not in token:
        return False
    try:
        expires = whole_number("expiry", token.split(".", 1)[0])
    except BadInput:
        return False
    if expires < time.time():
        return False
    return hmac.compare_digest(_mac(node, nonce, expires, fields), token)


async def authorize_page(request: web.Request) -> web.Response:
    """GET /oauth/authorize: check the request and show the sign-in and consent form."""
    node = request.app[NODE]
    query = request.query
    try:
        client, redirect_uri = await resolve_client(node, request.app[CLIENT], query.get("client_id"),
                                                    query.get("redirect_uri"))
    except OAuthError as exc:
        return _problem_page(request, 400, "This application's request cannot be used", str(exc))
    try:
        scopes, challenge = oauth.check_authorization_request(query)
    except OAuthError as exc:
        return _back_to_client(node, redirect_uri, query.get("state"), error=exc.error, description=str(exc))
    fields = {"client_id": client.client_id, "client_name": client.name, "verified": "1" if client.verified else "",
              "redirect_uri": redirect_uri, "scope": " ".join(scopes), "state": query.get("state", ""),
              "code_challenge": challenge}
    return _form_page(request, fields, nonce=secrets.token_urlsafe(24), account=query.get("login_hint", ""))


async def authorize_answer(request: web.Request) -> web.Response:
    """POST /oauth/authorize: the person approved or denied."""
    node = request.app[NODE]
    form = await read_form(request)
    fields = {name: str(form.get(name, "")) for name in SIGNED}
    nonce = request.cookies.get(COOKIE)
    if not _form_is_genuine(node, nonce, str(form.get("csrf", "")), fields):
        raise Forbidden("this form was not issued to this browser, or it has expired: "
                        "go back to the application and start signing in again")
    if form.get("decision") != "approve":
        return _back_to_client(node, fields["redirect_uri"], fields["state"], error="access_denied",
                               description="the person denied the request")
    login = str(form.get("account", "")).strip()
    verdict = await sign_in.check_password(request, login, str(form.get("password", "")))
    if verdict.retry_after:
        response = _form_page(request, fields, nonce=nonce, account=login, status=429,
                              error=sign_in.refusal(verdict.retry_after))
        response.headers["Retry-After"] = str(verdict.retry_after)
        return response
    if verdict.person is None:
        return _form_page(request, fields, nonce=nonce, account=login, error="Wrong account name or password.")
    code = await request.app[WRITER].run(
        oauth.issue_code, client_id=fields["client_id"], actor=verdict.person.id,
        redirect_uri=fields["redirect_uri"], scopes=oauth.parse_scope(fields["scope"]),
        code_challenge=fields["code_challenge"])
    return _back_to_client(node, fields["redirect_uri"], fields["state"], code=code)


def _back_to_client(node, redirect_uri: str, state: str | None, **params) -> web.Response:
    """303 to the client's redirect URI with the answer, `state` and the issuer (RFC 9207)."""
    answer = {}
    if "code" in params:
        answer["code"] = params["code"]
    else:
        answer["error"] = params["error"]
        answer["error_description"] = params["description"]
    if state:
        answer["state"] = state
    answer["iss"] = node.url
    separator = "&" if "?" in redirect_uri else "?"
    return web.Response(status=303, headers={**_HEADERS, "Location": redirect_uri + separator + urlencode(answer)})


def _form_page(request: web.Request, fields: dict, *, nonce: str, account: str = "", error: str = "",
               status: int = 200) -> web.Response:
    node = request.app[NODE]
    token = _mac(node, nonce, int(time.time()) + FORM_SECONDS, fields)
    scopes = [(scope, oauth.SCOPE_TEXT[scope]) for scope in fields["scope"].split()]
    response = render(request, "consent.html",
                      {"title": "Authorize an application", "fields": fields, "signed": SIGNED, "scopes": scopes,
                       "token": token, "account": account, "error": error, "action": request.path},
                      status=status, headers=_HEADERS)
    response.set_cookie(COOKIE, nonce, max_age=FORM_SECONDS, path=oauth.AUTHORIZE_PATH, httponly=True,
                        samesite="Strict", secure=node.url.startswith("https://"))
    return response


def _problem_page(request: web.Request, status: int, title: str, detail: str) -> web.Response:
    return message_page(request, status, title, detail, headers=_HEADERS)
