"""A node's outbound HTTP: signed fetches, signed deliveries, and the remote actor and key cache.

Every request goes through one :class:`aiohttp.ClientSession` whose connector only
reaches addresses :mod:`.netguard` allows, with a total timeout and a cap on what is
read. Requests are signed with RFC 9421 first and, when the answer is an error that may
be about the signature, again with draft-cavage ("double knock", as Fedify does); the
scheme a host accepted is remembered in the ``hosts`` table and tried first next time.

Redirects of GETs are followed by hand (at most :data:`MAX_REDIRECTS`) so that every hop
is checked by the address policy and signed for its own URL. Deliveries (POSTs) are
never redirected: the status is the delivery worker's to judge.
"""

from __future__ import annotations

import json
from functools import lru_cache
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import aiohttp
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from multidict import CIMultiDict
from yarl import URL

from .. import __version__, urls
from ..errors import BadInput, FetchError, Forbidden, NotFound, VerificationError
from ..node import NODE_NAME, Node, now
from ..services.moderation.blocks import blocked
from ..sig.httpsig import sign_request
from ..sig.keys import PublicKey, ed25519_public_from_multibase, ed25519_public_multibase, load_public_pem, public_pem
from ..store import actors as actor_store
from ..store import hosts as host_store
from ..store.actors import ActorRow
from ..store.writer import Direct, Writer
from . import netguard, webfinger
from .key_fetches import KeyFetches

ACTIVITY_TYPE = "application/activity+json"
ACTIVITY_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'

MAX_RESPONSE = 1024 * 1024
MAX_REDIRECTS = 3
DEFAULT_TIMEOUT = 10.0
POOL_SIZE = 100  # connections at once, all hosts together (aiohttp's default)
# Key fetches for requests not yet verified may use a fifth of them (see key_fetches).
UNVERIFIED_KEY_FETCHES = POOL_SIZE // 5
ACTOR_TTL = timedelta(days=1)

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Errors that say nothing about the signature, so knocking again with the other scheme
# would only double the load: the resource is gone (404, 410), the body too large (413),
# or the peer asks us to slow down (429).
_NOT_ABOUT_SIGNATURE = frozenset({404, 410, 413, 429})
_OTHER_SCHEME = {"rfc9421": "cavage", "cavage": "rfc9421"}
_READ_CHUNK = 64 * 1024

# ActivityStreams types to the kinds the actors table knows; anything else is a person.
_KINDS = {
    "Group": "pool", "CommonPool": "pool",
    "Organization": "cooperative", "Cooperative": "cooperative",
    "Application": "node", "Service": "node",
    "Person": "person",
}


class Signer(NamedTuple):
    """Who signs a request: the key id peers will fetch, and the private key."""

    key_id: str
    private_key: Any


@dataclass(frozen=True)
class Response:
    """What a peer answered: the URL that answered, the status, headers, and the body read."""

    url: str
    status: int
    headers: CIMultiDict
    body: bytes


