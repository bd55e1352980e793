"""`fedcommons serve --workers N` and several server processes on one PostgreSQL database:
real processes on loopback share the inbox and the delivery queue, handle every item once,
take over the claims of a process that died once its lease lapses, and wake each other
with NOTIFY rather than by polling. On SQLite, more than one worker is refused."""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiohttp import web
from support_cli import invoke, run
from support_disk import SOURCE_ROOT
from support_nodes import eventually, free_port, in_cli, serve_on_loopback

from fedcommons import urls
from fedcommons.node import now
from fedcommons.store import actors as actor_store
from fedcommons.store import deliveries as delivery_store
from fedcommons.store import inbox as inbox_store
from fedcommons.store import outgoing as outgoing_store
from fedcommons.store.actors import ActorRow
from fedcommons.store.db import transaction

BURST = 40
START_SECONDS = 30.0


def node_home(tmp_path: Path, port: int, **settings) -> Path:
    """A new node home for http://127.0.0.1:port (its data where the run's backend keeps
    them), with `settings` added to its config."""
    home = tmp_path / "home"
    run(home, "init", "--url", f"http://127.0.0.1:{port}", "--allow-private-addresses")
    path = home / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **settings}, indent=2) + "\n")
    return home


@contextmanager
def serving(home: Path, port: int, *options: str):
    """`fedcommons serve --port PORT OPTIONS...` in a process of its own, its output in a
    file (the path is yielded); stopped with SIGTERM, bounded, afterwards."""
    output = home.parent / f"serve-{port}.log"
    with open(output, "w") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "fedcommons", "--home", str(home), "serve", "--port", str(port), *options],
            env=dict(os.environ, PYTHONPATH=str(SOURCE_ROOT)), stdout=sink, stderr=subprocess.STDOUT)
        try:
            yield server, output
        finally:
            server.terminate()
            try:
                server.wait(timeout=45)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


def lines(output: Path, pattern: str) -> list[str]:
    return re.findall(pattern, output.read_text())


async def listening(output: Path, processes: int) -> None:
    """Until `processes` server processes listen for each other's announcements."""
    await eventually(lambda: len(lines(output, "listening for work announced by other processes")) >= processes,
                     timeout=START_SECONDS)


def store_inbox_items(node, ids: list[str]) -> None:
    """Store inbox items as another server process's inbox would (announcing them)."""
    body = lambda activity_id: json.dumps({"id": activity_id, "type": "Travel", "actor": "https://elsewhere.example/u"})
    rows = [(a, body(a).encode(), "https://elsewhere.example/u", None, None) for a in ids]
    with transaction(node.db):
        inbox_store.insert_items(node.db, rows, now())


def queue_activities(node, inbox_url: str, ids: list[str]) -> None:
    """Queue activities from the node actor to a remote actor whose inbox is `inbox_url`,
    as a CLI command in another process would (announcing them)."""
    recipient = inbox_url.rsplit("/", 1)[0] + "/actor"
    with transaction(node.db):
        actor_store.upsert_remote_actor(node.db, ActorRow(
            recipient, "person", "peer", False, None, None, inbox_url, None, None, None, None, None, None, now(), now()))
        sender = urls.node_actor(node.config.url)
        outgoing_store.enqueue_many(node.db, [
            (a, sender, json.dumps({"id": a, "type": "Announce", "actor": sender}).encode(), [recipient])
            for a in ids], now())


async def fake_inbox(hold_first: bool = False):
    """A remote inbox on loopback that counts the activities POSTed to it, by id; with
    `hold_first`, the first POST is never answered (a peer that hangs)."""
    received: Counter[str] = Counter()
    held, released = asyncio.Event(), asyncio.Event()

    async def inbox(request: web.Request) -> web.Response:
        activity = json.loads(await request.read())
        if hold_first and not held.is_set():
            held.set()
            await asyncio.wait_for(released.wait(), 60)  # never, while the test runs
        received[activity["id"]] += 1
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/inbox", inbox)
    runner, port = await serve_on_loopback(app)

    async def stop() -> None:
        released.set()
        await runner.cleanup()

    return stop, f"http://127.0.0.1:{port}/inbox", received, held


