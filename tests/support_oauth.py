"""Playing a native OAuth client and its person's browser against a node on 127.0.0.1.

The client listens on a loopback port for the redirect (RFC 8252 §7.3); the browser keeps
cookies for 127.0.0.1 (aiohttp's default jar refuses them for IP addresses) and fills in
the authorization form as a person would.
"""

import base64
import hashlib
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
from aiohttp import web

from support_nodes import free_port, serve_on_loopback

PASSWORD = "correct horse battery staple"


def pkce() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action = None
        self.fields: dict[str, str] = {}
        self.buttons: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action")
        elif tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "button" and a.get("name"):
            self.buttons.append((a["name"], a.get("value") or ""))


def read_form(page: str) -> _Form:
    """The form on an HTML page: its action, its inputs' values and its buttons."""
    form = _Form()
    form.feed(page)
    assert form.action, "no form on the page"
    return form


class Redirects:
    """The native client's loopback listener: records each query it is sent back with."""

    def __init__(self):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.received: list[dict] = []
        self.runner = None

    async def start(self) -> "Redirects":
        app = web.Application()

        async def callback(request):
            self.received.append(dict(request.query))
            return web.Response(text="You can close this window and return to the application.")

        app.router.add_get("/{tail:.*}", callback)
        self.runner, _ = await serve_on_loopback(app, self.port)
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def browser() -> aiohttp.ClientSession:
    """A session that keeps cookies for 127.0.0.1, as a browser does."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def open_consent(session, authorization_endpoint: str, **params) -> tuple[int, str]:
    """GET the authorization page: (status, text); redirects are not followed."""
    url = authorization_endpoint + "?" + urlencode(params)
    async with session.get(url, allow_redirects=False, headers={"Accept": "text/html"}) as r:
        return r.status, await r.text() if r.status != 303 else r.headers["Location"]


async def submit_consent(session, base: str, page: str, *, account: str, password: str = PASSWORD,
                         decision: str = "approve", overrides: dict | None = None,
                         follow: bool = False):
    """Fill in and POST the consent form; returns the response (status, Location, text)."""
    form = read_form(page)
    data = {**form.fields, "account": account, "password": password, "decision": decision, **(overrides or {})}
    async with session.post(base + form.action, data=data, allow_redirects=follow) as r:
        return r.status, r.headers.get("Location"), await r.text()


async def authorize(session, metadata: dict, *, client_id: str, redirect_uri: str, account: str,
                    scope: str = "read write", password: str = PASSWORD) -> tuple[str, str]:
    """The whole browser leg: GET the page, POST the form, land on the redirect URI.
    Returns (code, code_verifier); checks `state` and `iss` on the way back."""
    verifier, challenge = pkce()
    state = secrets.token_urlsafe(8)
    status, page = await open_consent(session, metadata["authorization_endpoint"], response_type="code",
                                      client_id=client_id, redirect_uri=redirect_uri, scope=scope,
                                      state=state, code_challenge=challenge, code_challenge_method="S256")
    assert status == 200, page
    base = "{0.scheme}://{0.netloc}".format(urlsplit(metadata["authorization_endpoint"]))
    status, location, _ = await submit_consent(session, base, page, account=account, password=password)
    assert status == 303, (status, location)
    assert location.startswith(redirect_uri.split("?")[0].rsplit(":", 1)[0])
    async with session.get(location) as r:  # the browser lands on the client's listener
        assert r.status == 200
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["state"] == state and query["iss"] == metadata["issuer"]
    return query["code"], verifier


async def token(session, metadata: dict, **params) -> tuple[int, dict]:
    """POST the token endpoint as a form: (status, JSON answer)."""
    async with session.post(metadata["token_endpoint"], data=params) as r:
        return r.status, await r.json(content_type=None)
