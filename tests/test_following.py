"""Following a pool on another node, on three real nodes on 127.0.0.1: the pool's node pushes
its work, the push wakes a sync of its log into the follower's mirror, and the follower's
person reads the work in their inbox through the ActivityPub API.

C is stopped and started again: what happened while it was down reaches its mirror once it
is back (its sync worker's first round, or A's retried delivery, whichever comes first); what
happens afterwards arrives within seconds, by push.
"""

import asyncio
import base64
import hashlib
import json
import secrets
import time

import aiohttp
import pytest

from fedcommons.cli.network import with_client
from fedcommons.federation import delivery, sync_worker
from fedcommons.node import now
from fedcommons.services.accounts import oauth
from fedcommons.services.actors import remote
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.contributions.contributions import contribute, decide
from fedcommons.services.log.verify import verify_log
from fedcommons.services.replication.mirror_verify import verify_mirror
from fedcommons.store import follows as follow_store
from fedcommons.store.db import transaction
from fedcommons.store import log as log_store
from fedcommons.store import mirrors as mirror_store
from fedcommons.store import outgoing as outgoing_store
from fedcommons.web.keys import SYNC
from fedcommons.home import init_node
from fedcommons.services.replication.sync import SyncResult
from fedcommons.store import actors as actor_store
from support_nodes import RunningNode, eventually, follow_from, garden_on_three, free_port, in_cli, on_own_connection, served_node
from support_remote import Peer, serve_peer

AP = "application/activity+json"


def mirrored(running: RunningNode, origin: str, wanted) -> bool:
    """Whether C's verified mirror of `origin` holds an entry `wanted(activity)` accepts."""
    for entry in mirror_store.iter_entries(running.node.db, origin):
        if entry.body is not None and wanted(json.loads(entry.body)):
            return True
    return False


def creates(cid):
    return lambda a: a.get("type") == "Create" and isinstance(a.get("object"), dict) and a["object"].get("id") == cid


def accepts(cid):
    return lambda a: a.get("type") == "Accept" and a.get("object") == cid


