"""Who an OAuth client is and where it may be sent back to.

A client names itself in one of three ways:

- a ``client_id`` this node issued through dynamic client registration (RFC 7591);
- the URL of a client metadata document (draft-ietf-oauth-client-id-metadata-document),
  whose ``client_id`` must be that same URL and which lists its ``redirect_uris``;
- the URL of an ActivityPub object, usually an ``Application`` actor, listing its
  redirect URIs as ``redirectURI`` or ``redirect_uris``.

A native client on the person's own machine listens on a loopback port chosen at run time
(RFC 8252 §7.3): its redirect URI matches a registered one whatever the port. When such a
client's document cannot be fetched (a script with no web presence), the request is still
allowed, since the code can only travel to the person's own machine; the consent page says
the client is unverified and shows its id.

Registration is open to anyone, so it is limited: REGISTRATIONS_PER_ADDRESS from one
address (an IPv6 /64 counts as one) and REGISTRATIONS_OVERALL from everyone, in memory;
and a registered client that nobody uses is forgotten (see :func:`expire_unused_clients`).
"""

import ipaddress
import math
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from ...errors import FetchError, OAuthError, TryLater
from ...node import Node, now, utc_stamp
from ...rate_limit import Rate, TokenBuckets, caller_key
from ...store import oauth as oauth_store
from ...store.db import transaction
from .oauth import parse_scope

MAX_REDIRECT_URIS = 10
MAX_URI_LENGTH = 2000
MAX_NAME_LENGTH = 200
# An app registers once per install; a script that registers on every run still fits.
REGISTRATIONS_PER_ADDRESS = Rate(burst=5, every=60)
# With UNUSED_CLIENT_SECONDS this bounds what strangers can store to about 1,500 clients
# a day (each at most twice the 16 KB a registration may send).
REGISTRATIONS_OVERALL = Rate(burst=20, every=60)
# A client that got no authorization code or token within a day of registering, or whose
# last live token has expired (refresh tokens last 30 days), is deleted.
UNUSED_CLIENT_SECONDS = 24 * 3600
DOCUMENT_ACCEPT = ("application/json, application/activity+json, "
                   'application/ld+json; profile="https://www.w3.org/ns/activitystreams"')


@dataclass(frozen=True)
class ClientInfo:
    """A client as the consent page shows it and the code is bound to."""

    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    source: str  # 'registered', 'metadata', 'activitypub' or 'unverified'

    @property
    def verified(self) -> bool:
        return self.source != "unverified"


def is_url_client_id(client_id: str) -> bool:
    """Whether a client id is a URL to fetch (registered ids never contain a scheme)."""
    return client_id.startswith(("https://", "http://"))