def handled(home: Path, ids: list[str], state: str) -> bool:
    """Whether every item is in `state` (read on a connection of the test's own)."""
    from support_nodes import on_own_connection

    def states(node):
        rows = node.db.conn.execute("SELECT activity_id, state FROM inbox_items").fetchall()
        return {a: s for a, s in rows}

    found = on_own_connection(home, states)
    return all(found.get(a) == state for a in ids)


def delivered(home: Path) -> dict[str, int]:
    from support_nodes import on_own_connection

    return on_own_connection(home, lambda node: delivery_store.counts(node.db))


@pytest.mark.sqlite_only("the refusal is SQLite's: a node on PostgreSQL serves with several workers")
def test_serve_with_two_workers_on_sqlite_is_refused(tmp_path):
    home = tmp_path / "home"
    run(home, "init", "--url", "http://127.0.0.1:8080")
    result = invoke(home, "serve", "--workers", "2", "--port", str(free_port()))
    assert result.exit_code == 2, result.output
    assert "--workers 2: a node on SQLite is served by one process" in result.output
    assert "PostgreSQL" in result.output


def test_serve_help_documents_workers():
    result = invoke(Path("/nonexistent"), "serve", "--help")
    assert result.exit_code == 0
    assert "--workers N" in result.output and "PostgreSQL" in result.output


@pytest.mark.postgresql_only("several server processes share a PostgreSQL database")
async def test_two_workers_handle_a_burst_of_inbox_items_and_deliveries_once_each(tmp_path):
    port = free_port()
    # A short poll: this test is about claims, not about how the processes are woken.
    home = node_home(tmp_path, port, shared_poll_seconds=0.5, claim_lease_seconds=10)
    stop, inbox_url, received, _ = await fake_inbox()
    items = [f"https://elsewhere.example/activities/{n}" for n in range(BURST)]
    activities = [f"http://127.0.0.1:{port}/activities/burst-{n}" for n in range(BURST)]
    try:
        with serving(home, port, "--workers", "2") as (server, output):
            await listening(output, 2)
            await asyncio.gather(in_cli(home, lambda node: store_inbox_items(node, items)),
                                 in_cli(home, lambda node: queue_activities(node, inbox_url, activities)))
            await eventually(lambda: handled(home, items, "ignored"), timeout=60)
            await eventually(lambda: delivered(home)["delivered"] == BURST, timeout=60)
            assert server.poll() is None
        log = output.read_text()
    finally:
        await stop()
    # Each inbox item was handled by one process, once; each activity POSTed once.
    outcomes = Counter(re.findall(r"inbox (https://elsewhere\.example/activities/\d+) ignored", log))
    assert outcomes == Counter({item: 1 for item in items}), log
    assert received == Counter({activity: 1 for activity in activities})
    assert delivered(home) == {"pending": 0, "delivered": BURST, "failed": 0}
    assert "Traceback" not in log, log


@pytest.mark.postgresql_only("claims and their leases are how processes share a PostgreSQL database")
async def test_a_killed_workers_delivery_is_sent_by_another_after_its_lease(tmp_path):
    port = free_port()
    home = node_home(tmp_path, port, shared_poll_seconds=0.5, claim_lease_seconds=2)
    stop, inbox_url, received, held = await fake_inbox(hold_first=True)
    activity = f"http://127.0.0.1:{port}/activities/held"
    try:
        with serving(home, port, "--workers", "2") as (server, output):
            await listening(output, 2)
            await in_cli(home, lambda node: queue_activities(node, inbox_url, [activity]))
            await asyncio.wait_for(held.wait(), 30)  # one worker's POST hangs at the peer

            def holder() -> str | None:
                from support_nodes import on_own_connection

                return on_own_connection(home, lambda node: node.db.conn.execute(
                    "SELECT claimed_by FROM deliveries WHERE activity_id = ? AND claimed_until IS NOT NULL",
                    (activity,)).fetchone())

            claimed_by = (await eventually(holder, timeout=10))[0]
            pid = int(claimed_by.split(":")[1])
            os.kill(pid, signal.SIGKILL)
            killed_at = time.monotonic()
            await eventually(lambda: delivered(home)["delivered"] == 1, timeout=30)
            took = time.monotonic() - killed_at
            answered = received[activity]  # before the hung POST is let go
            # The parent reports the death and starts the worker again.
            await eventually(lambda: lines(output, rf"worker \d \(pid {pid}\) was killed by SIGKILL"), timeout=10)
            assert server.poll() is None
    finally:
        await stop()
    assert answered == 1  # the hung POST never was answered; the other worker's was
    assert took < 20, took


