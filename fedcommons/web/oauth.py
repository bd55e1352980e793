"""The OAuth 2.0 endpoints clients call directly: server metadata (RFC 8414), token
(RFC 6749 §3.2), dynamic client registration (RFC 7591) and revocation (RFC 7009).

Errors here are the JSON bodies RFC 6749 §5.2 defines (``error``,
``error_description``), not problem details: that is what OAuth client libraries read.
Only a registration over its rate limit gets a 429 with ``Retry-After`` and problem
details, as anything else that says "later" does.
The person-facing authorization page is in web.pages.consent.
"""

from aiohttp import web

from ..errors import BadInput, OAuthError, TryLater
from ..rate_limit import TokenBuckets
from ..services.accounts import oauth, oauth_clients
from ..untrusted import load_json
from .errors import error_response
from .forms import read_form
from .keys import NODE, WRITER

AUTHORIZE, TOKEN, REGISTER, REVOKE = oauth.AUTHORIZE_PATH, oauth.TOKEN_PATH, oauth.REGISTER_PATH, oauth.REVOKE_PATH
MAX_REGISTRATION = 16 * 1024
REGISTRATIONS = web.AppKey("registrations", TokenBuckets)

# Clients in a browser call these from another origin; no cookie is involved, so any
# origin may read the answers.
_CORS = {"Access-Control-Allow-Origin": "*"}
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def endpoints(base: str) -> dict:
    """Where the authorization server's endpoints are, under a node's base URL."""
    return {"authorization_endpoint": base + AUTHORIZE, "token_endpoint": base + TOKEN,
            "registration_endpoint": base + REGISTER, "revocation_endpoint": base + REVOKE}


async def metadata(request: web.Request) -> web.Response:
    """/.well-known/oauth-authorization-server (RFC 8414)."""
    base = request.app[NODE].url
    body = {
        "issuer": base,
        **endpoints(base),
        "scopes_supported": list(oauth.SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "authorization_response_iss_parameter_supported": True,
        "client_id_metadata_document_supported": True,
        "activitypub_object_id_as_client_id": True,
    }
    return web.json_response(body, headers=_CORS)


def _error(exc: OAuthError) -> web.Response:
    body = {"error": exc.error, "error_description": str(exc)}
    return web.json_response(body, status=exc.status, headers={**_CORS, **_NO_STORE})


async def _form(request: web.Request) -> dict:
    """The request's parameters: a form, as RFC 6749 requires, or JSON, which some send."""
    if request.content_type == "application/json":
        try:
            data = load_json(await request.read())
        except BadInput as exc:
            raise OAuthError("invalid_request", str(exc)) from None
        if not isinstance(data, dict):
            raise OAuthError("invalid_request", "send the parameters as a form or a JSON object")
        return {k: v for k, v in data.items() if isinstance(v, str)}
    try:
        form = await read_form(request)
    except BadInput as exc:
        raise OAuthError("invalid_request", str(exc)) from None
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def token(request: web.Request) -> web.Response:
    """Exchange a code, or a refresh token, for tokens."""
    try:
        params = await _form(request)
        grant_type = params.get("grant_type")
        if grant_type == "authorization_code":
            body = await request.app[WRITER].run(
                oauth.exchange_code, code=params.get("code"), client_id=params.get("client_id"),
                redirect_uri=params.get("redirect_uri"), code_verifier=params.get("code_verifier"))
        elif grant_type == "refresh_token":
            body = await request.app[WRITER].run(oauth.refresh, refresh_token=params.get("refresh_token"),
                                                 client_id=params.get("client_id"), scope=params.get("scope"))
        elif not grant_type:
            raise OAuthError("invalid_request", "the grant_type parameter is missing")
        else:
            raise OAuthError("unsupported_grant_type",
                             f"grant_type {grant_type!r} is not offered: use authorization_code or refresh_token")
    except OAuthError as exc:
        return _error(exc)
    return web.json_response(body, headers={**_CORS, **_NO_STORE})


async def revoke(request: web.Request) -> web.Response:
    """Revoke a token; 200 whether or not it was known (RFC 7009 §2.2)."""
    try:
        params = await _form(request)
        await request.app[WRITER].run(oauth.revoke, params.get("token"), params.get("client_id"))
    except OAuthError as exc:
        return _error(exc)
    return web.Response(status=200, headers={**_CORS, **_NO_STORE})


async def register(request: web.Request) -> web.Response:
    """Register a public client; 201 with its client_id."""
    try:
        if request.content_length is not None and request.content_length > MAX_REGISTRATION:
            raise OAuthError("invalid_client_metadata", f"client metadata is at most {MAX_REGISTRATION} bytes")
        raw = await request.content.read(MAX_REGISTRATION + 1)
        if len(raw) > MAX_REGISTRATION:
            raise OAuthError("invalid_client_metadata", f"client metadata is at most {MAX_REGISTRATION} bytes")
        try:
            metadata = load_json(raw)
        except BadInput as exc:
            raise OAuthError("invalid_client_metadata", f"send the client metadata as a JSON object: {exc}") from None
        answer = await request.app[WRITER].run(oauth_clients.register_client, metadata,
                                               limits=request.app[REGISTRATIONS], address=request.remote)
    except OAuthError as exc:
        return _error(exc)
    except TryLater as exc:
        response = error_response(exc, request)
        response.headers.update(_CORS)
        return response
    return web.json_response(answer, status=201, headers={**_CORS, **_NO_STORE})