def access_token(node, person: str) -> str:
    """A read token for `person`, as the authorization-code exchange issues it."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = "http://127.0.0.1:9/callback"
    code = oauth.issue_code(node, client_id="test-client", actor=person, redirect_uri=redirect,
                            scopes=("read",), code_challenge=challenge)
    return oauth.exchange_code(node, code=code, client_id="test-client", redirect_uri=redirect,
                               code_verifier=verifier)["access_token"]


@pytest.fixture
async def three(tmp_path, monkeypatch):
    # A's retries to C, down for a moment here, come every second rather than after 10 s, 60 s...
    monkeypatch.setattr(delivery, "RETRY_DELAYS", (1,) * len(delivery.RETRY_DELAYS))
    nodes = [RunningNode.create(tmp_path, name) for name in "abc"]
    for running in nodes:
        await running.start()
    try:
        yield nodes
    finally:
        for running in nodes:
            await running.stop()


async def test_a_followed_pools_work_reaches_the_mirror_and_inbox_as_it_happens(three):
    a, b, c = three
    garden, handle = await garden_on_three(a, b, c)
    origin = a.node.config.origin
    await follow_from(c.home, handle, "carol")
    await eventually(lambda: follow_store.following(c.node.db, f"{c.url}/users/carol") == [garden])

    def contribute_on_b(summary: str) -> str:
        return on_own_connection(b.home, lambda n: contribute(
            n, pool=with_client(n, lambda client: remote.resolve_pool(n, client, handle)), person="alice",
            effort="2h", kind="code", summary=summary))

    # A contribution while all three are up: A forwards it to C, whose mirror follows by push.
    first = await asyncio.to_thread(contribute_on_b, "wrote the irrigation scheduler")
    await eventually(lambda: mirrored(c, origin, creates(first)), timeout=10)
    assert c.app[SYNC].push_syncs >= 1

    # C goes down; a second contribution reaches A meanwhile.
    await c.stop()
    second = await asyncio.to_thread(contribute_on_b, "planted the beans")
    await eventually(lambda: log_store.entry_by_object(a.node.db, second, "Create"), timeout=10)
    await c.start()
    restarted = time.monotonic()
    await eventually(lambda: mirrored(c, origin, creates(second)), timeout=60)
    caught_up = time.monotonic() - restarted

    # A's steward validates: C's mirror holds it within 10 s.
    await in_cli(a.home, lambda n: decide(n, first, "bob"))
    decided = time.monotonic()
    await eventually(lambda: mirrored(c, origin, accepts(first)), timeout=10, interval=0.05)
    validation_seconds = time.monotonic() - decided
    print(f"\nsecond contribution in C's mirror {caught_up:.1f} s after C restarted; "
          f"validation {validation_seconds:.2f} s after it was made")

    # Carol reads the pool's work in her inbox through the ActivityPub API, newest first.
    token = await in_cli(c.home, lambda n: access_token(n, f"{c.url}/users/carol"))
    async with aiohttp.ClientSession() as http:
        async def inbox() -> list[dict]:
            url = f"{c.url}/users/carol/inbox?page=1"
            async with http.get(url, headers={"Accept": AP, "Authorization": f"Bearer {token}"}) as r:
                assert r.status == 200, await r.text()
                return (await r.json(content_type=None))["orderedItems"]

        async def holds_all() -> list[dict]:
            items = await inbox()
            wanted = (creates(first), creates(second), accepts(first))
            return items if all(any(w(i) for i in items) for w in wanted) else []

        items = await _eventually_async(holds_all, timeout=10)
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids))
    order = [next(n for n, i in enumerate(items) if w(i)) for w in (accepts(first), creates(second), creates(first))]
    assert order == sorted(order), "newest first"

    # Everything verifies: the three logs and every mirror any of them holds (C's of A's, at least).
    mirrors = {}
    for running in (a, b, c):
        assert verify_log(running.node).entries > 0
        for row in mirror_store.mirrors(running.node.db):
            report = await in_cli(running.home, lambda n: verify_mirror(n, row.origin, workers=0))
            assert report.entries == row.size > 0
            mirrors[running.url] = row.origin
    assert mirrors.get(c.url) == origin


async def test_a_pushed_activity_the_origins_log_lacks_never_enters_the_mirror(three):
    a, _, c = three
    await in_cli(a.home, lambda n: (create_actor(n, "person", "bob"),
                                   create_pool(n, "garden", name="Garden", stewards=["bob"])))
    await in_cli(c.home, lambda n: create_actor(n, "person", "carol"))
    garden = f"{a.url}/pools/garden"
    await follow_from(c.home, garden, "carol")
    await eventually(lambda: follow_store.following(c.node.db, f"{c.url}/users/carol") == [garden])
    origin = a.node.config.origin
    await eventually(lambda: (mirror_store.mirror(c.node.db, origin) or None)
                     and mirror_store.mirror(c.node.db, origin).size == log_store.log_size(a.node.db))
    before = c.app[SYNC].push_syncs

    # A's node signs and sends bob's Accept of a contribution that is in no log: validly
    # signed in transport, so C's inbox takes it, but A's log does not hold it.
    bogus = f"{a.url}/activities/never-logged"
    accept = {"@context": "https://www.w3.org/ns/activitystreams", "id": bogus, "type": "Accept",
              "actor": f"{a.url}/users/bob", "object": f"{a.url}/contributions/imaginary",
              "to": [f"{garden}/followers"], "published": "2026-01-01T00:00:00Z"}

    def send(node):
        with transaction(node.db):
            outgoing_store.enqueue(node.db, bogus, f"{a.url}/users/bob", json.dumps(accept).encode(),
                                   [f"{c.url}/users/carol"], now())

    await in_cli(a.home, send)
    await eventually(lambda: c.app[SYNC].push_syncs > before, timeout=10)
    await eventually(lambda: c.app[SYNC].pushes_settled, timeout=10)
    assert not mirrored(c, origin, lambda act: act.get("id") == bogus)
    assert mirror_store.mirror(c.node.db, origin).size == log_store.log_size(a.node.db)


async def _eventually_async(check, timeout: float):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.1)


# --- pushes, one by one and in bursts, honest and hostile --------------------------------


def follow_remote_pool(node, pool: str) -> None:
    """Carol on `node` follows the remote pool `pool` (as an accepted Follow leaves it)."""
    create_actor(node, "person", "carol")
    with transaction(node.db):
        actor_store.upsert_remote_actor(node.db, actor_store.ActorRow(
            pool, "pool", "garden", False, "Garden", None, f"{pool}/inbox", None, None, None, None, None,
            json.dumps({"id": pool, "type": "Group"}), now(), now()))
        follow_store.upsert_follow(node.db, f"{node.url}/users/carol", pool, f"{node.url}/follows/1",
                                   "accepted", now())


class CountingSyncs:
    """Stands in for sync_peer: counts the syncs, each of which lasts until `gate` is open."""

    def __init__(self):
        self.calls: list[str] = []
        self.running = False
        self.gate = asyncio.Event()
        self.gate.set()
        self.results: list[SyncResult] = []  # what the next syncs return; then: up to date

    async def __call__(self, node, client, url, **options):
        assert not self.running, "two syncs at once"
        self.calls.append(url)
        self.running = True
        try:
            await asyncio.wait_for(self.gate.wait(), 10)
        finally:
            self.running = False
        return self.results.pop(0) if self.results else SyncResult("origin", url, 0, 0, 0)


@pytest.fixture
async def follower(tmp_path, monkeypatch):
    """A node whose carol follows a pool on `REMOTE`, with a sync worker whose syncs are counted."""
    node = init_node(tmp_path / "c", "http://127.0.0.1:9", allow_private_addresses=True)
    follow_remote_pool(node, f"{REMOTE}/pools/garden")
    syncs = CountingSyncs()
    monkeypatch.setattr(sync_worker, "sync_peer", syncs)
    worker = sync_worker.SyncWorker(node, first_delay=3600)
    worker.start()
    yield worker, syncs
    await worker.stop()
    node.close()


REMOTE = "http://127.0.0.1:7"


async def test_a_burst_of_pushes_costs_one_sync_and_a_push_during_it_one_more(follower):
    worker, syncs = follower
    for _ in range(20):  # a burst, as the inbox takes one delivery after another
        assert worker.pushed(f"{REMOTE}/users/bob#main-key") == REMOTE
    await eventually(lambda: syncs.calls and worker.pushes_settled, timeout=5)
    assert syncs.calls == [REMOTE] and (worker.pushes, worker.push_syncs) == (20, 1)

    # Pushes while that node is being synced: one sync after it, not one each.
    syncs.gate.clear()
    worker.pushed(f"{REMOTE}/pools/garden#main-key")
    await eventually(lambda: syncs.running, timeout=5, interval=0.01)
    for _ in range(10):
        worker.pushed(f"{REMOTE}/pools/garden#ed25519-key")
        await asyncio.sleep(0.01)
    syncs.gate.set()
    await eventually(lambda: len(syncs.calls) >= 3 and worker.pushes_settled, timeout=5)
    assert syncs.calls == [REMOTE] * 3 and worker.push_syncs == 3


async def test_a_push_to_a_mirror_far_behind_goes_on_until_it_has_caught_up(follower):
    worker, syncs = follower
    # Each bounded sync fetches some pages and stops short of the checkpoint, until the last.
    syncs.results = [SyncResult("origin", REMOTE, 0, 20_000, 50_000, fetched=20_000),
                     SyncResult("origin", REMOTE, 20_000, 40_000, 50_000, fetched=20_000)]
    worker.pushed(f"{REMOTE}/users/bob#main-key")
    await eventually(lambda: len(syncs.calls) >= 3 and worker.pushes_settled, timeout=5)
    assert syncs.calls == [REMOTE] * 3 and worker.pushes == 1


@pytest.mark.parametrize("signer", [
    None, "", "garden", "acct:bob@127.0.0.1:7", "http://127.0.0.1:8/users/bob#main-key",
    "https://127.0.0.1:7/users/bob#main-key", "http://127.0.0.1:99999/users/bob", "http://[::1/users/bob",
    "http://127.0.0.1:7@evil.example/users/bob", 7, ["http://127.0.0.1:7/users/bob"],
])
async def test_a_push_from_anywhere_else_wakes_nothing(follower, signer):
    worker, syncs = follower
    assert worker.pushed(signer) is None
    await asyncio.sleep(sync_worker.PUSH_DELAY * 2)
    assert syncs.calls == [] and worker.push_syncs == 0


async def test_hostile_pushes_change_nothing_and_never_error_the_inbox(tmp_path):
    """Pushes to a node that follows a pool on `peer`: from a stranger, forged in the followed
    node's name, and malformed. The node answers each with a 4xx or takes it as an ordinary
    delivery; no sync is woken but by the followed node's own valid signature."""
    async with serve_peer() as peer, served_node(tmp_path, "c") as c:
        await in_cli(c.home, lambda n: follow_remote_pool(n, f"{peer.url}/pools/garden"))
        worker = c.app[SYNC]
        stranger = Peer(f"http://127.0.0.1:{free_port()}")  # not served: its key cannot be fetched
        bob = peer.person("bob")
        mallory = peer.person("mallory")
        published = mallory.document()
        mallory.document = lambda: published
        mallory.rsa = bob.rsa  # signs with bob's key, not the one mallory's document publishes
        assert published["publicKey"]["publicKeyPem"] != bob.document()["publicKey"]["publicKeyPem"]
        inbox = f"{c.url}/inbox"

        def activity(person, n: int) -> dict:
            return {"id": f"{person.id}/activities/{n}", "type": "Create", "actor": person.id,
                    "object": {"id": f"{person.id}/notes/{n}", "type": "Note", "attributedTo": person.id,
                               "content": "hello", "to": [f"{peer.url}/pools/garden/followers"]},
                    "to": [f"{peer.url}/pools/garden/followers"]}

        def stored() -> int:
            return c.node.db.conn.execute("SELECT count(*) FROM inbox_items").fetchone()[0]

        async with aiohttp.ClientSession() as http:
            assert (await stranger.person("eve").post(http, inbox, activity(stranger.person("eve"), 1)))[0] == 401
            assert (await mallory.post(http, inbox, activity(mallory, 1)))[0] == 401
            forged = activity(bob, 2) | {"actor": mallory.id}
            assert (await bob.post(http, inbox, forged))[0] in (401, 403)
            for body in (b"not json", b"[]", b'{"type": "Create"}', b'{"id": 5, "type": "Create"}',
                         json.dumps({"id": f"{bob.id}/x", "type": "Create", "actor": 5}).encode(), b"{" * 5000):
                async with http.post(inbox, data=body, headers={"Content-Type": AP}) as r:
                    assert 400 <= r.status < 500, (body[:40], r.status)
            assert stored() == 0 and worker.push_syncs == 0

            # A stranger's valid delivery addressed to the followed pool is taken, as any
            # delivery is, but wakes no sync and does not reach the pool's followers.
            async with serve_peer() as elsewhere:
                eve = elsewhere.person("eve")
                to_pool = activity(eve, 1) | {"to": [f"{peer.url}/pools/garden"]}
                assert (await eve.post(http, inbox, to_pool))[0] == 202
                # The followed node's own valid push is taken and wakes one sync, which fails
                # (this peer is no fedcommons node) and says so, changing no mirror.
                from_pool = activity(bob, 3) | {"to": [f"{peer.url}/pools/garden"]}
                assert (await bob.post(http, inbox, from_pool))[0] == 202
            await eventually(lambda: worker.push_syncs == 1 and worker.pushes_settled, timeout=10)
            assert peer.url in worker.last_errors
            assert mirror_store.mirrors(c.node.db) == []
            token = await in_cli(c.home, lambda n: access_token(n, f"{c.url}/users/carol"))
            async with http.get(f"{c.url}/users/carol/inbox?page=1",
                                headers={"Accept": AP, "Authorization": f"Bearer {token}"}) as r:
                assert [item["id"] for item in (await r.json(content_type=None))["orderedItems"]] == [from_pool["id"]]
            async with http.get(f"{c.url}/health") as r:
                assert r.status == 200


