"""Reading a pool on another node from this node's mirror of its log: `fedcommons log show
--origin`, `fedcommons pool show`, and the follower's page of the pool."""

import json

import aiohttp
import pytest

from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.contributions.contributions import contribute, decide
from fedcommons.services.standing.standing import local_pool_standing
from fedcommons.store import follows as follow_store
from fedcommons.store import log as log_store
from fedcommons.store import mirrors as mirror_store
from support_cli import invoke, run
from support_nodes import eventually, follow_from, in_cli, served_node


def populate(node) -> list[str]:
    """A pool garden with bob as steward; alice's contributions: two validated, one rejected,
    one pending. Returns their ids, oldest first."""
    create_actor(node, "person", "alice", display_name="Alice")
    create_actor(node, "person", "bob", display_name="Bob")
    create_pool(node, "garden", name="Garden", stewards=["bob"], license="MIT", summary="Vegetables for all")
    ids = [contribute(node, pool="garden", person="alice", effort=effort, kind="care", summary=summary)
           for effort, summary in (("2h", "watered the beans"), ("1h", "weeded"), ("30m", "a nap"),
                                   ("3h", "built a fence"))]
    decide(node, ids[0], "bob")
    decide(node, ids[1], "bob")
    decide(node, ids[2], "bob", reject=True, reason="not work")
    return ids


@pytest.fixture
async def mirrored(tmp_path):
    """A serves the pool; B's carol follows it, so B holds a synced mirror of A's log."""
    async with served_node(tmp_path, "a") as a, served_node(tmp_path, "b") as b:
        ids = await in_cli(a.home, populate)
        await in_cli(b.home, lambda n: create_actor(n, "person", "carol"))
        await follow_from(b.home, f"{a.url}/pools/garden", "carol")
        await eventually(lambda: follow_store.following(b.node.db, f"{b.url}/users/carol"))
        # A's Accept of the Follow is a push from the pool's node: B syncs A's log by itself.
        origin = a.node.config.origin
        await eventually(lambda: (mirror_store.mirror(b.node.db, origin) or None)
                         and mirror_store.mirror(b.node.db, origin).size == log_store.log_size(a.node.db))
        yield a, b, ids, origin


async def cli(home, *args, code=0):
    # In this thread: none of these commands needs the network, and click's runner swaps
    # sys.stdout and sys.stderr for the whole process while it runs.
    return run(home, *args, code=code)


async def test_log_show_origin_lists_the_mirror_as_log_show_lists_the_origins_own(mirrored):
    a, b, _, origin = mirrored
    own = [json.loads(line) for line in (await cli(a.home, "log", "show", "--format", "json")).stdout.splitlines()]
    for name in (origin, a.url):  # by origin line or by URL
        lines = (await cli(b.home, "log", "show", "--origin", name, "--format", "json")).stdout.splitlines()
        copy = [json.loads(line) for line in lines]
        assert [(e["index"], e["leaf_hash"], e["activity"]) for e in copy] == \
               [(e["index"], e["leaf_hash"], e["activity"]) for e in own]
        assert {e["log"] for e in copy} == {origin}
    window = (await cli(b.home, "log", "show", "--origin", origin, "--start", "3", "--limit", "2")).stdout
    theirs = (await cli(a.home, "log", "show", "--start", "3", "--limit", "2")).stdout
    assert window == theirs and len(window.splitlines()) == 2
    assert (await cli(b.home, "log", "show", "--origin", origin, "--start", "999")).stdout == ""
    failed = invoke(b.home, "log", "show", "--origin", "elsewhere.example")
    assert failed.exit_code == 2 and "no mirror of elsewhere.example" in failed.stderr
    assert failed.stderr.count("\n") == 1


async def test_pool_show_of_a_remote_pool_is_recomputed_from_the_mirror(mirrored):
    a, b, ids, origin = mirrored
    garden = f"{a.url}/pools/garden"
    for reference in (f"@garden@127.0.0.1:{a.port}", garden):
        shown = json.loads((await cli(b.home, "pool", "show", reference, "--format", "json")).stdout)
        assert shown["pool"] == garden and shown["log"] == origin
        assert shown["mirror"]["url"] == a.url and shown["size"] == log_store.log_size(a.node.db)
        assert shown["stewards"] == [f"{a.url}/users/bob"]
        assert shown["contributions"] == 4
        assert [(c["id"], c["status"]) for c in shown["recent"]] == list(zip(
            reversed(ids), ["pending", "rejected", "validated", "validated"]))
        assert shown["recent"][0]["summary"] == "built a fence"
        assert shown["standingSigned"] is False and "proof" not in shown["standing"]
        # The same figures as the pool's own node computes (and signs).
        theirs = local_pool_standing(a.node, "garden").document
        assert shown["method"] == theirs["method"]
        assert shown["standing"]["standings"] == theirs["standings"] and theirs["standings"]
    text = (await cli(b.home, "pool", "show", garden, "--limit", "2")).stdout
    assert f"from this node's mirror of the log {origin}, synced from {a.url}" in text
    assert "recomputed here" in text and "unsigned" in text
    assert "built a fence" in text and "a nap" in text and "weeded" not in text  # two newest only
    failed = invoke(b.home, "pool", "show", "http://127.0.0.1:9/pools/x")
    assert failed.exit_code != 0 and "sync http://127.0.0.1:9" in failed.stderr
    # The pool's own node shows it from its own log, with the same parts.
    local = (await cli(a.home, "pool", "show", "garden")).stdout
    assert "from this node's own log" in local and "built a fence" in local


async def test_a_followed_remote_pool_has_a_page_from_the_mirror_with_a_local_pools_parts(mirrored):
    a, b, ids, origin = mirrored
    garden = f"{a.url}/pools/garden"
    html = {"Accept": "text/html"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{b.url}/users/carol", headers=html) as r:
            assert r.status == 200
            person = await r.text()
        page_url = f"/following/pool?url={garden.replace(':', '%3A')}"
        assert page_url in person
        async with http.get(f"{b.url}{page_url}", headers=html, allow_redirects=False) as r:
            assert r.status == 200, await r.text()
            page = await r.text()
        async with http.get(garden, headers=html) as r:
            own = await r.text()
        for part in ("<h2>Standing</h2>", "<h2>Recent contributions</h2>", "<dt>Stewards</dt>",
                     "<dt>Standing method</dt>", "<dt>Licence</dt>", "class=chart", "class=contributions"):
            assert part in page and part in own, part
        for fact in ("Garden", "MIT", "built a fence", "3 h", "30 min", "status-pending", "status-rejected", "status-validated",
                     f"{a.url}/users/bob", f"mirror of the log of {origin}", f"synced from <a href=\"{a.url}\">",
                     f"{log_store.log_size(a.node.db)} entries verified", "only the pool's own node signs",
                     f"{a.url}/log/proof/inclusion?index="):
            assert fact in page, fact

        # Only followed remote pools have a page; anything else is a clear 4xx (or the local page).
        for query, status in ((f"url={a.url}/pools/orchard", 404), ("url=ftp://x/pools/y", 400), ("", 400),
                              ("url=" + "h" * 3000, 400), (f"url={a.url}/users/bob", 404),
                              ("url=http://[::1/pools/x", 404), (f"url={b.url}/users/carol", 303)):
            async with http.get(f"{b.url}/following/pool?{query}", headers=html, allow_redirects=False) as r:
                assert r.status == status, (query, r.status, await r.text())
