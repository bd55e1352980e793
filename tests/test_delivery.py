"""The durable delivery queue: fan-out, backoff, give-up, wake, restart, limits, CLI.

Most tests drive the worker with a fake client (the two methods it uses) and a fake
clock, so a three-day retry schedule runs in milliseconds. One test delivers over real
HTTP on 127.0.0.1 with the real client and checks every signature.
"""

import asyncio
import json
import random
import time
from collections import Counter

import pytest
from support_cli import run
from support_nodes import serve_on_loopback

from fedcommons.errors import BadInput, FetchError
from fedcommons.federation.addressing import host_of
from fedcommons.federation.client import Client
from fedcommons.federation.delivery import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    WAKE_INTERVAL,
    DeliveryWorker,
    retry_delay,
)
from fedcommons.node import now
from fedcommons.services.moderation.blocks import block
from fedcommons.home import init_node, open_node
from fedcommons.store import deliveries as store
from fedcommons.store import outgoing
from fedcommons.store.actors import ActorRow, upsert_remote_actor
from fedcommons.store.db import open_db, transaction
from fedcommons.store.follows import upsert_follow

URL = "http://127.0.0.1:8080"
DAY = 86400
WAIT = 5.0  # upper bound for every drain: a hang fails fast instead of stalling the suite