class Client:
    """The node's HTTP client. One per node process; call :meth:`close` when done.

    A ``session`` passed in is used as it is (and not closed): its connector should come
    from :func:`.netguard.guarded_connector`, since only IP literals are checked without it.
    """

    def __init__(self, node: Node, *, session: aiohttp.ClientSession | None = None,
                 timeout: float = DEFAULT_TIMEOUT, max_bytes: int = MAX_RESPONSE,
                 actor_ttl: timedelta = ACTOR_TTL, writer: Writer | Direct | None = None):
        self.node = node
        # In the server, `node` only reads and the writer thread stores what was fetched.
        self.writer = writer or Direct(node)
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.max_bytes = max_bytes
        self.actor_ttl = actor_ttl
        self.user_agent = f"fedcommons/{__version__} (+{node.url})"
        self._session = session
        self._owns_session = session is None
        self.key_fetches = KeyFetches(total=UNVERIFIED_KEY_FETCHES)

    async def close(self) -> None:
        """Close the session this client made (a session passed in stays open)."""
        await self.key_fetches.close()
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    def with_limits(self, *, timeout: float, max_bytes: int) -> "Client":
        """A client on this one's connections (closed with it) with other limits: log pages
        are far larger and slower than ActivityPub documents."""
        return Client(self.node, session=self._session_now(), timeout=timeout, max_bytes=max_bytes,
                      actor_ttl=self.actor_ttl, writer=self.writer)

    def _session_now(self) -> aiohttp.ClientSession:
        # Made on first use: a session and its connector belong to the running loop.
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=netguard.guarded_connector(allow_private=self.node.config.allow_private_addresses,
                                                     limit=POOL_SIZE),
                timeout=self.timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
            self._owns_session = True
        return self._session

    # -- fetching ---------------------------------------------------------------------

    async def get_json(self, url: str, *, signed: bool = True) -> dict:
        """GET an ActivityPub object; its ``id`` must share scheme, host and port with
        the URL that finally answered. Signed as the instance actor unless ``signed=False``."""
        final, doc = await self.fetch_json(url, signed=signed)
        _check_id(doc, final)
        return doc

    async def fetch_json(self, url: str, *, accept: str = ACTIVITY_ACCEPT, signed: bool = True) -> tuple[str, dict]:
        """GET a JSON object (no ``id`` check, for WebFinger and the like): (final URL, object)."""
        response = await self.fetch(url, accept=accept, signed=signed)
        mime = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if not (mime.endswith("/json") or mime.endswith("+json")):
            raise FetchError(f"{response.url} answered {mime or 'no Content-Type'}, not JSON")
        try:
            doc = json.loads(response.body)
        except (ValueError, RecursionError) as exc:
            raise FetchError(f"{response.url} did not answer valid JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise FetchError(f"{response.url} answered a JSON {type(doc).__name__}, not an object")
        return response.url, doc

    async def fetch(self, url: str, *, accept: str = ACTIVITY_ACCEPT, signed: bool = True) -> Response:
        """GET ``url`` following at most three redirects; any answer but 2xx is a :class:`FetchError`."""
        signer = self._node_signer() if signed else None
        current = _normalise(url)
        for _ in range(MAX_REDIRECTS + 1):
            response = await self._knock("GET", current, {"Accept": accept}, None, signer)
            if response.status not in _REDIRECTS:
                if not 200 <= response.status < 300:
                    raise FetchError(f"GET {current} answered {response.status}", upstream_status=response.status)
                return response
            current = _redirect_target(current, response)
        raise FetchError(f"GET {url}: more than {MAX_REDIRECTS} redirects")

    async def post(self, inbox: str, body: bytes, sender: ActorRow) -> int:
        """POST an activity to an inbox, signed by a local actor; the peer's final status.

        Connection errors, timeouts and refused addresses raise :class:`FetchError`.
        """
        if not sender.local or not sender.name or not sender.rsa_key_id:
            raise BadInput(f"cannot sign as {sender.id}: only local actors send activities")
        signer = Signer(sender.rsa_key_id, self.node.keys.rsa(sender.kind, sender.name))
        headers = {"Content-Type": ACTIVITY_TYPE, "Accept": ACTIVITY_ACCEPT}
        response = await self._knock("POST", _normalise(inbox), headers, body, signer)
        return response.status

    def _node_signer(self) -> Signer:
        # Authorized-fetch servers want to know who asks: the instance actor does.
        return Signer(urls.key_ids(self.node.actor_id)[0], self.node.keys.rsa("node", NODE_NAME))

    async def _knock(self, method: str, url: str, headers: dict, body: bytes | None,
                     signer: Signer | None) -> Response:
        """One request, signed with the scheme the host accepted last, and once more with
        the other scheme when the answer may be about the signature."""
        if signer is None:
            return await self._send(method, url, headers, body, None, None)
        host = _host_key(url)
        known = host_store.signature_scheme(self.node.db, host)
        scheme = known or "rfc9421"
        response = await self._send(method, url, headers, body, signer, scheme)
        if response.status >= 400 and response.status not in _NOT_ABOUT_SIGNATURE:
            scheme = _OTHER_SCHEME[scheme]
            response = await self._send(method, url, headers, body, signer, scheme)
        # Only a success proves the signature was accepted.
        if 200 <= response.status < 300 and scheme != known:
            await self.writer.transact(host_store.set_signature_scheme, host, scheme, now())
        return response

    async def _send(self, method: str, url: str, headers: dict, body: bytes | None,
                    signer: Signer | None, scheme: str | None) -> Response:
        """One HTTP request; the body of a 2xx answer to a GET is read (capped)."""
        netguard.check_url(url, allow_private=self.node.config.allow_private_addresses)
        if (block := blocked(self.node, url)) is not None:
            raise Forbidden(f"{method} {url}: {block} is blocked on this node")
        headers = {**headers, "User-Agent": self.user_agent}
        if signer is not None:
            headers.update(sign_request(method, url, headers, body, key_id=signer.key_id,
                                        private_key=signer.private_key, scheme=scheme))
        session = self._session_now()
        try:
            async with session.request(method, URL(url, encoded=True), headers=headers, data=body,
                                       allow_redirects=False, timeout=self.timeout) as resp:
                data = b""
                if method == "GET" and 200 <= resp.status < 300:
                    data = await self._read(resp, url)
                return Response(url, resp.status, CIMultiDict(resp.headers), data)
        except TimeoutError:
            raise FetchError(f"{method} {url} timed out after {self.timeout.total:g} s") from None
        except (aiohttp.ClientError, ValueError) as exc:
            raise FetchError(f"{method} {url} failed: {exc or type(exc).__name__}") from None

    async def _read(self, resp: aiohttp.ClientResponse, url: str) -> bytes:
        too_big = f"the answer from {url} is larger than {self.max_bytes} bytes"
        if resp.content_length is not None and resp.content_length > self.max_bytes:
            raise FetchError(too_big)
        chunks, size = [], 0
        async for chunk in resp.content.iter_chunked(_READ_CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                # Leaving the response unread closes the connection: nothing more arrives.
                raise FetchError(too_big)
            chunks.append(chunk)
        return b"".join(chunks)

    # -- actors and keys ------------------------------------------------------------------

    async def actor(self, url: str, *, refresh: bool = False) -> ActorRow:
        """An actor: local ones from the database, remote ones from the cache or their server."""
        url = _normalise(url)
        row = actor_store.actor(self.node.db, url)
        if row is not None and (row.local or (not refresh and self._fresh(row))):
            return row
        if urls.is_local(self.node.url, url):
            raise NotFound(f"no local actor at {url}")
        final, doc = await self.fetch_json(url)
        return await self._accept_actor(final, doc)

    async def public_key(self, key_id: str, *, refresh: bool = False,
                         unverified: bool = False) -> tuple[PublicKey, str]:
        """The public key named ``key_id`` and the URL of the actor that owns it.

        Cached keys are used unless ``refresh``; the caller refreshes once when a
        signature fails to verify, which is how a rotated key is picked up. A key named
        by a request not yet verified (``unverified``) is fetched within the limits of
        :mod:`.key_fetches`, or TryLater (503) is raised.
        """
        row = actor_store.actor_by_key(self.node.db, key_id)
        if row is not None and (row.local or not refresh):
            key = _row_key(row, key_id)
            if key is not None:
                return key, row.id
        url = _normalise(key_id)
        if urls.is_local(self.node.url, url):
            raise NotFound(f"no local key {key_id}")
        row = await self.key_fetches.run(url, _host_key(url), lambda: self._key_owner(url), limited=unverified)
        key = _row_key(row, key_id)
        if key is None:
            raise VerificationError(f"{row.id} does not publish the key {key_id}")
        return key, row.id

    async def _key_owner(self, url: str) -> ActorRow:
        """The actor whose document, or key document, is at a key's URL (fetched and stored)."""
        final, doc = await self.fetch_json(url)
        if _is_key_document(doc):
            # A key published on its own: only its owner's document can vouch for it.
            _check_id(doc, final)
            owner = doc.get("owner") or doc.get("controller")
            if not isinstance(owner, str):
                raise FetchError(f"key document {final} names no owner")
            return await self.actor(owner, refresh=True)
        return await self._accept_actor(final, doc)

    async def resolve(self, handle_or_url: str) -> ActorRow:
        """An actor from ``@name@host``, ``name@host``, ``acct:name@host`` or its URL."""
        text = handle_or_url.strip()
        if text.lower().startswith(("http://", "https://")):
            return await self.actor(text)
        return await self.actor(await webfinger.lookup(self, text))

    async def _accept_actor(self, final: str, doc: dict) -> ActorRow:
        """Store a fetched actor document; an ``id`` other than the URL that answered is
        fetched once more, and must then answer with that same id (as Mastodon does)."""
        _check_id(doc, final)
        if _normalise(doc["id"]) != final:
            final, doc = await self.fetch_json(doc["id"])
            if not isinstance(doc.get("id"), str) or _normalise(doc["id"]) != final:
                raise FetchError(f"{final} answers with the id {doc.get('id')!r}, not its own")
        row = actor_from_document(doc, fetched_at=now())
        await self.writer.transact(actor_store.upsert_remote_actor, row)
        # A local actor is never replaced by a fetched copy: read back what is stored.
        return actor_store.actor(self.node.db, row.id)

    def _fresh(self, row: ActorRow) -> bool:
        if row.fetched_at is None:
            return False
        try:
            fetched = datetime.fromisoformat(row.fetched_at.replace("Z", "+00:00"))
        except ValueError:
            return False
        if fetched.tzinfo is None:
            fetched = fetched.replace(tzinfo=timezone.utc)
        return datetime.now(timezone.utc) - fetched < self.actor_ttl


def actor_from_document(doc: dict, *, fetched_at: str) -> ActorRow:
    """A remote actor row from its ActivityPub document (which is kept as it came)."""
    actor_id, inbox = doc.get("id"), doc.get("inbox")
    if not _is_http_url(actor_id):
        raise FetchError(f"actor document has no http(s) id: {actor_id!r}")
    if not _is_http_url(inbox):
        raise FetchError(f"actor {actor_id} has no inbox")
    endpoints = doc.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
    rsa_key = ed_key = None
    # The first key of each type fills the columns; public_key() also finds the others.
    for key_id, key in document_keys(doc):
        if rsa_key is None and isinstance(key, rsa.RSAPublicKey):
            rsa_key = (key_id, public_pem(key))
        elif ed_key is None and isinstance(key, Ed25519PublicKey):
            ed_key = (key_id, ed25519_public_multibase(key))
    return ActorRow(
        id=actor_id, kind=actor_kind(doc.get("type")), name=_text(doc.get("preferredUsername")),
        local=False, display_name=_text(doc.get("name")), summary=_text(doc.get("summary")),
        inbox=inbox, shared_inbox=shared if _is_http_url(shared) else None,
        rsa_key_id=rsa_key[0] if rsa_key else None, rsa_public_pem=rsa_key[1] if rsa_key else None,
        ed25519_key_id=ed_key[0] if ed_key else None, ed25519_multibase=ed_key[1] if ed_key else None,
        document=json.dumps(doc, ensure_ascii=False, sort_keys=True), fetched_at=fetched_at,
        created_at=fetched_at,
    )


def actor_kind(types: Any) -> str:
    """The actors-table kind of an ActivityStreams type (or list of types); person by default."""
    for name in _as_list(types):
        if isinstance(name, str) and name in _KINDS:
            return _KINDS[name]
    return "person"


def document_keys(doc: dict) -> list[tuple[str, PublicKey]]:
    """The public keys an actor document publishes: ``publicKey`` (one or a list, PEM) and
    ``assertionMethod`` Multikeys. Only keys on the actor's origin, owned by the actor."""
    actor_id = doc.get("id")
    found: list[tuple[str, PublicKey]] = []
    for entry in _as_list(doc.get("publicKey")) + _as_list(doc.get("assertionMethod")):
        if not isinstance(entry, dict):
            continue  # a bare reference: nothing to read here
        key_id = entry.get("id")
        owner = entry.get("owner", entry.get("controller", actor_id))
        # A key claimed on another origin would let one actor shadow another's key id.
        if not isinstance(key_id, str) or owner != actor_id or not urls.same_origin(key_id, actor_id):
            continue
        try:
            if isinstance(entry.get("publicKeyPem"), str):
                found.append((key_id, load_public_pem(entry["publicKeyPem"])))
            elif isinstance(entry.get("publicKeyMultibase"), str):
                found.append((key_id, ed25519_public_from_multibase(entry["publicKeyMultibase"])))
        except (BadInput, ValueError):
            continue  # one unreadable key does not hide the others
    return found


@lru_cache(maxsize=4096)
def _parsed_pem(pem: str) -> PublicKey:
    # Every signed request needs its sender's key; parsing the PEM each time showed up.
    return load_public_pem(pem)


def _row_key(row: ActorRow, key_id: str) -> PublicKey | None:
    """A key of a stored actor by id: the columns first, then the rest of its document."""
    try:
        if row.rsa_key_id == key_id and row.rsa_public_pem:
            return _parsed_pem(row.rsa_public_pem)
        if row.ed25519_key_id == key_id and row.ed25519_multibase:
            return ed25519_public_from_multibase(row.ed25519_multibase)
    except BadInput:
        return None
    if row.document:
        for found_id, key in document_keys(json.loads(row.document)):
            if found_id == key_id:
                return key
    return None


def _is_key_document(doc: dict) -> bool:
    """A key served on its own (``owner``/``controller`` and key material, no inbox)."""
    return ("owner" in doc or "controller" in doc) and "inbox" not in doc and (
        "publicKeyPem" in doc or "publicKeyMultibase" in doc
    )


def _check_id(doc: dict, fetched_from: str) -> None:
    """A document speaks only for its own origin (the same scheme, host and port)."""
    doc_id = doc.get("id")
    if not isinstance(doc_id, str):
        raise FetchError(f"the document at {fetched_from} has no id")
    if not urls.same_origin(doc_id, fetched_from):
        raise FetchError(
            f"the document at {fetched_from} claims the id {doc_id}, which has another scheme, host or port"
        )


def _normalise(url: str) -> str:
    """The URL as it goes on the wire (percent-encoded, no fragment): what gets signed."""
    try:
        return str(URL(url).with_fragment(None))
    except (ValueError, TypeError) as exc:
        raise FetchError(f"not a URL: {url!r} ({exc})") from None


def _redirect_target(current: str, response: Response) -> str:
    location = response.headers.get("Location")
    if not location:
        raise FetchError(f"GET {current} answered {response.status} without a Location")
    try:
        target = str(URL(current).join(URL(location)).with_fragment(None))
    except ValueError as exc:
        raise FetchError(f"GET {current} redirects to a malformed Location {location!r}: {exc}") from None
    if urlsplit(current).scheme == "https" and urlsplit(target).scheme != "https":
        raise FetchError(f"GET {current} redirects from https to {target}; refusing the downgrade")
    return target


def _host_key(url: str) -> str:
    """host[:port] as the hosts table keys it (lower case, the scheme's default port left out)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
