"""`fedcommons demo` makes a living node (and `init` an empty one)."""

import asyncio
import json

import aiohttp
import pytest
from support_cli import invoke, run
from support_nodes import RunningNode

from fedcommons.cli import node as node_cli
from fedcommons.home import open_node
from fedcommons.store import actors as actor_store
from fedcommons.store import contributions as contribution_store
from fedcommons.store import coops as coop_store


@pytest.fixture
def served(monkeypatch):
    """Stands in for aiohttp's run_app, which would serve until Ctrl-C: records the calls."""
    calls = []
    monkeypatch.setattr(node_cli.web, "run_app", lambda app, **options: calls.append(options))
    return calls


def held(home):
    node = open_node(home)
    try:
        people = actor_store.local_actors(node.db, "person")
        pools = actor_store.local_actors(node.db, "pool")
        coops = actor_store.local_actors(node.db, "cooperative")
        work = list(contribution_store.every_contribution(node.db))
        endorsed = [c.id for c in work if any(contribution_store.has_endorsed(node.db, c.id, p.id) for p in people)]
        paid = coop_store.every_distribution(node.db)
        return people, pools, coops, work, endorsed, paid
    finally:
        node.close()


async def test_demo_makes_a_node_with_sample_work_and_serves_it(tmp_path, served):
    home = tmp_path / "demo"
    # The CLI runs an event loop of its own: off this one.
    result = await asyncio.to_thread(run, tmp_path / "ignored", "demo", "--home", str(home), "--port", "8765")
    assert served == [{"host": "127.0.0.1", "port": 8765, **served[0]}]
    assert "sign in at http://127.0.0.1:8765/login" in result.stderr
    people, pools, coops, work, endorsed, paid = held(home)
    assert len(paid) == 1 and len(endorsed) == 4
    assert {p.name for p in people} == {"alice", "bob", "carol", "dan"}
    assert {p.name for p in pools} == {"garden", "wiki"} and [c.name for c in coops] == ["bakery"]
    assert {c.status for c in work} == {"validated", "rejected", "pending"} and len(endorsed) >= 3
    run(home, "log", "verify")
    dist = [json.loads(line) for line in run(home, "log", "show", "--format", "json").stdout.splitlines()]

    # The pages show it.
    running = RunningNode(home, 0)
    await running.start(workers=False)
    try:
        async with aiohttp.ClientSession() as session:
            port = running.runner.addresses[0][1]
            for path, text in [("/pools/garden", "fixed the irrigation timer"), ("/coops/bakery", "120.00"),
                               ("/users/carol", "wrote the tool-lending page")]:
                async with session.get(f"http://127.0.0.1:{port}{path}", headers={"Accept": "text/html"}) as page:
                    assert page.status == 200 and text in await page.text(), path
    finally:
        await running.stop()

    # Run again, it serves what it made and adds nothing.
    size = len(dist)
    run(home, "demo", "--port", "8765")
    assert len(run(home, "log", "show", "--format", "json").stdout.splitlines()) == size
    assert len(served) == 2
    refused = invoke(home, "demo", "--port", "8766")
    assert refused.exit_code == 2 and "is a node for http://127.0.0.1:8765" in refused.stderr


def test_init_alone_makes_a_node_without_sample_data(tmp_path):
    run(tmp_path / "real", "init", "--url", "https://commons.example")
    assert held(tmp_path / "real") == ([], [], [], [], [], [])
    assert len(run(tmp_path / "real", "log", "show", "--format", "json").stdout.splitlines()) == 1
