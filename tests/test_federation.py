"""Three real nodes on 127.0.0.1: a person on B contributes to a pool on A, A's steward
validates, the validation reaches B and every follower, and C, down during the delivery,
gets everything once it is back. Every log verifies at the end."""

import pytest

from fedcommons.federation import delivery
from fedcommons.services.actors import remote
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.contributions.contributions import contribute, decide
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.log.verify import verify_log
from fedcommons.store import contributions as contribution_store
from fedcommons.store import follows as follow_store
from fedcommons.store import inbox as inbox_store
from fedcommons.store import log as log_store
from fedcommons.cli.network import with_client
from support_nodes import eventually, in_cli, served_node


@pytest.fixture
async def three(tmp_path):
    async with served_node(tmp_path, "a") as a, served_node(tmp_path, "b") as b, served_node(tmp_path, "c") as c:
        yield [a, b, c]


async def test_contribution_validation_and_a_node_that_was_down(three, monkeypatch):
    a, b, c = three
    await in_cli(a.home, lambda n: (create_actor(n, "person", "bob"),
                                   create_pool(n, "garden", name="Garden", stewards=["bob"])))
    await in_cli(b.home, lambda n: create_actor(n, "person", "alice"))
    await in_cli(c.home, lambda n: create_actor(n, "person", "carol"))
    garden = f"{a.url}/pools/garden"
    handle = f"@garden@127.0.0.1:{a.port}"

    # C's carol follows the pool on A; A accepts at once.
    await in_cli(c.home, lambda n: with_client(n, lambda client: remote.follow(n, client, handle, "carol")))
    await eventually(lambda: follow_store.followers(a.node.db, garden) == [f"{c.url}/users/carol"])
    await eventually(lambda: follow_store.following(c.node.db, f"{c.url}/users/carol") == [garden])

    # B's alice contributes to A's pool from her own node.
    cid = await in_cli(b.home, lambda n: contribute(
        n, pool=with_client(n, lambda client: remote.resolve_pool(n, client, handle)), person="alice", effort="3h", kind="code",
        summary="wrote the irrigation scheduler"))
    assert cid.startswith(b.url)
    row = await eventually(lambda: contribution_store.contribution(a.node.db, cid))
    assert row.status == "pending" and row.contributor == f"{b.url}/users/alice"
    # A forwards the new contribution to the pool's followers.
    await eventually(lambda: inbox_store.count(c.node.db, _create_of(b, cid)))

    # C goes down; A's steward validates; B hears of it while C cannot.
    # Where the wake below does not come (C's Follow, seconds ago, used it up), A's retry
    # delivers: every two seconds here, not after 10 s, then 60 s..., as C is down a second.
    monkeypatch.setattr(delivery, "RETRY_DELAYS", (2,) * len(delivery.RETRY_DELAYS))
    await c.stop()
    await in_cli(a.home, lambda n: decide(n, cid, "bob"))
    await eventually(lambda: contribution_store.contribution(b.node.db, cid).status == "validated")
    decision = contribution_store.contribution(a.node.db, cid).decision_entry
    assert decision is not None

    # C comes back; its first signed request to A wakes A's queue for it.
    await c.start()
    await in_cli(c.home, lambda n: with_client(n, lambda client: remote.lookup(n, client, handle)))
    accept_id = _decision_id(a, cid)
    await eventually(lambda: inbox_store.count(c.node.db, accept_id), timeout=20)

    for running in (a, b, c):
        report = verify_log(running.node)
        assert report.entries > 0


def _create_of(b, cid) -> str:
    return log_store.entry_by_object(b.node.db, cid, "Create").activity_id


def _decision_id(a, cid) -> str:
    return log_store.entry_by_object(a.node.db, cid, "Accept").activity_id
