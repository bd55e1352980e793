"""Three real nodes on 127.0.0.1: contributors on B and C vote on and delegate in a pool on
A, across nodes; A counts them, settles the proposal and applies it; C checks A's Tally
against its own replica of A's log."""

from datetime import datetime, timedelta, timezone

import pytest

from fedcommons.cli.network import with_client
from fedcommons.services.actors import remote
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.contributions.contributions import contribute, decide
from fedcommons.services.governance import proposals, tallies
from fedcommons.store import actors as actor_store
from fedcommons.store import contributions as contribution_store
from fedcommons.store import follows as follow_store
from fedcommons.store import governance as governance_store
from fedcommons.store import inbox as inbox_store
from fedcommons.store import log as log_store
from support_nodes import eventually, in_cli, served_node

LATER = "2099-01-01T00:00:00Z"


@pytest.fixture
async def three(tmp_path):
    async with served_node(tmp_path, "a") as a, served_node(tmp_path, "b") as b, served_node(tmp_path, "c") as c:
        yield a, b, c


def recorded(node, n: int) -> bool:
    return node.db.conn.execute("SELECT count(*) FROM log_entries WHERE type = 'Add'").fetchone()[0] >= n


async def test_remote_contributors_vote_and_delegate_across_nodes(three):
    a, b, c = three
    await in_cli(a.home, lambda n: (create_actor(n, "person", "bob"),
                                   create_pool(n, "garden", name="Garden", stewards=["bob"])))
    await in_cli(b.home, lambda n: (create_actor(n, "person", "bea"), create_actor(n, "person", "dan")))
    await in_cli(c.home, lambda n: create_actor(n, "person", "cid"))
    garden, handle = f"{a.url}/pools/garden", f"@garden@127.0.0.1:{a.port}"
    bea, dan, cid = f"{b.url}/users/bea", f"{b.url}/users/dan", f"{c.url}/users/cid"

    # Each remote person contributes from their own node; A's steward validates.
    for running, name in ((b, "bea"), (b, "dan"), (c, "cid")):
        work = await in_cli(running.home, lambda n: contribute(
            n, pool=with_client(n, lambda client: remote.resolve_pool(n, client, handle)), person=name,
            effort="1h", kind="code", summary="weeding"))
        await eventually(lambda: contribution_store.contribution(a.node.db, work))
        await in_cli(a.home, lambda n: decide(n, work, "bob"))

    # cid follows the pool from C: the proposal reaches him as a poll, as it would a Mastodon user.
    await in_cli(c.home, lambda n: with_client(n, lambda client: remote.follow(n, client, handle, "cid")))
    await eventually(lambda: follow_store.followers(a.node.db, garden) == [cid])
    question = (await in_cli(a.home, lambda n: (
        proposals.adopt(n, "garden", steward="bob", settings={"quorum": "1/2"}),
        proposals.propose(n, "garden", proposer="bob", title="Steward rota", change={"stewards": [bea]},
                          ends=datetime.now(timezone.utc) + timedelta(hours=1)))))[1]["object"]["id"]

    create = log_store.entry_by_object(a.node.db, question).activity_id
    await eventually(lambda: inbox_store.count(c.node.db, create))

    # dan (B) delegates to cid (C), who delegates to bea (B), who votes; dan's delegation
    # crosses nodes twice. All of it travels to A's pool and is recorded there.
    await in_cli(b.home, lambda n: proposals.delegate(n, "dan", cid, garden))
    await in_cli(c.home, lambda n: proposals.delegate(n, "cid", bea, garden))
    await in_cli(b.home, lambda n: proposals.vote(n, "bea", question, "yes"))
    await eventually(lambda: recorded(a.node, 3), timeout=20)

    live = await in_cli(a.home, lambda n: tallies.proposal_tally(n, question).document)
    paths = {v["elector"]: v["path"] for v in live["votes"]}
    assert paths == {bea: [bea], cid: [cid, bea], dan: [dan, cid, bea]}
    assert live["outcome"] == "open" and live["electorateWeight"] == "3"

    # cid takes the delegation back before the end and votes no; dan's chain now ends at cid.
    await in_cli(c.home, lambda n: proposals.undelegate(n, "cid", garden))
    await in_cli(c.home, lambda n: proposals.vote(n, "cid", question, "no"))
    await eventually(lambda: recorded(a.node, 5), timeout=20)

    [(_, outcome, update)] = await in_cli(a.home, lambda n: tallies.settle_due(n, at=LATER))
    row = governance_store.proposal(a.node.db, question)
    final = await in_cli(a.home, lambda n: tallies.local_tally_document(n, row.tally).document)
    # "no" (cid, and dan through him) beats bea's "yes": adopted, and "no" changes nothing.
    assert (outcome, final["winner"], update) == ("adopted", "no", None)
    assert {v["elector"]: (v["option"], v["path"]) for v in final["votes"]} == {
        bea: ("yes", [bea]), cid: ("no", [cid]), dan: ("no", [dan, cid])}
    assert actor_store.stewards(a.node.db, garden) == [f"{a.url}/users/bob"]

    # C, which holds no copy of A's log yet, fetches the Tally, replicates and recounts it.
    check = await in_cli(c.home, lambda n: with_client(n, lambda client: _verify(n, client, row.tally)))
    assert check.ok, check.problem
    assert check.rows == 3


async def _verify(node, client, url):
    return await tallies.verify_tally(node, client, await tallies.fetch_tally(node, client, url))
