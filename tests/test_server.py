"""One node served on loopback: documents, discovery, and what the inbox must refuse."""

import json
import time

import pytest

from fedcommons.services.actors.actors import create_actor
from fedcommons.services.contributions.contributions import contribute
from fedcommons.services.actors.pools import create_pool
from fedcommons.sig.httpsig import sign_request
from fedcommons.sig.keys import public_pem
from fedcommons.store import inbox as inbox_store
from fedcommons.store import log as log_store
from support_keys import fixed_rsa
from support_nodes import RunningNode, eventually, served_node

AP = "application/activity+json"


@pytest.fixture
async def served(tmp_path):
    async with served_node(tmp_path) as running:
        node = running.node
        create_actor(node, "person", "alice")
        create_actor(node, "person", "bob")
        create_pool(node, "garden", name="Garden", stewards=["bob"], license="MIT")
        yield running


async def test_actor_documents_negotiate_json_and_html(served, http):
    async with http.get(f"{served.url}/pools/garden", headers={"Accept": AP}) as r:
        assert r.status == 200 and r.content_type == AP
        doc = await r.json(content_type=None)
    assert doc["id"] == f"{served.url}/pools/garden"
    assert doc["type"] == ["Group", "CommonPool"]
    for field in ("inbox", "outbox", "followers", "following"):
        assert doc[field].startswith(doc["id"])
    assert doc["endpoints"]["sharedInbox"] == f"{served.url}/inbox"
    assert "BEGIN PUBLIC KEY" in doc["publicKey"]["publicKeyPem"]
    assert doc["assertionMethod"][0]["type"] == "Multikey"
    ld = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    async with http.get(f"{served.url}/users/alice", headers={"Accept": ld}) as r:
        assert (await r.json(content_type=None))["type"] == "Person"
    async with http.get(f"{served.url}/pools/garden", headers={"Accept": "text/html,*/*;q=0.8"}) as r:
        assert r.content_type == "text/html"
        assert "Garden" in await r.text()
    async with http.get(f"{served.url}/actor", headers={"Accept": AP}) as r:
        node_doc = await r.json(content_type=None)
    assert node_doc["type"] == "Application"
    assert node_doc["logOrigin"] == f"127.0.0.1:{served.port}"
    assert node_doc["logVerifierKey"].startswith(f"127.0.0.1:{served.port}+")


async def test_ids_come_from_the_configured_url_not_the_host_header(served, http):
    async with http.get(f"{served.url}/users/alice", headers={"Accept": AP, "Host": "evil.example"}) as r:
        doc = await r.json(content_type=None)
    assert doc["id"] == f"{served.url}/users/alice"


async def test_webfinger_nodeinfo_host_meta(served, http):
    host = f"127.0.0.1:{served.port}"
    for name in ("alice", "garden"):
        async with http.get(f"{served.url}/.well-known/webfinger", params={"resource": f"acct:{name}@{host}"}) as r:
            assert r.status == 200 and r.content_type == "application/jrd+json"
            jrd = await r.json(content_type=None)
        self_link = next(link for link in jrd["links"] if link["rel"] == "self")
        assert self_link["type"] == AP and self_link["href"].endswith(f"/{name}")
    async with http.get(f"{served.url}/.well-known/webfinger", params={"resource": f"acct:nobody@{host}"}) as r:
        assert r.status == 404
    async with http.get(f"{served.url}/.well-known/nodeinfo") as r:
        links = (await r.json())["links"]
    assert {link["rel"].rsplit("/", 1)[-1] for link in links} == {"2.0", "2.1"}
    async with http.get(f"{served.url}/nodeinfo/2.1") as r:
        info = await r.json()
    assert info["software"]["name"] == "fedcommons" and info["protocols"] == ["activitypub"]
    async with http.get(f"{served.url}/.well-known/host-meta") as r:
        assert "lrdd" in await r.text()