class Clock:
    """A clock that moves only when told."""

    def __init__(self, t: float = 1_700_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class FakeClient:
    """Stands in for federation.client.Client and plays the receiving servers.

    ``answers`` maps an inbox to a list of statuses (or exceptions) used in turn, the last
    one repeating; ``received`` counts POSTs that completed with a 2xx, per (inbox,
    activity id), as a receiver deduplicating on the activity id would see them.
    """

    def __init__(self, answers=None, actors=None, *, delay=0.0, gate=None, received=None):
        self.answers = answers or {}
        self.actors = actors or {}
        self.delay = delay
        self.gate = gate  # inbox -> asyncio.Event a POST waits on
        self.posts: list[str] = []
        self.received = received if received is not None else Counter()
        self.actor_calls: list[tuple[str, bool]] = []
        self.active: Counter = Counter()
        self.max_active: Counter = Counter()
        self.max_total = 0

    async def post(self, inbox: str, body: bytes, sender: ActorRow) -> int:
        assert sender.local
        host = host_of(inbox)
        self.posts.append(inbox)
        self.active[host] += 1
        self.max_active[host] = max(self.max_active[host], self.active[host])
        self.max_total = max(self.max_total, sum(self.active.values()))
        try:
            if self.gate and inbox in self.gate:
                await self.gate[inbox].wait()
            if self.delay:
                await asyncio.sleep(self.delay)
            queue = self.answers.get(inbox, [202])
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
            if isinstance(answer, Exception):
                raise answer
            if 200 <= answer < 300:
                self.received[(inbox, json.loads(body)["id"])] += 1
            return answer
        finally:
            self.active[host] -= 1

    async def actor(self, url: str, *, refresh: bool = False) -> ActorRow:
        self.actor_calls.append((url, refresh))
        queue = self.actors[url]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def remote_actor(actor_id: str, inbox: str | None = None, shared: str | None = None) -> ActorRow:
    return ActorRow(
        id=actor_id, kind="person", name=actor_id.rsplit("/", 1)[-1], local=False, display_name=None,
        summary=None, inbox=inbox if inbox is not None else f"{actor_id}/inbox", shared_inbox=shared,
        rsa_key_id=None, rsa_public_pem=None, ed25519_key_id=None, ed25519_multibase=None,
        document=None, fetched_at=now(), created_at=now(),
    )


def store_actor(node, actor_id, inbox=None, shared=None) -> ActorRow:
    row = remote_actor(actor_id, inbox, shared)
    upsert_remote_actor(node.db, row)
    return row


def follow(node, follower, followee, state="accepted"):
    upsert_follow(node.db, follower, followee, f"{follower}#follows/{len(follower)}", state, now())


_sent = iter(range(1_000_000))


def send(node, recipients, db=None) -> str:
    """Queue an activity from the instance actor, as the outbox does."""
    activity_id = f"{URL}/activities/{next(_sent)}"
    body = json.dumps({"id": activity_id, "type": "Create", "actor": node.actor_id}).encode()
    db = db or node.db
    with transaction(db):
        outgoing.enqueue(db, activity_id, node.actor_id, body, recipients, now())
    return activity_id


def rows(node, state=None):
    return sorted(store.listing(node.db, state, limit=10_000), key=lambda r: r.id)


@pytest.fixture(scope="module")
def base_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("node") / "home"
    init_node(home, URL, allow_private_addresses=True).close()
    return home


@pytest.fixture
def clock():
    return Clock()


def worker_for(node, client, clock, **kwargs) -> DeliveryWorker:
    kwargs.setdefault("poll", 0.005)
    return DeliveryWorker(node, client, clock=clock, rng=random.Random(7), **kwargs)


async def run_until_drained(worker: DeliveryWorker) -> None:
    worker.notify()
    await worker.drain(WAIT)


async def deliver_all(node, client, clock) -> None:
    """Start a worker, let it finish what is due, stop it."""
    worker = worker_for(node, client, clock)
    worker.start()
    try:
        await run_until_drained(worker)
    finally:
        await worker.stop()


# -- the retry schedule --------------------------------------------------------------------


def test_first_retry_is_within_seconds():
    rng = random.Random(1)
    delays = [retry_delay(1, rng) for _ in range(200)]
    assert 8 <= min(delays) and max(delays) <= 12


def test_schedule_ends_about_three_days_after_the_first_attempt():
    assert sum(RETRY_DELAYS) == pytest.approx(2.94 * DAY, rel=0.01)
    for seed in range(50):
        rng = random.Random(seed)
        total = sum(retry_delay(n, rng) for n in range(1, MAX_ATTEMPTS))
        assert 2.5 * DAY < total < 3.5 * DAY


def test_delays_grow_then_cap_and_attempts_count_from_one():
    rng = random.Random(0)
    assert list(RETRY_DELAYS) == sorted(RETRY_DELAYS)
    assert retry_delay(40, rng) <= RETRY_DELAYS[-1] * 1.2
    with pytest.raises(ValueError):
        retry_delay(0, rng)


# -- fan-out -------------------------------------------------------------------------------


async def test_fan_out_dedupes_shared_inboxes(node, clock):
    for name in ("ann", "bea", "cid"):
        store_actor(node, f"https://a.example/users/{name}", shared="https://a.example/inbox")
    store_actor(node, "https://b.example/users/dan")  # no shared inbox
    unknown = {  # not stored yet: fetched through the client, same shared inbox
        f"https://c.example/u/{n}": [remote_actor(f"https://c.example/u/{n}", shared="https://c.example/inbox")]
        for n in ("eve", "fay")
    }
    client = FakeClient(actors=unknown)
    recipients = [
        "https://www.w3.org/ns/activitystreams#Public", node.actor_id,
        "https://a.example/users/ann", "https://a.example/users/bea", "https://a.example/users/cid",
        "https://b.example/users/dan", *unknown,
    ]
    activity = send(node, recipients)
    await deliver_all(node, client, clock)
    assert sorted(client.posts) == [
        "https://a.example/inbox", "https://b.example/users/dan/inbox", "https://c.example/inbox",
    ]
    assert set(client.received.values()) == {1}
    assert sorted(r.inbox for r in rows(node)) == sorted(client.posts)
    assert {r.state for r in rows(node)} == {"delivered"}
    assert {r.activity_id for r in rows(node)} == {activity}


async def test_local_followers_collection_expands_to_accepted_remote_followers(node, clock):
    for name in ("ann", "bob"):
        store_actor(node, f"https://f.example/users/{name}")
        follow(node, f"https://f.example/users/{name}", node.actor_id)
    store_actor(node, "https://f.example/users/pending")
    follow(node, "https://f.example/users/pending", node.actor_id, state="pending")
    client = FakeClient()
    send(node, [f"{node.actor_id}/followers"])
    await deliver_all(node, client, clock)
    assert sorted(client.posts) == ["https://f.example/users/ann/inbox", "https://f.example/users/bob/inbox"]


async def test_an_activity_for_nobody_remote_is_marked_fanned_out_with_no_deliveries(node, clock):
    send(node, ["https://www.w3.org/ns/activitystreams#Public", node.actor_id, f"{node.actor_id}/followers"])
    worker = worker_for(node, FakeClient(), clock)
    worker.start()
    try:
        await run_until_drained(worker)
    finally:
        await worker.stop()
    assert rows(node) == []
    assert not outgoing.has_pending(node.db)


# -- due, retry, give up -------------------------------------------------------------------


def queue_directly(node, clock, inbox, due_in: float) -> int:
    """A delivery row written straight to the queue, due ``due_in`` seconds from now."""
    activity = send(node, [])
    with transaction(node.db):
        outgoing.mark_fanned_out(node.db, outgoing.pending(node.db)[0].id)
        store.add(node.db, activity, node.actor_id, inbox, host_of(inbox), clock() + due_in, now())
    return node.db.conn.execute("SELECT max(id) FROM deliveries").fetchone()[0]


async def test_only_due_rows_are_sent(node, clock):
    queue_directly(node, clock, "https://a.example/inbox", 0)
    later = queue_directly(node, clock, "https://b.example/inbox", 3600)
    client = FakeClient()
    worker = worker_for(node, client, clock)
    worker.start()
    try:
        await run_until_drained(worker)
        assert client.posts == ["https://a.example/inbox"]
        assert store.get(node.db, later).state == "pending"
        clock.advance(3600)
        await worker.drain(WAIT)
        assert client.posts == ["https://a.example/inbox", "https://b.example/inbox"]
    finally:
        await worker.stop()
    assert store.get(node.db, later).state == "delivered"


async def test_backoff_after_a_500_then_success(node, clock):
    inbox = "https://a.example/inbox"
    row_id = queue_directly(node, clock, inbox, 0)
    client = FakeClient(answers={inbox: [500, 202]})
    worker = worker_for(node, client, clock)
    worker.start()
    try:
        await run_until_drained(worker)
        row = store.get(node.db, row_id)
        assert (row.state, row.attempts, row.last_status) == ("pending", 1, 500)
        assert clock() + 8 <= row.next_attempt_at <= clock() + 12
        clock.advance(5)
        await worker.drain(WAIT)
        assert len(client.posts) == 1  # not due yet
        clock.advance(8)
        await worker.drain(WAIT)
    finally:
        await worker.stop()
    row = store.get(node.db, row_id)
    assert (row.state, row.attempts, row.last_status, row.last_error) == ("delivered", 2, 202, None)
    assert len(client.posts) == 2


async def test_nothing_is_sent_to_a_blocked_server_or_actor(node, clock):
    blocked_host = queue_directly(node, clock, "https://social.blocked.example/inbox", 0)
    blocked_actor = queue_directly(node, clock, "https://open.example/users/troll/inbox", 0)
    allowed = queue_directly(node, clock, "https://open.example/users/friend/inbox", 0)
    block(node, "blocked.example")
    block(node, "https://open.example/users/troll/inbox")
    client = FakeClient()
    await deliver_all(node, client, clock)
    assert client.posts == ["https://open.example/users/friend/inbox"]
    for row_id in (blocked_host, blocked_actor):
        row = store.get(node.db, row_id)
        assert row.state == "failed" and "blocked on this node" in row.last_error
    assert store.get(node.db, allowed).state == "delivered"


@pytest.mark.parametrize("status", [400, 403, 404, 410, 422])
async def test_other_4xx_fail_at_once(node, clock, status):
    inbox = "https://gone.example/inbox"
    row_id = queue_directly(node, clock, inbox, 0)
    client = FakeClient(answers={inbox: [status]})
    worker = worker_for(node, client, clock)
    worker.start()
    try:
        await run_until_drained(worker)
        clock.advance(10 * DAY)
        await worker.drain(WAIT)
    finally:
        await worker.stop()
    row = store.get(node.db, row_id)
    assert (row.state, row.attempts, row.last_status) == ("failed", 1, status)
    assert client.posts == [inbox]


@pytest.mark.parametrize("answer", [401, 408, 429, 502, 503, FetchError("POST timed out after 10 s")])
async def test_retryable_answers_stay_pending(node, clock, answer):
    inbox = "https://busy.example/inbox"
    row_id = queue_directly(node, clock, inbox, 0)
    worker = worker_for(node, FakeClient(answers={inbox: [answer]}), clock)
    worker.start()
    try:
        await run_until_drained(worker)
    finally:
        await worker.stop()
    row = store.get(node.db, row_id)
    assert (row.state, row.attempts) == ("pending", 1)
    if isinstance(answer, Exception):
        assert row.last_status is None and "timed out" in row.last_error
    else:
        assert row.last_status == answer


async def test_a_request_that_cannot_be_made_fails_at_once(node, clock):
    inbox = "https://a.example/inbox"
    row_id = queue_directly(node, clock, inbox, 0)
    worker = worker_for(node, FakeClient(answers={inbox: [BadInput("cannot sign")]}), clock)
    worker.start()
    try:
        await run_until_drained(worker)
    finally:
        await worker.stop()
    assert store.get(node.db, row_id).state == "failed"


async def test_gives_up_about_three_days_after_the_first_attempt(node, clock):
    inbox = "https://down.example/inbox"
    row_id = queue_directly(node, clock, inbox, 0)
    client = FakeClient(answers={inbox: [503]})
    worker = worker_for(node, client, clock)
    first = clock()
    worker.start()
    try:
        await run_until_drained(worker)
        for _ in range(MAX_ATTEMPTS + 2):  # bounded: a worker that never gives up fails here
            row = store.get(node.db, row_id)
            if row.state != "pending":
                break
            clock.t = row.next_attempt_at
            await worker.drain(WAIT)
    finally:
        await worker.stop()
    row = store.get(node.db, row_id)
    assert (row.state, row.attempts, row.last_status) == ("failed", MAX_ATTEMPTS, 503)
    assert "gave up after 13 attempts" in row.last_error
    assert 2.5 * DAY < clock() - first < 3.5 * DAY
    assert len(client.posts) == MAX_ATTEMPTS


async def test_wake_makes_that_hosts_waiting_rows_due_at_once(node, clock):
    a1 = queue_directly(node, clock, "https://a.example/users/1/inbox", 0)
    a2 = queue_directly(node, clock, "https://a.example/users/2/inbox", 0)
    b = queue_directly(node, clock, "https://b.example/inbox", 0)
    answers = {r.inbox: [503, 202] for r in rows(node)}
    client = FakeClient(answers=answers)
    worker = worker_for(node, client, clock)
    worker.start()
    try:
        await run_until_drained(worker)
        assert {store.get(node.db, i).state for i in (a1, a2, b)} == {"pending"}
        worker.wake("A.example")
        await worker.drain(WAIT)
        worker.wake("quiet.example")  # nothing waiting there: no effect
        await worker.drain(WAIT)
    finally:
        await worker.stop()
    assert [store.get(node.db, i).state for i in (a1, a2, b)] == ["delivered", "delivered", "pending"]
    assert len(client.posts) == 5


async def test_a_wake_that_finds_nothing_waiting_does_not_use_up_the_interval(node, clock):
    row_id = queue_directly(node, clock, "https://c.example/inbox", 0)
    client = FakeClient(answers={"https://c.example/inbox": [503, 202]})
    worker = worker_for(node, client, clock)
    worker.start()
    try:
        worker.wake("c.example")  # a request from c.example while its row is due, not waiting
        await run_until_drained(worker)
        assert store.get(node.db, row_id).state == "pending"  # the 503: now it waits for a retry
        worker.wake("c.example")  # the next request, at the same moment, finds it waiting
        await worker.drain(WAIT)
    finally:
        await worker.stop()
    assert store.get(node.db, row_id).state == "delivered"
    assert len(client.posts) == 2


async def test_wake_is_throttled_per_host(node, clock):
    row_id = queue_directly(node, clock, "https://down.example/inbox", 0)
    client = FakeClient(answers={"https://down.example/inbox": [503]})
    worker = worker_for(node, client, clock)
    worker.start()
    try:
        await run_until_drained(worker)
        worker.wake("down.example")
        await worker.drain(WAIT)
        assert store.get(node.db, row_id).attempts == 2
        for _ in range(5):  # a stream of requests naming the host does not undo the backoff
            worker.wake("down.example")
            await worker.drain(WAIT)
        assert store.get(node.db, row_id).attempts == 2
        clock.advance(WAKE_INTERVAL)
        worker.wake("down.example")
        await worker.drain(WAIT)
        assert store.get(node.db, row_id).attempts == 3
    finally:
        await worker.stop()


async def test_unresolvable_recipient_is_kept_and_retried(node, clock, home):
    actor_id = "https://late.example/users/zoe"
    client = FakeClient(actors={actor_id: [FetchError(f"GET {actor_id} answered 503", upstream_status=503),
                                          remote_actor(actor_id, shared="https://late.example/inbox")]})
    send(node, [actor_id])
    worker = worker_for(node, client, clock)
    worker.start()
    try:
        await run_until_drained(worker)
        [row] = rows(node)
        assert (row.inbox, row.recipient, row.state, row.attempts) == (None, actor_id, "pending", 1)
        assert "cannot resolve the inbox" in row.last_error
        listed = json.loads(cli(home, "deliveries", "--format", "json"))
        assert listed[0]["inbox"] is None and listed[0]["recipient"] == actor_id
        clock.advance(13)
        await worker.drain(WAIT)
    finally:
        await worker.stop()
    [row] = rows(node)
    assert (row.inbox, row.recipient, row.state) == ("https://late.example/inbox", None, "delivered")
    assert client.actor_calls == [(actor_id, False), (actor_id, True)]


@pytest.mark.parametrize("status", [404, 410])
async def test_a_recipient_whose_server_says_it_is_gone_fails_at_once(node, clock, status):
    actor_id = "https://gone.example/users/zoe"
    client = FakeClient(actors={actor_id: [FetchError(f"GET {actor_id} answered {status}", upstream_status=status)]})
    send(node, [actor_id])
    await deliver_all(node, client, clock)
    [row] = rows(node)
    assert (row.state, row.attempts) == ("failed", 1)
    assert f"answered {status}" in row.last_error
    assert client.actor_calls == [(actor_id, False)]


# -- durability, processes, limits ---------------------------------------------------------


async def test_a_restarted_worker_delivers_everything_exactly_once(home, clock):
    node = open_node(home)
    fast = [f"https://fast.example/users/{i}/inbox" for i in range(6)]
    slow = [f"https://slow.example/users/{i}/inbox" for i in range(6)]
    for inbox in fast + slow:
        store_actor(node, inbox.removesuffix("/inbox"))
    first = send(node, [i.removesuffix("/inbox") for i in fast + slow])
    second = send(node, [i.removesuffix("/inbox") for i in slow])
    received: Counter = Counter()
    closed = {inbox: asyncio.Event() for inbox in slow}  # slow.example never answers
    worker = worker_for(node, FakeClient(gate=closed, received=received), clock)
    worker.start()
    worker.notify()
    try:
        async with asyncio.timeout(WAIT):
            while sum(1 for r in rows(node, "delivered")) < len(fast):
                await asyncio.sleep(0.005)
    finally:
        await worker.stop()  # POSTs to slow.example are cut off mid-flight
    assert {r.inbox for r in rows(node, "pending")} == set(slow)
    node.close()

    node = open_node(home)  # a new process: new connection, new worker
    client = FakeClient(received=received)
    worker = worker_for(node, client, clock)
    worker.start()
    try:
        await worker.drain(WAIT)
    finally:
        await worker.stop()
    assert {r.state for r in rows(node)} == {"delivered"}
    expected = {(i, first) for i in fast + slow} | {(i, second) for i in slow}
    assert set(received) == expected
    assert set(received.values()) == {1}
    assert not set(client.posts) & set(fast)
    node.close()


async def test_rows_written_by_another_process_are_delivered_without_notify(node, clock):
    store_actor(node, "https://x.example/users/ada")
    worker = worker_for(node, FakeClient(), clock)
    worker.start()
    other = open_db(node.config.database)  # what a CLI command in another process holds
    try:
        await worker.drain(WAIT)
        send(node, ["https://x.example/users/ada"], db=other)
        await asyncio.sleep(0.05)
        await worker.drain(WAIT)
        assert [r.state for r in rows(node)] == ["delivered"]
    finally:
        other.conn.close()
        await worker.stop()


async def test_per_host_and_total_limits_hold(node, clock):
    recipients = []
    for host in ("a.example", "b.example", "c.example"):
        for i in range(8):
            actor_id = f"https://{host}/users/{i}"
            store_actor(node, actor_id)
            recipients.append(actor_id)
    send(node, recipients)
    client = FakeClient(delay=0.01)
    worker = worker_for(node, client, clock, per_host=2, total=5)
    worker.start()
    try:
        await run_until_drained(worker)
    finally:
        await worker.stop()
    assert len(client.posts) == 24
    assert max(client.max_active.values()) == 2
    assert client.max_total == 5


async def test_drain_times_out_when_deliveries_cannot_finish(node, clock):
    inbox = "https://stuck.example/inbox"
    queue_directly(node, clock, inbox, 0)
    worker = worker_for(node, FakeClient(gate={inbox: asyncio.Event()}), clock)
    worker.start()
    try:
        with pytest.raises(TimeoutError):
            await worker.drain(0.1)
    finally:
        await worker.stop()
    assert [r.state for r in rows(node)] == ["pending"]


async def test_stop_right_after_a_notify_returns(node, clock):
    # The kick and the cancellation land in the same turn of the event loop.
    for _ in range(20):
        worker = worker_for(node, FakeClient(), clock)
        worker.start()
        await asyncio.sleep(0.002)
        worker.notify()
        async with asyncio.timeout(WAIT):
            await worker.stop()


# -- the command ---------------------------------------------------------------------------


def cli(home, *args):
    return run(home, *args).stdout


def test_cli_lists_newest_first_and_retries_failed(node, home, clock):
    old = queue_directly(node, clock, "https://a.example/inbox", 0)
    new = queue_directly(node, clock, "https://b.example/inbox", 60)
    with transaction(node.db):
        store.record(node.db, store.Outcome(old, "failed", status=410, error="HTTP 410"))
    listed = json.loads(cli(home, "deliveries", "--format", "json"))
    assert [d["id"] for d in listed] == [new, old]
    assert listed[1]["next_attempt_at"] is None  # settled rows have no next attempt
    assert (listed[1]["state"], listed[1]["last_status"], listed[1]["attempts"]) == ("failed", 410, 1)
    assert listed[0]["next_attempt_at"].endswith("Z")
    assert [d["id"] for d in json.loads(cli(home, "deliveries", "--state", "failed", "--format", "json"))] == [old]
    assert len(json.loads(cli(home, "deliveries", "--limit", "1", "--format", "json"))) == 1
    text = cli(home, "deliveries")
    assert "https://a.example/inbox" in text and "failed" in text and "HTTP 410" in text

    assert "1 failed delivery is pending again" in cli(home, "deliveries", "--retry-failed")
    row = store.get(node.db, old)
    assert (row.state, row.attempts) == ("pending", 0)
    assert cli(home, "deliveries", "--state", "failed", "--format", "json").strip() == "[]"


# -- over real HTTP ------------------------------------------------------------------------


async def test_delivers_signed_posts_to_a_real_receiver(tmp_path):
    from aiohttp import web

    from fedcommons.sig.httpsig import parse_request
    from fedcommons.sig.keys import load_public_pem
    from fedcommons.store.actors import actor

    received: Counter = Counter()
    problems: list[str] = []
    public_keys = {}

    async def inbox(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            signed = parse_request(request.method, request.path_qs, request.headers, body,
                                   base_url=f"http://{request.host}")
            result = signed.verify(public_keys[signed.key_id])
            if not result.ok:
                raise ValueError(result.reason)
        except Exception as exc:  # the test reports every bad request below
            problems.append(f"{request.path}: {exc}")
            return web.Response(status=401)
        received[(request.path, json.loads(body)["id"])] += 1
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/{path:.*}", inbox)
    runner, port = await serve_on_loopback(app)
    peer = f"http://127.0.0.1:{port}"

    node = init_node(tmp_path / "home", URL, allow_private_addresses=True)
    me = actor(node.db, node.actor_id)
    public_keys[me.rsa_key_id] = load_public_pem(me.rsa_public_pem)
    for name in ("ann", "bob"):
        store_actor(node, f"{peer}/users/{name}", shared=f"{peer}/inbox")
    store_actor(node, f"{peer}/solo/cy")
    for name in ("ann", "bob"):
        follow(node, f"{peer}/users/{name}", node.actor_id)
    activity = send(node, [f"{node.actor_id}/followers", f"{peer}/solo/cy"])

    client = Client(node)
    worker = DeliveryWorker(node, client, poll=0.01)
    worker.start()
    try:
        await run_until_drained(worker)
    finally:
        await worker.stop()
        await client.close()
        await runner.cleanup()
        node.close()
    assert problems == []
    assert received == {("/inbox", activity): 1, ("/solo/cy/inbox", activity): 1}


async def test_retry_failed_from_another_process_reaches_a_running_worker(node, home):
    clock = Clock(time.time() + 60)  # the command stamps rows with the real time
    inbox = "https://flaky.example/inbox"
    row_id = queue_directly(node, clock, inbox, 0)
    client = FakeClient(answers={inbox: [410, 202]})
    worker = worker_for(node, client, clock)
    worker.start()
    try:
        await run_until_drained(worker)
        assert store.get(node.db, row_id).state == "failed"
        cli(home, "deliveries", "--retry-failed")  # its own connection, as another process has
        await asyncio.sleep(0.05)
        await worker.drain(WAIT)
    finally:
        await worker.stop()
    assert store.get(node.db, row_id).state == "delivered"
    assert client.posts == [inbox, inbox]
