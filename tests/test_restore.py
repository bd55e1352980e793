"""Restoring a node from an old backup without forking its log: real nodes on 127.0.0.1.

A is backed up, then appends; B mirrors (and witnesses) A's longer log. The old copy is
restored into a new home: it learns from B what A signed after the backup, gets those
entries from B's mirror, checks them against A's own checkpoint and appends them as they
were, so A serves the log B already holds and B's next sync of A finds no fork. When no
peer can supply what a peer's checkpoint says A signed, nothing is written.
"""

import asyncio
import base64
import json

import aiohttp
import pytest
import support_db
from aiohttp import web
from support_cli import invoke, run
from support_nodes import RunningNode, serve_on_loopback, with_client

from fedcommons.config import load_config
from fedcommons.federation.witnessing import request_cosignature
from fedcommons.home import open_node
from fedcommons.ld.canonical import canonicalize
from fedcommons.log.merkle import leaf_hash
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.backup.archive import write_backup
from fedcommons.services.contributions.contributions import contribute, decide
from fedcommons.services.replication.sync import sync_peer
from fedcommons.store import contributions as contribution_store
from fedcommons.store import log as log_store
from fedcommons.store import mirrors as mirror_store

pytestmark = pytest.mark.sqlite_only(support_db.BACKUP_COPIES_SQLITE)


def on(home, action):
    node = open_node(home)
    try:
        return action(node)
    finally:
        node.close()


def add(node, count, tag):
    return [contribute(node, pool="garden", person="alice", effort="1h", kind="care", summary=f"{tag}{i}")
            for i in range(count)]


def latest(home):
    return on(home, lambda node: log_store.latest_checkpoint(node.db))


@pytest.fixture
async def backed_up(tmp_path):
    """A (served) after a backup and three more entries, one a validation; B (served)
    mirroring and witnessing A's longer log. Yields (a, b, backup file, ids added after)."""
    a, b = RunningNode.create(tmp_path, "a"), RunningNode.create(tmp_path, "b")

    def populate(node):
        create_actor(node, "person", "alice")
        create_actor(node, "person", "bob")
        create_pool(node, "garden", name="Garden", stewards=["bob"])
        add(node, 4, "before")

    on(a.home, populate)
    await a.start(workers=False)
    await b.start(workers=False)
    await with_client(b.home, lambda node, client: sync_peer(node, client, a.url))
    await with_client(a.home, lambda node, client: request_cosignature(node, client, b.url))
    write_backup(load_config(a.home), tmp_path / "a.tar")

    def after(node):
        ids = add(node, 2, "after")
        decide(node, ids[0], "bob")
        return ids

    ids = on(a.home, after)
    await with_client(b.home, lambda node, client: sync_peer(node, client, a.url))
    try:
        yield a, b, tmp_path / "a.tar", ids
    finally:
        await a.stop()
        await b.stop()


async def test_restore_recovers_what_a_peer_mirrors_and_no_peer_sees_a_fork(tmp_path, backed_up):
    a, b, backup, ids = backed_up
    size, root, note = latest(a.home)
    backup_size = size - 3
    assert on(b.home, lambda node: mirror_store.mirror(node.db, load_config(a.home).origin).size) == size
    await a.stop()

    # Restored into a new home, the node finds B among its witnesses: no --peer needed.
    restored = tmp_path / "a-restored"
    result = await asyncio.to_thread(run, tmp_path / "elsewhere", "restore", str(backup), "--home", str(restored))
    assert f"recovered entries {backup_size}..{size - 1} from {b.url}" in result.stdout
    assert latest(restored) == (size, root, note)  # the very checkpoint A signed before
    verified = run(restored, "log", "verify").stdout
    assert f"{size} entries" in verified and root.hex() in verified
    # The projections were rebuilt as for any append: the validation counts again.
    row = on(restored, lambda node: contribution_store.contribution(node.db, ids[0]))
    assert row.status == "validated"

    a2 = RunningNode(restored, a.port)
    await a2.start(workers=False)
    try:
        on(restored, lambda node: add(node, 1, "restored"))
        outcome = await with_client(b.home, lambda node, client: sync_peer(node, client, a.url))
        assert outcome.forks == [] and outcome.size == size + 1
        mirror = on(b.home, lambda node: mirror_store.mirror(node.db, load_config(restored).origin))
        assert not mirror.forked and mirror.last_error is None
        assert on(b.home, lambda node: mirror_store.forks(node.db)) == []
    finally:
        await a2.stop()