async def test_collections_are_paged_and_the_last_page_has_no_next(served, http):
    node = served.node
    for i in range(23):
        contribute(node, pool="garden", person="alice", effort="1h", kind="code", summary=f"work {i}")
    async with http.get(f"{served.url}/pools/garden/contributions", headers={"Accept": AP}) as r:
        collection = await r.json(content_type=None)
    assert collection["type"] == "OrderedCollection" and collection["totalItems"] == 23
    async with http.get(collection["first"], headers={"Accept": AP}) as r:
        first = await r.json(content_type=None)
    assert len(first["orderedItems"]) == 20 and first["orderedItems"][0]["type"] == ["Note", "Contribution"]
    async with http.get(first["next"], headers={"Accept": AP}) as r:
        last = await r.json(content_type=None)
    assert len(last["orderedItems"]) == 3 and "next" not in last
    async with http.get(f"{served.url}/users/alice/outbox?page=1", headers={"Accept": AP}) as r:
        outbox = await r.json(content_type=None)
    assert outbox["orderedItems"][0]["type"] == "Create"


async def test_unknown_pages_are_404_pages_not_tracebacks(served, http):
    async with http.get(f"{served.url}/users/nobody", headers={"Accept": "text/html"}) as r:
        assert r.status == 404 and "Traceback" not in await r.text()
    async with http.get(f"{served.url}/users/nobody", headers={"Accept": AP}) as r:
        assert r.status == 404 and r.content_type == "application/problem+json"


# --- the inbox -----------------------------------------------------------------------


class FakeRemote:
    """A remote actor whose documents the node fetches from a loopback server."""

    def __init__(self, url: str):
        self.url = url
        self.key = fixed_rsa()
        self.actor = f"{url}/users/mallory"
        self.key_id = f"{self.actor}#main-key"

    def document(self) -> dict:
        return {"@context": "https://www.w3.org/ns/activitystreams", "id": self.actor, "type": "Person",
                "preferredUsername": "mallory", "inbox": f"{self.actor}/inbox",
                "publicKey": {"id": self.key_id, "owner": self.actor, "publicKeyPem": public_pem(self.key)}}


@pytest.fixture
async def remote():
    from aiohttp import web

    from support_nodes import free_port, serve_on_loopback

    port = free_port()
    fake = FakeRemote(f"http://127.0.0.1:{port}")

    async def actor(request):
        return web.json_response(fake.document(), content_type=AP)

    app = web.Application()
    app.router.add_get("/users/mallory", actor)
    runner, _ = await serve_on_loopback(app, port)
    yield fake
    await runner.cleanup()


def follow_of(remote, served, n=1) -> dict:
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{remote.actor}/follows/{n}",
            "type": "Follow", "actor": remote.actor, "object": f"{served.url}/pools/garden"}


async def post(http, served, remote, activity=None, *, body=None, key=None, key_id=None,
               date_offset=0, tamper=None, path="/inbox"):
    body = body if body is not None else json.dumps(activity).encode()
    url = f"{served.url}{path}"
    headers = {"Content-Type": AP}
    signed = sign_request("POST", url, headers, body, key_id=key_id or remote.key_id,
                          private_key=key or remote.key, scheme="cavage", now=time.time() + date_offset)
    headers.update(signed)
    if tamper:
        body = tamper(body)
    async with http.post(url, data=body, headers=headers) as r:
        return r.status, await r.text()


async def test_a_signed_follow_is_accepted_once(served, http, remote):
    status, _ = await post(http, served, remote, follow_of(remote, served))
    assert status == 202
    status, _ = await post(http, served, remote, follow_of(remote, served))
    assert status == 202  # a replay is acknowledged and stored once
    assert inbox_store.count(served.node.db, f"{remote.actor}/follows/1") == 1


async def test_inbox_refusals(served, http, remote):
    node = served.node
    size = log_store.log_size(node.db)
    follow = follow_of(remote, served)
    url = f"{served.url}/inbox"
    async with http.post(url, data=json.dumps(follow), headers={"Content-Type": AP}) as r:
        assert r.status == 401, "no signature"
    other = fixed_rsa()
    assert (await post(http, served, remote, follow, key=other))[0] == 401, "bad signature"
    assert (await post(http, served, remote, follow, tamper=lambda b: b.replace(b"Follow", b"Folloz")))[0] == 401, \
        "digest does not match the body"
    not_owner = dict(follow, actor=f"{served.url}/users/alice")
    assert (await post(http, served, remote, not_owner))[0] == 401, "key owner is not the actor"
    assert (await post(http, served, remote, follow, date_offset=-7200))[0] == 401, "date outside the window"
    assert (await post(http, served, remote, body=b"{not json"))[0] == 400, "malformed JSON"
    big = json.dumps(dict(follow, padding="x" * (1024 * 1024))).encode()
    assert (await post(http, served, remote, body=big))[0] == 413, "body over the cap"
    unknown = dict(follow, id=f"{remote.actor}/x/1", type="Dance")
    assert (await post(http, served, remote, unknown))[0] == 202, "unknown type is accepted and ignored"
    missing_pool = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{remote.actor}/c/1",
                    "type": "Follow", "actor": remote.actor, "object": f"{served.url}/pools/nowhere"}
    assert (await post(http, served, remote, missing_pool, path="/pools/nowhere/inbox"))[0] == 404
    assert log_store.log_size(node.db) == size
    assert inbox_store.count(node.db, follow["id"]) == 0