async def test_a_mastodon_follower_of_a_pool_still_gets_its_contributions_as_notes(tmp_path):
    """What a Mastodon-shaped server receives once its person follows a pool: the Accept, then
    each contribution as a Create of a Note (that is also a Contribution) with readable content,
    signed and with a body digest, as Mastodon requires."""
    async with serve_peer() as peer, served_node(tmp_path, "a") as a:
        await in_cli(a.home, lambda n: (create_actor(n, "person", "alice", display_name="Alice"),
                                       create_actor(n, "person", "bob"),
                                       create_pool(n, "garden", name="Garden", stewards=["bob"])))
        garden = f"{a.url}/pools/garden"
        maria = peer.person("maria")
        follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{maria.id}/follows/1",
                  "type": "Follow", "actor": maria.id, "object": garden}
        async with aiohttp.ClientSession() as http:
            assert (await maria.post(http, f"{garden}/inbox", follow))[0] == 202
        await eventually(lambda: any(body["type"] == "Accept" for _, _, body in peer.received))
        assert follow_store.followers(a.node.db, garden) == [maria.id]

        cid = await in_cli(a.home, lambda n: contribute(n, pool="garden", person="alice", effort="3h", kind="code",
                                                        summary="fixed the parser"))
        name, headers, create = await eventually(
            lambda: next((r for r in peer.received if r[2]["type"] == "Create"), None))
        assert name == "maria"
        note = create["object"]
        assert note["id"] == cid and note["type"][0] == "Note" and "Contribution" in note["type"]
        assert note["content"] == "<p>Alice put 3 h of code into Garden: fixed the parser</p>"
        assert note["attributedTo"] == create["actor"] == f"{a.url}/users/alice"
        assert f"{garden}/followers" in create["cc"] + create.get("to", [])
        assert "Signature" in headers or "Signature-Input" in headers
        assert "Digest" in headers or "Content-Digest" in headers