async def test_a_restore_nobody_can_complete_writes_nothing_until_the_loss_is_accepted(tmp_path, backed_up):
    a, b, backup, _ = backed_up
    size, _, note = latest(a.home)
    origin = load_config(a.home).origin
    backup_size = size - 3
    # A peer that holds A's newest checkpoint but serves its entries altered (each with a
    # leaf hash that matches the altered bytes): only the Merkle root can catch it.
    real = on(a.home, lambda node: list(log_store.iter_entries(node.db, backup_size, size)))

    async def mirrors(request):
        return web.json_response({"origin": "liar.example", "mirrors": [
            {"origin": origin, "url": a.url, "checkpoint": note, "size": size}]})

    async def entries(request):
        items = []
        for row in real:
            activity = json.loads(row.body)
            activity["summary"] = "altered"
            body = canonicalize(activity)
            items.append({"index": row.idx, "leafHash": base64.b64encode(leaf_hash(body)).decode(),
                          "activity": activity})
        return web.json_response({"origin": origin, "start": backup_size, "entries": items})

    app = web.Application()
    app.router.add_get("/log/mirrors", mirrors)
    app.router.add_get("/log/mirrors/entries", entries)
    runner, port = await serve_on_loopback(app)
    liar = f"http://127.0.0.1:{port}"
    await a.stop()
    await b.stop()  # the honest mirror is down
    try:
        restored = tmp_path / "a-restored"
        result = await asyncio.to_thread(invoke, restored, "restore", str(backup), "--peer", liar)
        assert result.exit_code == 2
        message = result.stderr.strip().splitlines()[-1]
        assert f"signed a log of size {size} (seen at {liar})" in message
        assert f"the 3 entries from {backup_size} on are available from no peer" in message
        assert "do not extend the restored log" in message and "--accept-loss" in message
        assert latest(restored)[0] == backup_size  # nothing appended

        # Held: every write to the log, and serve, say why and how to finish.
        refused = invoke(restored, "contribute", "--pool", "garden", "--as", "alice", "--effort", "1h",
                         "--kind", "care", "--summary", "held")
        assert refused.exit_code == 2 and "fedcommons reconcile" in refused.stderr
        refused = invoke(restored, "serve", "--port", "1")
        assert refused.exit_code == 2 and "restored from a backup" in refused.stderr
        assert latest(restored)[0] == backup_size

        result = await asyncio.to_thread(run, restored, "reconcile", "--peer", liar, "--accept-loss")
        assert "went on without 3 entries" in result.stdout
        run(restored, "contribute", "--pool", "garden", "--as", "alice", "--effort", "1h", "--kind", "care",
            "--summary", "after the loss")
        assert latest(restored)[0] == backup_size + 1
        run(restored, "log", "verify")
    finally:
        await runner.cleanup()


async def test_a_mirror_serves_its_verified_entries_as_the_origin_does(backed_up):
    a, b, _, _ = backed_up
    origin = load_config(a.home).origin
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{a.url}/log/entries", params={"start": 2, "limit": 3}) as response:
            own = await response.json()
        async with session.get(f"{b.url}/log/mirrors/entries",
                               params={"origin": origin, "start": 2, "limit": 3}) as response:
            assert response.status == 200
            mirrored = await response.json()
        assert mirrored["entries"] == own["entries"] and mirrored["origin"] == origin
        assert mirrored["next"].startswith(f"{b.url}/log/mirrors/entries?origin=")
        for query, status in [({"origin": "nobody.example"}, 404), ({}, 400),
                              ({"origin": origin, "start": "-1"}, 400)]:
            async with session.get(f"{b.url}/log/mirrors/entries", params=query) as response:
                assert response.status == status, query


async def test_a_restore_whose_peers_are_all_down_waits_for_one(tmp_path, backed_up):
    a, b, backup, _ = backed_up
    await a.stop()
    await b.stop()
    restored = tmp_path / "a-restored"
    result = await asyncio.to_thread(invoke, restored, "restore", str(backup))
    assert result.exit_code == 2
    assert f"no peer that may hold this log answered ({b.url}:" in result.stderr
    assert invoke(restored, "actor", "add", "zed").exit_code == 2  # still held
    await b.start(workers=False)
    result = await asyncio.to_thread(run, restored, "reconcile")
    assert "recovered entries" in result.stdout
    assert latest(restored) == latest(a.home)