async def test_authorized_fetch_requires_signed_gets_for_documents(tmp_path, http, remote):
    from fedcommons.config import load_config, save_config, with_setting

    running = RunningNode.create(tmp_path, "secure")
    save_config(with_setting(load_config(running.home), authorized_fetch=True))
    await running.start()
    try:
        create_actor(running.node, "person", "alice")
        url = f"{running.url}/users/alice"
        async with http.get(url, headers={"Accept": AP}) as r:
            assert r.status == 401
        headers = {"Accept": AP}
        headers.update(sign_request("GET", url, headers, None, key_id=remote.key_id, private_key=remote.key))
        async with http.get(url, headers=headers) as r:
            assert r.status == 200
        async with http.get(url, headers={"Accept": "text/html"}) as r:
            assert r.status == 200, "pages for people stay public"
        async with http.get(f"{running.url}/actor", headers={"Accept": AP}) as r:
            assert r.status == 200, "the instance actor stays open so peers can check our signatures"
    finally:
        await running.stop()


async def test_a_pool_that_approves_followers(tmp_path, http, remote):
    from fedcommons.services.actors import follows
    from fedcommons.store import follows as follow_store

    running = RunningNode.create(tmp_path, "approving")
    await running.start()
    try:
        node = running.node
        create_actor(node, "person", "bob")
        create_actor(node, "person", "eve")
        create_pool(node, "quiet", name="Quiet", stewards=["bob"], approve_followers=True)
        follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{remote.actor}/follows/q",
                  "type": "Follow", "actor": remote.actor, "object": f"{running.url}/pools/quiet"}
        assert (await post(http, running, remote, follow))[0] == 202
        await eventually(lambda: follows.pending_followers(node, "quiet") == [(remote.actor, follow["id"])])
        assert follow_store.followers(node.db, f"{running.url}/pools/quiet") == []
        with pytest.raises(Exception, match="not a steward"):
            follows.approve(node, "quiet", remote.actor, "eve")
        answer = follows.approve(node, "quiet", remote.actor, "bob")
        assert answer["type"] == "Accept" and answer["object"]["id"] == follow["id"]
        assert follow_store.followers(node.db, f"{running.url}/pools/quiet") == [remote.actor]
        async with http.get(answer["id"], headers={"Accept": AP}) as r:  # sent, not logged, still served
            assert r.status == 200 and (await r.json(content_type=None))["type"] == "Accept"
    finally:
        await running.stop()


# --- keys named by requests not yet verified ---------------------------------------------


@pytest.fixture
async def hanging():
    """A host that accepts connections and never answers (until the test ends)."""
    import asyncio

    from aiohttp import web

    from support_nodes import serve_on_loopback

    release = asyncio.Event()

    async def never(request):
        await asyncio.wait_for(release.wait(), 60)
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/{tail:.*}", never)
    runner, port = await serve_on_loopback(app)
    hanger = FakeRemote(f"http://127.0.0.1:{port}")
    # Lets a test end the hang once it has seen what it came for, not at the client's timeout.
    hanger.release = release.set
    yield hanger
    release.set()
    await runner.cleanup()


def hanging_follow(hanging, served, n: int, *, distinct: bool) -> tuple[dict, str]:
    """A Follow from an actor on the hanging host, and its key id: one key for all, or one each."""
    actor = f"{hanging.url}/users/m{n}" if distinct else hanging.actor
    return dict(follow_of(hanging, served, n), actor=actor), f"{actor}#main-key"