@pytest.mark.postgresql_only("NOTIFY is how processes on a PostgreSQL database wake each other")
async def test_work_stored_by_another_process_is_taken_at_once_not_at_the_next_poll(tmp_path):
    port = free_port()
    # Polling alone would take a minute: only a notification can be this prompt.
    home = node_home(tmp_path, port, shared_poll_seconds=60)
    stop, inbox_url, received, _ = await fake_inbox()
    item = "https://elsewhere.example/activities/woken"
    activity = f"http://127.0.0.1:{port}/activities/woken"
    try:
        with serving(home, port, "--workers", "2") as (server, output):
            await listening(output, 2)
            await asyncio.sleep(1)  # past the workers' first look at the queues
            started = time.monotonic()
            await in_cli(home, lambda node: store_inbox_items(node, [item]))
            await eventually(lambda: handled(home, [item], "ignored"), timeout=10)
            inbox_took = time.monotonic() - started
            started = time.monotonic()
            await in_cli(home, lambda node: queue_activities(node, inbox_url, [activity]))
            await eventually(lambda: received[activity] == 1, timeout=10)
            delivery_took = time.monotonic() - started
    finally:
        await stop()
    assert inbox_took < 5 and delivery_took < 5, (inbox_took, delivery_took)


@pytest.mark.postgresql_only("FOR UPDATE SKIP LOCKED claims are for processes sharing PostgreSQL")
def test_claims_skip_what_another_process_is_claiming_and_take_what_a_dead_one_held(tmp_path):
    from fedcommons.home import open_node
    from fedcommons.store.db import wait_for_locks

    home = node_home(tmp_path, free_port())
    a, b = open_node(home), open_node(home)
    try:
        items = [f"https://elsewhere.example/activities/{n}" for n in range(6)]
        store_inbox_items(a, items)
        with transaction(a.db):
            for n in range(6):
                delivery_store.add(a.db, f"urn:x:{n}", "urn:sender", f"https://h{n % 2}.example/inbox",
                                   f"h{n % 2}.example", 0.0, now())
        at, t = now(), time.time()
        wait_for_locks(b.db, 2000)  # a claim that waited for a's locks would fail, not hang
        a.db.conn.execute("BEGIN")  # a's claims stay locked until it commits
        mine = inbox_store.claim(a.db, "a", at, t, t + 60, limit=4)
        sent = delivery_store.claim_due(a.db, "a", t, t + 60, per_host=2, limit=10)
        theirs = inbox_store.claim(b.db, "b", at, t, t + 60, limit=4)
        other = delivery_store.claim_due(b.db, "b", t, t + 60, per_host=2, limit=10)
        a.db.conn.execute("COMMIT")
        assert len(mine) == 4 and len(theirs) == 2
        assert {i.activity_id for i in mine} | {i.activity_id for i in theirs} == set(items)
        # a's claim looked through (and locked) every row for its cap per host: b skipped
        # them all rather than wait, and takes the rest once a's claim is committed.
        assert len(sent) == 4 and other == []
        other = delivery_store.claim_due(b.db, "b", t, t + 60, per_host=2, limit=10)
        assert len(other) == 2 and not {r.id for r in sent} & {r.id for r in other}
        # Held: nobody else takes them while the claims hold ...
        assert inbox_store.claim(b.db, "b", at, t + 30, t + 90) == theirs
        assert delivery_store.renew_claims(a.db, "a", t + 100) == 4
        # ... and once a's lapse (a died without renewing them), b takes them.
        assert {i.activity_id for i in inbox_store.claim(b.db, "b", at, t + 61, t + 120)} == set(items)
        assert len(delivery_store.claim_due(b.db, "b", t + 101, t + 160, per_host=5, limit=10)) == 6
        assert delivery_store.release_claims(b.db, "b") == 6
    finally:
        a.close()
        b.close()
