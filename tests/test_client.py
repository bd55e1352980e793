"""The outbound client against fake peers on loopback ports: signed fetches and deliveries,
the double knock, redirects, limits, the actor and key cache, and WebFinger."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from multidict import CIMultiDict
from support_keys import fixed_rsa
from support_nodes import serve_on_loopback

from fedcommons import __version__
from fedcommons.config import with_setting
from fedcommons.errors import BadInput, FetchError, NotFound, VerificationError
from fedcommons.federation.client import (
    ACTIVITY_ACCEPT,
    MAX_RESPONSE,
    Client,
    actor_from_document,
    actor_kind,
)
from fedcommons.federation.webfinger import parse_handle, scheme_for, webfinger_url
from fedcommons.home import init_node, open_node
from fedcommons.node import Node
from fedcommons.services.actors.actors import create_actor
from fedcommons.sig.httpsig import parse_request
from fedcommons.sig.keys import ed25519_public_multibase, load_public_pem, public_pem
from fedcommons.store import actors as actor_store
from fedcommons.store import hosts as host_store
import support_db

NODE_URL = "http://127.0.0.1:8999"
ACTIVITY = "application/activity+json"

Handler = Callable[[web.Request, bytes], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    method: str
    path_qs: str
    headers: CIMultiDict
    body: bytes


class Peer:
    """A fake fediverse server on a loopback port: the test sets its routes; it records every request."""

    def __init__(self):
        self.url = ""
        self.requests: list[Seen] = []
        self.routes: dict[tuple[str, str], Handler] = {}

    def route(self, method: str, path: str, handler: Handler) -> None:
        self.routes[(method, path)] = handler

    def serve(self, path: str, doc, *, status: int = 200, content_type: str = ACTIVITY) -> None:
        """Answer GET ``path`` with ``doc`` as JSON (or as it is, when bytes)."""
        body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()

        async def handler(request, _body):
            return web.Response(status=status, body=body, content_type=content_type)

        self.route("GET", path, handler)

    def host(self) -> str:
        return self.url.removeprefix("http://")

    def paths(self) -> list[str]:
        return [seen.path_qs for seen in self.requests]

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(Seen(request.method, request.path_qs, CIMultiDict(request.headers), body))
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            return web.Response(status=404)
        return await handler(request, body)

    def verify(self, request: web.Request, body: bytes, public_key) -> str | None:
        """The scheme of a valid signature on ``request``, or None."""
        try:
            signed = parse_request(request.method, request.path_qs, request.headers, body, base_url=self.url)
        except VerificationError:
            return None
        return signed.scheme if signed.verify(public_key) else None


@pytest.fixture
async def peer():
    peer = Peer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", peer.dispatch)
    runner, port = await serve_on_loopback(app, shutdown_timeout=1.0)
    peer.url = f"http://127.0.0.1:{port}"
    yield peer
    await runner.cleanup()


@pytest.fixture(scope="module")
def peer_rsa():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def peer_ed():
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """One initialised node home (with a local person, carol), copied for each test."""
    home = tmp_path_factory.mktemp("template") / "home"
    node = init_node(home, NODE_URL, allow_private_addresses=True)
    create_actor(node, "person", "carol")
    node.close()
    return home


@pytest.fixture
def node(template, tmp_path):
    home = tmp_path / "home"
    support_db.copy_home(template, home)
    node = open_node(home)
    yield node
    node.close()


@pytest.fixture
async def client(node):
    client = Client(node, timeout=5)
    yield client
    await client.close()


def carol(node: Node):
    return actor_store.local_actor(node.db, "carol")


def node_public_key(node: Node):
    return load_public_pem(actor_store.actor(node.db, node.actor_id).rsa_public_pem)


def actor_doc(base: str, username: str, rsa_key, ed_key, **extra) -> dict:
    actor_id = f"{base}/users/{username}"
    doc = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": actor_id,
        "type": "Person",
        "preferredUsername": username,
        "name": username.title(),
        "inbox": f"{actor_id}/inbox",
        "outbox": f"{actor_id}/outbox",
        "endpoints": {"sharedInbox": f"{base}/inbox"},
        "publicKey": {"id": f"{actor_id}#main-key", "owner": actor_id, "publicKeyPem": public_pem(rsa_key)},
        "assertionMethod": [
            {
                "id": f"{actor_id}#ed25519-key",
                "type": "Multikey",
                "controller": actor_id,
                "publicKeyMultibase": ed25519_public_multibase(ed_key.public_key()),
            }
        ],
    }
    doc.update(extra)
    return doc


def webfinger_doc(subject: str, href: str, media_type: str = ACTIVITY) -> dict:
    return {"subject": subject, "links": [{"rel": "self", "type": media_type, "href": href}]}


def serve_webfinger(peer: Peer, answers: dict[str, dict]) -> None:
    async def handler(request, _body):
        answer = answers.get(request.query.get("resource", ""))
        if answer is None:
            return web.Response(status=404)
        return web.json_response(answer, content_type="application/jrd+json")

    peer.route("GET", "/.well-known/webfinger", handler)


# -- signed GETs -------------------------------------------------------------------------


async def test_get_json_is_signed_by_the_instance_actor(peer, node, client, peer_rsa, peer_ed):
    doc = actor_doc(peer.url, "alice", peer_rsa, peer_ed)
    key = node_public_key(node)

    async def authorized_fetch(request, body):
        if peer.verify(request, body, key) is None:
            return web.Response(status=401)
        return web.json_response(doc, content_type=ACTIVITY)

    peer.route("GET", "/users/alice", authorized_fetch)
    assert await client.get_json(f"{peer.url}/users/alice") == doc
    [seen] = peer.requests
    assert seen.headers["Accept"] == ACTIVITY_ACCEPT
    assert seen.headers["User-Agent"] == f"fedcommons/{__version__} (+{NODE_URL})"
    assert f'keyid="{NODE_URL}/actor#main-key"' in seen.headers["Signature-Input"]
    assert host_store.signature_scheme(node.db, peer.host()) == "rfc9421"


async def test_get_json_knocks_again_with_cavage_and_remembers_it(peer, node, client, peer_rsa, peer_ed):
    doc = actor_doc(peer.url, "alice", peer_rsa, peer_ed)
    key = node_public_key(node)

    async def cavage_only(request, body):
        if peer.verify(request, body, key) != "cavage":
            return web.Response(status=401)
        return web.json_response(doc, content_type=ACTIVITY)

    peer.route("GET", "/users/alice", cavage_only)
    assert await client.get_json(f"{peer.url}/users/alice") == doc
    first, second = peer.requests
    assert "Signature-Input" in first.headers
    assert "Signature-Input" not in second.headers
    # Mastodon insists on host being covered in signed GETs.
    assert 'headers="(request-target) host date"' in second.headers["Signature"]
    assert host_store.signature_scheme(node.db, peer.host()) == "cavage"

    await client.get_json(f"{peer.url}/users/alice")
    assert len(peer.requests) == 3
    assert "Signature-Input" not in peer.requests[2].headers


async def test_unsigned_get_carries_no_signature(peer, client, peer_rsa, peer_ed):
    peer.serve("/users/alice", actor_doc(peer.url, "alice", peer_rsa, peer_ed))
    await client.get_json(f"{peer.url}/users/alice", signed=False)
    [seen] = peer.requests
    assert not {"Signature", "Signature-Input", "Authorization"} & set(seen.headers)


async def test_redirects_are_followed_up_to_three_and_each_hop_is_signed_for_itself(peer, node, client):
    key = node_public_key(node)
    peer.serve("/doc", {"id": f"{peer.url}/doc", "type": "Note"})

    def redirect(location):
        async def handler(request, body):
            if peer.verify(request, body, key) is None:
                return web.Response(status=401)
            raise web.HTTPFound(location)
        return handler

    peer.route("GET", "/r/0", redirect(f"{peer.url}/r/1"))
    peer.route("GET", "/r/1", redirect("/r/2"))  # relative
    peer.route("GET", "/r/2", redirect("/doc"))
    assert (await client.get_json(f"{peer.url}/r/0"))["id"] == f"{peer.url}/doc"
    assert peer.paths() == ["/r/0", "/r/1", "/r/2", "/doc"]


async def test_a_fourth_redirect_is_refused(peer, client):
    for n in range(4):
        peer.route("GET", f"/r/{n}", _redirect_to(f"/r/{n + 1}"))
    peer.serve("/r/4", {"id": f"{peer.url}/r/4"})
    with pytest.raises(FetchError, match="more than 3 redirects"):
        await client.get_json(f"{peer.url}/r/0")
    assert peer.paths() == ["/r/0", "/r/1", "/r/2", "/r/3"]


def _redirect_to(location):
    async def handler(request, body):
        raise web.HTTPFound(location)
    return handler


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("http://0.0.0.0:{port}/doc", "unspecified address"),
        ("http://[ff02::1]:{port}/doc", "multicast"),
        ("file:///etc/passwd", "only http and https"),
    ],
)
async def test_redirect_targets_are_checked_before_connecting(peer, client, location, message):
    port = peer.url.rsplit(":", 1)[1]
    peer.route("GET", "/start", _redirect_to(location.format(port=port)))
    with pytest.raises(FetchError, match=message):
        await client.get_json(f"{peer.url}/start", signed=False)
    assert peer.paths() == ["/start"]


async def test_a_document_must_come_from_its_own_origin(peer, client):
    port = peer.url.rsplit(":", 1)[1]
    # localhost and 127.0.0.1 are different origins, even for one server.
    peer.serve("/users/eve", {"id": f"http://localhost:{port}/users/eve", "type": "Person"})
    peer.serve("/users/mallory", {"id": "http://127.0.0.1:1/users/mallory", "type": "Person"})
    peer.serve("/anonymous", {"type": "Note"})
    with pytest.raises(FetchError, match="claims the id http://localhost"):
        await client.get_json(f"{peer.url}/users/eve")
    with pytest.raises(FetchError, match="another scheme, host or port"):
        await client.get_json(f"{peer.url}/users/mallory")
    with pytest.raises(FetchError, match="has no id"):
        await client.get_json(f"{peer.url}/anonymous")


async def test_the_origin_check_uses_the_url_after_redirects(peer, client):
    other = f"http://127.0.0.1:{_free_port()}"
    # Redirected within one origin: the id must match where the document finally came from.
    peer.route("GET", "/old", _redirect_to("/new"))
    peer.serve("/new", {"id": f"{peer.url}/new"})
    assert (await client.get_json(f"{peer.url}/old"))["id"] == f"{peer.url}/new"
    peer.serve("/claims-other", {"id": f"{other}/x"})
    with pytest.raises(FetchError, match="claims the id"):
        await client.get_json(f"{peer.url}/claims-other")


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"<html>hello</html>", "text/html", "answered text/html, not JSON"),
        (b"[1, 2, 3]", ACTIVITY, "a JSON list, not an object"),
        (b'{"id": ', ACTIVITY, "did not answer valid JSON"),
        (b"[" * 100_000, "application/json", "did not answer valid JSON"),
        (b"\xff\xfe", ACTIVITY, "did not answer valid JSON"),
    ],
)
async def test_anything_but_a_json_object_is_refused(peer, client, body, content_type, message):
    peer.serve("/thing", body, content_type=content_type)
    with pytest.raises(FetchError, match=message):
        await client.get_json(f"{peer.url}/thing")


async def test_an_error_status_is_a_fetch_error_after_both_knocks(peer, node, client):
    peer.serve("/broken", {"error": "boom"}, status=500)
    peer.serve("/gone", {"error": "gone"}, status=410)
    with pytest.raises(FetchError, match="answered 500") as broken:
        await client.get_json(f"{peer.url}/broken")
    assert peer.paths() == ["/broken", "/broken"] and broken.value.upstream_status == 500
    with pytest.raises(FetchError, match="answered 410") as gone:
        await client.get_json(f"{peer.url}/gone")
    assert gone.value.upstream_status == 410
    assert peer.paths() == ["/broken", "/broken", "/gone"]
    assert host_store.signature_scheme(node.db, peer.host()) is None


async def test_an_oversized_answer_is_refused_when_declared(peer, client):
    peer.serve("/big", b'"' + b"x" * MAX_RESPONSE + b'"')
    with pytest.raises(FetchError, match=f"larger than {MAX_RESPONSE} bytes"):
        await client.get_json(f"{peer.url}/big")


async def test_an_oversized_answer_is_refused_while_streaming(peer, client):
    sent = []

    async def stream(request, body):
        # No Content-Length: the cap has to hold while reading.
        response = web.StreamResponse(headers={"Content-Type": ACTIVITY})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for _ in range(64):
                await response.write(b" " * 65536)
                sent.append(65536)
            await response.write_eof()
        except (ConnectionError, RuntimeError):
            pass  # the client hung up, as it should
        return response

    peer.route("GET", "/stream", stream)
    with pytest.raises(FetchError, match="larger than"):
        await client.get_json(f"{peer.url}/stream")


async def test_a_slow_peer_times_out(peer, node):
    release = asyncio.Event()

    async def slow(request, body):
        await asyncio.wait_for(release.wait(), 5)
        return web.json_response({"id": f"{peer.url}/slow"})

    peer.route("GET", "/slow", slow)
    client = Client(node, timeout=0.3)
    try:
        with pytest.raises(FetchError, match=r"timed out after 0\.3 s"):
            await client.get_json(f"{peer.url}/slow", signed=False)
    finally:
        release.set()
        await client.close()


# -- the address policy, end to end ---------------------------------------------------------


async def test_a_node_without_private_addresses_never_connects_to_loopback(peer, node, peer_rsa, peer_ed):
    peer.serve("/users/alice", actor_doc(peer.url, "alice", peer_rsa, peer_ed))
    strict = Node(with_setting(node.config, allow_private_addresses=False), node.db)
    client = Client(strict)
    try:
        with pytest.raises(FetchError) as exc:
            await client.get_json(f"{peer.url}/users/alice")
        assert str(exc.value) == (
            "refusing to connect to 127.0.0.1 (loopback); nodes created with --allow-private-addresses may"
        )
        port = peer.url.rsplit(":", 1)[1]
        with pytest.raises(FetchError, match=r"refusing to connect to localhost \(resolves to [0-9a-f:.]+, loopback\)"):
            await client.get_json(f"http://localhost:{port}/users/alice")
        with pytest.raises(FetchError, match=r"refusing to connect to 127\.0\.0\.1 \(loopback\)"):
            await client.post(f"{peer.url}/inbox", b"{}", carol(node))
    finally:
        await client.close()
    assert peer.requests == []


# -- signed POSTs ---------------------------------------------------------------------------


BODY = json.dumps({"type": "Create", "actor": f"{NODE_URL}/users/carol"}).encode()


async def test_post_is_signed_by_the_sender_and_verifies(peer, node, client):
    sender = carol(node)
    key = load_public_pem(sender.rsa_public_pem)

    async def inbox(request, body):
        return web.Response(status=202 if peer.verify(request, body, key) == "rfc9421" else 401)

    peer.route("POST", "/inbox", inbox)
    assert await client.post(f"{peer.url}/inbox", BODY, sender) == 202
    [seen] = peer.requests
    assert seen.body == BODY
    assert seen.headers["Content-Type"] == ACTIVITY
    assert f'keyid="{sender.rsa_key_id}"' in seen.headers["Signature-Input"]
    assert '"content-digest"' in seen.headers["Signature-Input"]
    # Carol's key, not the node's, signed it.
    replay = make_mocked_request(seen.method, seen.path_qs, headers=seen.headers)
    assert peer.verify(replay, seen.body, key) == "rfc9421"
    assert peer.verify(replay, seen.body, node_public_key(node)) is None


async def test_post_knocks_again_with_cavage_and_remembers_the_host(peer, node, client):
    sender = carol(node)
    key = load_public_pem(sender.rsa_public_pem)

    async def cavage_inbox(request, body):
        if "Signature-Input" in request.headers:
            return web.Response(status=401, text="RFC 9421 not supported")
        return web.Response(status=202 if peer.verify(request, body, key) == "cavage" else 401)

    peer.route("POST", "/inbox", cavage_inbox)
    assert await client.post(f"{peer.url}/inbox", BODY, sender) == 202
    first, second = peer.requests
    assert "Signature-Input" in first.headers and "Content-Digest" in first.headers
    assert "Signature" in second.headers and "Digest" in second.headers
    assert second.body == BODY
    assert host_store.signature_scheme(node.db, peer.host()) == "cavage"

    assert await client.post(f"{peer.url}/inbox", BODY, sender) == 202
    assert len(peer.requests) == 3
    assert "Signature-Input" not in peer.requests[2].headers


async def test_a_remembered_scheme_that_stops_working_is_replaced(peer, node, client):
    sender = carol(node)
    host_store.set_signature_scheme(node.db, peer.host(), "cavage", "2024-01-01T00:00:00Z")

    async def rfc9421_inbox(request, body):
        return web.Response(status=202 if "Signature-Input" in request.headers else 401)

    peer.route("POST", "/inbox", rfc9421_inbox)
    assert await client.post(f"{peer.url}/inbox", BODY, sender) == 202
    assert ["Signature-Input" in seen.headers for seen in peer.requests] == [False, True]
    assert host_store.signature_scheme(node.db, peer.host()) == "rfc9421"


@pytest.mark.parametrize("status", [404, 410, 413, 429])
async def test_answers_that_say_nothing_about_the_signature_get_one_knock(peer, node, client, status):
    async def inbox(request, body):
        return web.Response(status=status)

    peer.route("POST", "/inbox", inbox)
    assert await client.post(f"{peer.url}/inbox", BODY, carol(node)) == status
    assert len(peer.requests) == 1
    assert host_store.signature_scheme(node.db, peer.host()) is None


@pytest.mark.parametrize("status", [400, 401, 403, 500, 503])
async def test_a_failure_with_both_schemes_returns_the_last_status(peer, node, client, status):
    async def inbox(request, body):
        return web.Response(status=status)

    peer.route("POST", "/inbox", inbox)
    assert await client.post(f"{peer.url}/inbox", BODY, carol(node)) == status
    assert len(peer.requests) == 2
    assert host_store.signature_scheme(node.db, peer.host()) is None


async def test_post_is_not_redirected(peer, node, client):
    peer.route("POST", "/inbox", _redirect_to("/elsewhere"))
    assert await client.post(f"{peer.url}/inbox", BODY, carol(node)) == 302
    assert peer.paths() == ["/inbox"]


async def test_post_to_a_closed_port_is_a_fetch_error(node, client):
    with pytest.raises(FetchError, match="failed"):
        await client.post(f"http://127.0.0.1:{_free_port()}/inbox", BODY, carol(node))


async def test_only_local_actors_can_send(peer, node, client, peer_rsa, peer_ed):
    peer.serve("/users/alice", actor_doc(peer.url, "alice", peer_rsa, peer_ed))
    alice = await client.actor(f"{peer.url}/users/alice")
    with pytest.raises(BadInput, match="only local actors"):
        await client.post(f"{peer.url}/inbox", BODY, alice)


def _free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- actors --------------------------------------------------------------------------------


async def test_actor_is_fetched_parsed_stored_and_cached(peer, node, client, peer_rsa, peer_ed):
    doc = actor_doc(peer.url, "alice", peer_rsa, peer_ed)
    peer.serve("/users/alice", doc)
    row = await client.actor(f"{peer.url}/users/alice")
    assert row.id == f"{peer.url}/users/alice"
    assert (row.kind, row.name, row.display_name, row.local) == ("person", "alice", "Alice", False)
    assert row.inbox == f"{peer.url}/users/alice/inbox"
    assert row.shared_inbox == f"{peer.url}/inbox"
    assert row.rsa_key_id == f"{peer.url}/users/alice#main-key"
    assert row.rsa_public_pem == public_pem(peer_rsa)
    assert row.ed25519_key_id == f"{peer.url}/users/alice#ed25519-key"
    assert row.ed25519_multibase == ed25519_public_multibase(peer_ed.public_key())
    assert json.loads(row.document) == doc
    assert actor_store.actor(node.db, row.id) == row

    assert await client.actor(row.id) == row
    assert len(peer.requests) == 1
    await client.actor(row.id, refresh=True)
    assert len(peer.requests) == 2


async def test_a_stale_actor_is_fetched_again(peer, node, client, peer_rsa, peer_ed):
    peer.serve("/users/alice", actor_doc(peer.url, "alice", peer_rsa, peer_ed))
    row = await client.actor(f"{peer.url}/users/alice")
    node.db.conn.execute("UPDATE actors SET fetched_at = ? WHERE id = ?", ("2020-01-01T00:00:00Z", row.id))
    peer.serve("/users/alice", actor_doc(peer.url, "alice", peer_rsa, peer_ed, name="Alice Renamed"))
    assert (await client.actor(row.id)).display_name == "Alice Renamed"
    assert len(peer.requests) == 2


async def test_local_actors_come_from_the_database(node, client):
    # The node's own URL has no server behind it: any request would fail.
    assert await client.actor(carol(node).id, refresh=True) == carol(node)
    with pytest.raises(NotFound):
        await client.actor(f"{NODE_URL}/users/nobody")


async def test_an_actor_under_another_url_is_fetched_again_by_its_id(peer, client, peer_rsa, peer_ed):
    doc = actor_doc(peer.url, "alice", peer_rsa, peer_ed)
    peer.serve("/@alice", doc)
    peer.serve("/users/alice", doc)
    row = await client.actor(f"{peer.url}/@alice")
    assert row.id == f"{peer.url}/users/alice"
    assert peer.paths() == ["/@alice", "/users/alice"]


async def test_an_id_that_does_not_answer_for_itself_is_refused(peer, client, peer_rsa, peer_ed):
    peer.serve("/@alice", actor_doc(peer.url, "alice", peer_rsa, peer_ed))
    peer.serve("/users/alice", actor_doc(peer.url, "bob", peer_rsa, peer_ed))
    with pytest.raises(FetchError, match="not its own"):
        await client.actor(f"{peer.url}/@alice")


@pytest.mark.parametrize(
    ("types", "kind"),
    [
        ("Person", "person"),
        ("Group", "pool"),
        (["Group", "CommonPool"], "pool"),
        ("Organization", "cooperative"),
        (["Organization", "Cooperative"], "cooperative"),
        ("Application", "node"),
        ("Service", "node"),
        ("Note", "person"),
        (["Unknown", "Group"], "pool"),
        (None, "person"),
        (42, "person"),
    ],
)
def test_actor_kinds(types, kind):
    assert actor_kind(types) == kind


def test_actor_document_with_a_list_of_keys(peer_rsa, peer_ed):
    other = fixed_rsa()
    base = "https://peer.example"
    doc = actor_doc(base, "alice", peer_rsa, peer_ed, type="Group")
    doc["publicKey"] = [
        # Owned by someone else, and on another origin: neither may fill alice's key.
        {"id": f"{base}/users/bob#main-key", "owner": f"{base}/users/bob", "publicKeyPem": public_pem(other)},
        {"id": "https://elsewhere.example/k", "owner": doc["id"], "publicKeyPem": public_pem(other)},
        {"id": f"{base}/users/alice#broken", "owner": doc["id"], "publicKeyPem": "not a key"},
        f"{base}/users/alice#reference-only",
        doc["publicKey"],
    ]
    doc["assertionMethod"] = doc["assertionMethod"][0]
    row = actor_from_document(doc, fetched_at="2024-01-01T00:00:00Z")
    assert row.kind == "pool"
    assert row.rsa_key_id == f"{base}/users/alice#main-key"
    assert row.rsa_public_pem == public_pem(peer_rsa)
    assert row.ed25519_multibase == ed25519_public_multibase(peer_ed.public_key())


def test_an_actor_without_an_inbox_is_refused(peer_rsa, peer_ed):
    doc = actor_doc("https://peer.example", "alice", peer_rsa, peer_ed)
    del doc["inbox"]
    with pytest.raises(FetchError, match="has no inbox"):
        actor_from_document(doc, fetched_at="2024-01-01T00:00:00Z")


# -- keys ----------------------------------------------------------------------------------


async def test_public_key_from_the_actor_document_then_from_the_cache(peer, client, peer_rsa, peer_ed):
    peer.serve("/users/alice", actor_doc(peer.url, "alice", peer_rsa, peer_ed))
    alice = f"{peer.url}/users/alice"
    key, owner = await client.public_key(f"{alice}#main-key")
    assert owner == alice
    assert public_pem(key) == public_pem(peer_rsa)
    ed_key, owner = await client.public_key(f"{alice}#ed25519-key")
    assert owner == alice
    assert public_pem(ed_key) == public_pem(peer_ed.public_key())
    assert peer.paths() == ["/users/alice"]


async def test_a_rotated_key_is_found_on_refresh(peer, client, peer_rsa, peer_ed):
    alice = f"{peer.url}/users/alice"
    peer.serve("/users/alice", actor_doc(peer.url, "alice", peer_rsa, peer_ed))
    await client.public_key(f"{alice}#main-key")
    rotated = fixed_rsa()
    peer.serve("/users/alice", actor_doc(peer.url, "alice", rotated, peer_ed))
    cached, _ = await client.public_key(f"{alice}#main-key")
    assert public_pem(cached) == public_pem(peer_rsa)
    fresh, owner = await client.public_key(f"{alice}#main-key", refresh=True)
    assert public_pem(fresh) == public_pem(rotated)
    assert owner == alice
    assert len(peer.requests) == 2


async def test_a_key_document_is_confirmed_by_its_owner(peer, client, peer_rsa, peer_ed):
    alice = f"{peer.url}/users/alice"
    key_id = f"{peer.url}/keys/1"
    peer.serve("/keys/1", {"id": key_id, "owner": alice, "publicKeyPem": public_pem(peer_rsa)})
    doc = actor_doc(peer.url, "alice", peer_rsa, peer_ed)
    doc["publicKey"] = {"id": key_id, "owner": alice, "publicKeyPem": public_pem(peer_rsa)}
    peer.serve("/users/alice", doc)
    key, owner = await client.public_key(key_id)
    assert owner == alice
    assert public_pem(key) == public_pem(peer_rsa)
    assert peer.paths() == ["/keys/1", "/users/alice"]


async def test_a_key_document_naming_an_owner_who_does_not_list_it_is_refused(peer, client, peer_rsa, peer_ed):
    alice = f"{peer.url}/users/alice"
    impostor = fixed_rsa()
    peer.serve("/keys/evil", {"id": f"{peer.url}/keys/evil", "owner": alice, "publicKeyPem": public_pem(impostor)})
    peer.serve("/users/alice", actor_doc(peer.url, "alice", peer_rsa, peer_ed))
    with pytest.raises(VerificationError, match="does not publish the key"):
        await client.public_key(f"{peer.url}/keys/evil")


async def test_local_keys_need_no_request(node, client):
    row = carol(node)
    key, owner = await client.public_key(row.rsa_key_id, refresh=True)
    assert owner == row.id
    assert public_pem(key) == row.rsa_public_pem
    with pytest.raises(NotFound):
        await client.public_key(f"{NODE_URL}/users/nobody#main-key")


# -- WebFinger and resolve -------------------------------------------------------------------


@pytest.mark.parametrize("form", ["@alice@{host}", "alice@{host}", "acct:alice@{host}", " @alice@{host} "])
async def test_resolve_handles_through_webfinger(peer, client, peer_rsa, peer_ed, form):
    alice = f"{peer.url}/users/alice"
    peer.serve("/users/alice", actor_doc(peer.url, "alice", peer_rsa, peer_ed))
    serve_webfinger(peer, {f"acct:alice@{peer.host()}": webfinger_doc(f"acct:alice@{peer.host()}", alice)})
    row = await client.resolve(form.format(host=peer.host()))
    assert row.id == alice
    webfinger_request = peer.requests[0]
    assert webfinger_request.path_qs == f"/.well-known/webfinger?resource=acct:alice@{peer.host()}"
    assert "Signature" not in webfinger_request.headers and "Signature-Input" not in webfinger_request.headers


async def test_resolve_takes_urls_directly(peer, client, peer_rsa, peer_ed):
    peer.serve("/users/alice", actor_doc(peer.url, "alice", peer_rsa, peer_ed))
    assert (await client.resolve(f"{peer.url}/users/alice")).name == "alice"
    assert peer.paths() == ["/users/alice"]


async def test_webfinger_accepts_the_ld_json_profile_link(peer, client, peer_rsa, peer_ed):
    alice = f"{peer.url}/users/alice"
    peer.serve("/users/alice", actor_doc(peer.url, "alice", peer_rsa, peer_ed))
    jrd = {
        "subject": f"acct:alice@{peer.host()}",
        "links": [
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": f"{peer.url}/@alice"},
            {"rel": "self", "type": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"', "href": alice},
        ],
    }
    serve_webfinger(peer, {f"acct:alice@{peer.host()}": jrd})
    assert (await client.resolve(f"alice@{peer.host()}")).id == alice


async def test_webfinger_without_an_activitypub_link_is_not_found(peer, client):
    serve_webfinger(peer, {f"acct:alice@{peer.host()}": webfinger_doc("x", f"{peer.url}/@alice", "text/html")})
    with pytest.raises(NotFound, match="no ActivityPub actor"):
        await client.resolve(f"alice@{peer.host()}")


async def test_webfinger_is_checked_back_from_the_actor(peer, client, peer_rsa, peer_ed):
    # acct:alice points at mallory's actor; mallory's own handle points elsewhere.
    mallory = f"{peer.url}/users/mallory"
    peer.serve("/users/mallory", actor_doc(peer.url, "mallory", peer_rsa, peer_ed))
    serve_webfinger(peer, {
        f"acct:alice@{peer.host()}": webfinger_doc("alice", mallory),
        f"acct:mallory@{peer.host()}": webfinger_doc("mallory", f"{peer.url}/users/someone-else"),
    })
    with pytest.raises(VerificationError, match="points to"):
        await client.resolve(f"alice@{peer.host()}")


async def test_an_alias_that_maps_back_is_accepted(peer, client, peer_rsa, peer_ed):
    robert = f"{peer.url}/users/robert"
    peer.serve("/users/robert", actor_doc(peer.url, "robert", peer_rsa, peer_ed))
    serve_webfinger(peer, {
        f"acct:bob@{peer.host()}": webfinger_doc("bob", robert),
        f"acct:robert@{peer.host()}": webfinger_doc("robert", robert),
    })
    assert (await client.resolve(f"bob@{peer.host()}")).id == robert
    assert peer.paths()[-1] == f"/.well-known/webfinger?resource=acct:robert@{peer.host()}"


async def test_own_handles_are_looked_up_locally(node, client):
    assert (await client.resolve("@carol@127.0.0.1:8999")).id == carol(node).id
    with pytest.raises(NotFound):
        await client.resolve("@nobody@127.0.0.1:8999")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@alice@commons.example", ("alice", "commons.example")),
        ("alice@Commons.Example", ("alice", "commons.example")),
        ("acct:alice@commons.example:8443", ("alice", "commons.example:8443")),
        ("ACCT:Alice_1@127.0.0.1:8080", ("Alice_1", "127.0.0.1:8080")),
        ("bob@[::1]:3000", ("bob", "[::1]:3000")),
    ],
)
def test_parse_handle(text, expected):
    assert parse_handle(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "alice", "@alice", "alice@", "@@host", "a@b@c", "al ice@host", "alice@ho st", "alice@host/path",
     "alice@host:port", "alice@[::1", "https://host/users/alice"],
)
def test_parse_handle_refuses_garbage(text):
    with pytest.raises(BadInput, match="is not a handle"):
        parse_handle(text)


def test_webfinger_scheme_follows_the_node_only_for_local_hosts():
    assert scheme_for("commons.example", "http://127.0.0.1:8999") == "https"
    assert scheme_for("127.0.0.1:8080", "http://127.0.0.1:8999") == "http"
    assert scheme_for("localhost:8080", "http://localhost:8999") == "http"
    assert scheme_for("[::1]:8080", "https://commons.example") == "https"
    assert webfinger_url("alice", "commons.example") == (
        "https://commons.example/.well-known/webfinger?resource=acct:alice@commons.example"
    )


# -- the session ---------------------------------------------------------------------------------


async def test_a_session_passed_in_is_used_and_left_open(peer, node, peer_rsa, peer_ed):
    peer.serve("/users/alice", actor_doc(peer.url, "alice", peer_rsa, peer_ed))
    async with aiohttp.ClientSession() as session:
        client = Client(node, session=session)
        await client.get_json(f"{peer.url}/users/alice")
        await client.close()
        assert not session.closed