@pytest.mark.parametrize("distinct", [False, True], ids=["one key", "a key each"])
async def test_a_flood_naming_a_hanging_key_leaves_first_contact_to_others(served, http, remote, hanging, distinct):
    import asyncio

    import aiohttp

    async def flood_one(session, n):
        activity, key_id = hanging_follow(hanging, served, n, distinct=distinct)
        status, body = await post(session, served, hanging, activity, key_id=key_id)
        return status, body, loop.time() - started

    loop = asyncio.get_running_loop()
    started = loop.time()
    # Its own session with no connection limit, so the test's side holds every request.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as flood_session:
        flood = [asyncio.ensure_future(flood_one(flood_session, n)) for n in range(120)]
        await asyncio.sleep(0.5)  # the flood is in: every request is waiting for the hanging host
        began = loop.time()
        status, _ = await asyncio.wait_for(post(http, served, remote, follow_of(remote, served)), 15)
        first_contact = loop.time() - began
        # With a key each, busy answers come within 5 s (asserted below); after them only the
        # two fetches hanging on that host are left, and they may end now.
        deadline = loop.time() + 5
        while distinct and sum(not task.done() for task in flood) > 2 and loop.time() < deadline:
            await asyncio.sleep(0.05)
        hanging.release()
        answers = await asyncio.wait_for(asyncio.gather(*flood), 30)
    # The hanging host never answers until released, after this: waiting behind it would take
    # the whole 15 s. 5 s leaves room for a machine busy with other work.
    assert status == 202 and first_contact < 5.0, f"first contact took {first_contact:.1f} s"
    statuses = [s for s, _, _ in answers]
    assert set(statuses) <= {401, 503}
    if distinct:
        # Two fetches may hang on that host; the others are told to come back, within seconds.
        busy = [(json.loads(body), took) for s, body, took in answers if s == 503]
        assert len(busy) >= 110 and max(took for _, took in busy) < 5
        assert all(p["status"] == 503 and "busy" in p["detail"] for p, _ in busy)


async def test_a_busy_refusal_says_when_to_come_back(served, hanging):
    import asyncio

    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        async def one(n):
            activity, key_id = hanging_follow(hanging, served, n, distinct=True)
            body = json.dumps(activity).encode()
            url = f"{served.url}/inbox"
            headers = {"Content-Type": AP}
            headers.update(sign_request("POST", url, headers, body, key_id=key_id, private_key=hanging.key,
                                        scheme="cavage"))
            async with session.post(url, data=body, headers=headers) as r:
                return r.status, r.headers.get("Retry-After")

        tasks = [asyncio.ensure_future(one(n)) for n in range(4)]
        # The two beyond the host's limit are refused within its one-second wait for a slot;
        # the two holding the slots are still waiting on the hanging host, then and after.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        done: set = set()
        while len(done) < 2 and loop.time() < deadline:
            finished, _ = await asyncio.wait([t for t in tasks if t not in done], timeout=deadline - loop.time(),
                                             return_when=asyncio.FIRST_COMPLETED)
            done |= finished
        await asyncio.sleep(0.5)
        pending = [t for t in tasks if not t.done()]
        assert len(done) == 2 and len(pending) == 2
        assert all(t.result()[0] == 503 and int(t.result()[1]) > 0 for t in done)
        hanging.release()
        await asyncio.wait_for(asyncio.gather(*pending), 30)


async def test_401_details_do_not_say_what_fetching_the_key_found(served, http, remote, caplog):
    from support_nodes import free_port

    closed = FakeRemote(f"http://127.0.0.1:{free_port()}")  # nothing listens there
    missing = FakeRemote(remote.url)
    missing.actor = f"{remote.url}/users/nobody"
    missing.key_id = f"{missing.actor}#main-key"
    follow = follow_of(remote, served)
    details = {}
    with caplog.at_level("INFO", logger="fedcommons.signatures"):
        for name, sender, activity in (
            ("refused", closed, dict(follow, actor=closed.actor)),
            ("404", missing, dict(follow, actor=missing.actor)),
            ("bad signature", remote, follow),
        ):
            key = fixed_rsa() if name == "bad signature" else sender.key
            status, body = await post(http, served, sender, activity, key=key)
            assert status == 401, name
            details[name] = json.loads(body)["detail"]
    assert set(details.values()) == {"the signature could not be verified"}
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "fedcommons.signatures")
    assert f"cannot fetch key {closed.key_id}" in logged and "failed" in logged
    assert f"cannot fetch key {missing.key_id}" in logged and "answered 404" in logged
    assert f"does not verify with {remote.key_id}" in logged
    assert not any(r.exc_info for r in caplog.records), "a reason, not a traceback"