def _loopback_host(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_redirect(uri: str) -> bool:
    """``http://127.0.0.1:PORT/...`` or ``http://[::1]:PORT/...`` (RFC 8252 §7.3)."""
    try:
        parts = urlsplit(uri)
        return parts.scheme == "http" and _loopback_host(parts.hostname)
    except ValueError:
        return False


def check_redirect_uri(uri) -> str:
    """A redirect URI a client may register: https, a loopback http address, or a native
    app's private-use scheme (``com.example.app:/callback``, RFC 8252 §7.1); no fragment."""
    if not isinstance(uri, str) or not uri or len(uri) > MAX_URI_LENGTH:
        raise OAuthError("invalid_redirect_uri", f"redirect URIs are strings of at most {MAX_URI_LENGTH} characters")
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        raise OAuthError("invalid_redirect_uri", f"{uri!r} is not a URI") from None
    if parts.fragment or "#" in uri:
        raise OAuthError("invalid_redirect_uri", f"{uri!r}: a redirect URI must not have a fragment")
    if parts.scheme == "https" and parts.hostname:
        return uri
    if parts.scheme == "http" and _loopback_host(parts.hostname):
        return uri
    if "." in parts.scheme and parts.scheme not in ("http", "https") and not parts.netloc:
        return uri
    raise OAuthError(
        "invalid_redirect_uri",
        f"{uri!r}: use https, a loopback address (http://127.0.0.1:PORT/...) or your app's "
        "reverse-domain scheme (com.example.app:/callback)",
    )


def redirect_matches(registered: tuple[str, ...] | list[str], requested: str) -> bool:
    """Exact string match, except that loopback redirects match whatever their port."""
    if requested in registered:
        return True
    if not is_loopback_redirect(requested):
        return False
    want = urlsplit(requested)
    for uri in registered:
        if is_loopback_redirect(uri):
            have = urlsplit(uri)
            if (have.hostname, have.path or "/", have.query) == (want.hostname, want.path or "/", want.query):
                return True
    return False


def check_client_id_url(node: Node, client_id: str) -> None:
    """A client id URL as the metadata document draft allows: https (http only on nodes
    that allow private addresses, for local demos and tests), a path, no fragment, no
    credentials and no dot segments."""
    try:
        parts = urlsplit(client_id)
    except ValueError:
        raise OAuthError("invalid_client", f"client_id {client_id!r} is not a URL") from None
    schemes = ("https", "http") if node.config.allow_private_addresses else ("https",)
    segments = parts.path.split("/")
    if (parts.scheme not in schemes or not parts.hostname or parts.fragment or parts.username
            or parts.password or not parts.path or "." in segments or ".." in segments
            or len(client_id) > MAX_URI_LENGTH):
        raise OAuthError("invalid_client",
                         f"client_id {client_id!r} must be an https URL with a path, without fragment or credentials")


async def resolve_client(node: Node, client, client_id: str | None, redirect_uri: str | None) -> tuple[ClientInfo, str]:
    """The client and the redirect URI to use, or OAuthError. These errors must be shown
    to the person, never sent to the redirect URI, which is not known to be the client's."""
    if not client_id:
        raise OAuthError("invalid_request", "the client_id parameter is missing")
    if is_url_client_id(client_id):
        info = await _fetched_client(node, client, client_id, redirect_uri)
    else:
        row = oauth_store.client(node.db, client_id)
        if row is None:
            raise OAuthError("invalid_client", f"no client {client_id!r} is registered on this node")
        info = ClientInfo(row.client_id, row.client_name or row.client_id, tuple(row.redirect_uris), "registered")
    if not redirect_uri:
        if len(info.redirect_uris) != 1:
            raise OAuthError("invalid_request", "the redirect_uri parameter is missing")
        redirect_uri = info.redirect_uris[0]
    if info.verified and not redirect_matches(info.redirect_uris, redirect_uri):
        raise OAuthError("invalid_request", f"{redirect_uri} is not a redirect URI of {client_id}")
    try:
        check_redirect_uri(redirect_uri)
    except OAuthError as exc:
        raise OAuthError("invalid_request", str(exc)) from None
    return info, redirect_uri


async def _fetched_client(node: Node, client, client_id: str, redirect_uri: str | None) -> ClientInfo:
    check_client_id_url(node, client_id)
    try:
        _, doc = await client.fetch_json(client_id, accept=DOCUMENT_ACCEPT, signed=False)
    except FetchError as exc:
        if redirect_uri and is_loopback_redirect(redirect_uri):
            return ClientInfo(client_id, client_id, (redirect_uri,), "unverified")
        raise OAuthError("invalid_client", f"cannot fetch the client's document at {client_id}: {exc}") from None
    if "client_id" in doc:
        if doc["client_id"] != client_id:
            raise OAuthError("invalid_client", f"the document at {client_id} names another client_id")
        source, uris, name = "metadata", doc.get("redirect_uris"), doc.get("client_name")
    elif doc.get("id") == client_id:
        source, name = "activitypub", doc.get("name") or doc.get("preferredUsername")
        uris = doc.get("redirect_uris") or doc.get("redirectURI")
    else:
        raise OAuthError("invalid_client", f"{client_id} is neither a client metadata document nor an ActivityPub object with that id")
    if isinstance(uris, str):
        uris = [uris]
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise OAuthError("invalid_client", f"the document at {client_id} lists no redirect URIs")
    name = name.strip()[:MAX_NAME_LENGTH] if isinstance(name, str) and name.strip() else client_id
    return ClientInfo(client_id, name, tuple(uris[:MAX_REDIRECT_URIS]), source)


def registration_limits() -> TokenBuckets:
    """The registration limits of one server process."""
    return TokenBuckets(REGISTRATIONS_PER_ADDRESS, REGISTRATIONS_OVERALL)


def admit_registration(limits: TokenBuckets, address: str | None) -> None:
    """Count a registration from ``address``; TryLater (429) when over a limit."""
    wait = limits.take(caller_key(address))
    if wait:
        raise TryLater(f"too many client registrations; try again in {math.ceil(wait)} s",
                       retry_after=math.ceil(wait), status=429)


def expire_unused_clients(node: Node, *, at: float | None = None) -> int:
    """Delete registered clients with no live code or token that are older than
    UNUSED_CLIENT_SECONDS (expired codes and tokens go first); how many were deleted."""
    at = time.time() if at is None else at
    with transaction(node.db):
        oauth_store.purge_expired(node.db, at)
        return oauth_store.delete_unused_clients(node.db, utc_stamp(at - UNUSED_CLIENT_SECONDS))


def register_client(node: Node, metadata: dict, *, limits: TokenBuckets | None = None,
                    address: str | None = None) -> dict:
    """Dynamic client registration (RFC 7591) for public clients; the answer's fields.

    With ``limits``, a valid registration from ``address`` is counted against them and
    refused with TryLater (429) when over; refused metadata stores nothing and is not counted.
    """
    if not isinstance(metadata, dict):
        raise OAuthError("invalid_client_metadata", "client metadata is a JSON object")
    uris = metadata.get("redirect_uris")
    if not isinstance(uris, list) or not uris:
        raise OAuthError("invalid_redirect_uri", "redirect_uris must be a non-empty list")
    if len(uris) > MAX_REDIRECT_URIS:
        raise OAuthError("invalid_redirect_uri", f"at most {MAX_REDIRECT_URIS} redirect URIs")
    uris = [check_redirect_uri(u) for u in uris]
    method = metadata.get("token_endpoint_auth_method", "none")
    if method != "none":
        raise OAuthError("invalid_client_metadata",
                         "only public clients are registered: token_endpoint_auth_method must be 'none'")
    grant_types = metadata.get("grant_types", ["authorization_code", "refresh_token"])
    if not isinstance(grant_types, list) or not set(grant_types) <= {"authorization_code", "refresh_token"} \
            or "authorization_code" not in grant_types:
        raise OAuthError("invalid_client_metadata", "grant_types: authorization_code, optionally refresh_token")
    response_types = metadata.get("response_types", ["code"])
    if response_types != ["code"]:
        raise OAuthError("invalid_client_metadata", "response_types must be ['code']")
    name = metadata.get("client_name")
    if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME_LENGTH):
        raise OAuthError("invalid_client_metadata", f"client_name is a string of at most {MAX_NAME_LENGTH} characters")
    scope = metadata.get("scope")
    if scope is not None:
        scope = " ".join(parse_scope(scope, error="invalid_client_metadata"))
    answer = {
        "client_id": "fc-" + secrets.token_urlsafe(18),
        "client_id_issued_at": int(time.time()),
        "redirect_uris": uris,
        "grant_types": grant_types,
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    if name:
        answer["client_name"] = name
    if scope:
        answer["scope"] = scope
    if limits is not None:
        admit_registration(limits, address)
    row = oauth_store.ClientRow(answer["client_id"], name, uris, answer, now())
    with transaction(node.db):
        oauth_store.insert_client(node.db, row)
    return answer

