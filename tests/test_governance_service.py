"""Governance on one node: adopting it, proposing, voting, delegating, the signed Tally,
verifying it, settling a proposal and the refusal of the old commands afterwards."""

import asyncio
import json
from datetime import datetime, timedelta, timezone

import pytest

from fedcommons.errors import BadInput, Forbidden
from fedcommons.home import init_node, open_node
from fedcommons.services.actors import pools
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.contributions import contributions
from fedcommons.services.governance import proposals, tallies
from fedcommons.store import actors as actor_store
from fedcommons.store import governance as governance_store
from fedcommons.services.standing.standing import local_log as service_log
from fedcommons.standing import stewards
from support_cli import invoke, run

URL = "http://127.0.0.1:8080"
POOL = f"{URL}/pools/garden"
LATER = "2099-01-01T00:00:00Z"


def person(name):
    return f"{URL}/users/{name}"


@pytest.fixture
def home(tmp_path):
    """alice, bob (steward), carol and dave with validated work today; erin with none."""
    home = tmp_path / "home"
    node = init_node(home, URL)
    for name in ("alice", "bob", "carol", "dave", "erin"):
        create_actor(node, "person", name)
    pools.create_pool(node, "garden", name="Garden", stewards=["bob"])
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    for name in ("alice", "carol", "dave"):
        cid = contributions.contribute(node, pool="garden", person=name, effort="1h", kind="code",
                                       summary="work", when=today)
        contributions.decide(node, cid, "bob")
    node.close()
    return home


def test_a_proposal_passes_with_votes_and_a_delegation_and_is_applied(home):
    run(home, "governance", "adopt", "garden", "--as", "bob", "--quorum", "1/2")
    refused = invoke(home, "pool", "set-method", "garden", "--method", "effort/1", "--as", "bob")
    assert refused.exit_code == 2 and "adopted governance" in refused.stderr
    url = run(home, "propose", "garden", "--as", "alice", "--title", "Use CC0",
              "--change", '{"license": "CC0-1.0", "stewards": ["%s"]}' % person("carol"),
              "--ends", "1h").stdout.strip()
    assert url.startswith(f"{POOL}/proposals/")
    run(home, "delegate", "garden", "--to", "alice", "--as", "carol")
    run(home, "vote", url, "yes", "--as", "alice")
    run(home, "vote", url, "no", "--as", "erin")  # no validated work: no vote
    bad = invoke(home, "vote", url, "maybe", "--as", "alice")
    assert bad.exit_code == 2 and "not an option" in bad.stderr
    listed = json.loads(run(home, "proposals", "garden", "--format", "json").stdout)
    assert [p["id"] for p in listed] == [url] and listed[0]["outcome"] is None

    live = json.loads(run(home, "tally", url, "--format", "json").stdout)
    assert live["outcome"] == "open" and live["electorateWeight"] == "3"
    paths = {v["elector"]: v["path"] for v in live["votes"]}
    assert paths == {person("alice"): [person("alice")], person("carol"): [person("carol"), person("alice")]}
    assert [u["voter"] for u in live["uncounted"]] == [person("erin")]
    assert "proof" in live and live["attributedTo"] == f"{URL}/actor"

    node = open_node(home)
    try:
        [(proposal, outcome, update)] = tallies.settle_due(node, at=LATER)
        assert (proposal, outcome) == (url, "adopted") and update
        row = governance_store.proposal(node.db, url)
        assert row.outcome == "adopted" and row.tally.startswith(f"{url}/tally?")
        assert actor_store.pool(node.db, POOL).license == "CC0-1.0"
        assert actor_store.stewards(node.db, POOL) == [person("carol")]
        assert tallies.settle_due(node, at=LATER) == []
        final = tallies.local_tally_document(node, row.tally)
    finally:
        node.close()
    assert final.document["outcome"] == "adopted" and final.document["asOf"] == final.document["endTime"]
    ok = json.loads(run(home, "governance", "verify", row.tally, "--format", "json").stdout)
    assert ok["ok"] and ok["problem"] is None and ok["votes"] == 2
    # The standing core reads the same steward set from the log: the pool's Update citing
    # the tally counts, where a steward's Update no longer would.
    node = open_node(home)
    try:
        log = service_log(node)
        ledger, _ = tallies.read_governance(log.entries(0, log.size), POOL)
        assert stewards(ledger, datetime.now(timezone.utc)) == (person("bob"),)  # it holds from the end
        assert stewards(ledger, datetime(2099, 1, 1, tzinfo=timezone.utc)) == (person("carol"),)
    finally:
        node.close()


def test_a_tampered_tally_does_not_verify(home, tmp_path):
    run(home, "governance", "adopt", "garden", "--as", "bob")
    url = run(home, "propose", "garden", "--as", "alice", "--title", "t", "--change", '{"license": "MIT"}',
              "--ends", "1h").stdout.strip()
    run(home, "vote", url, "no", "--as", "dave")
    node = open_node(home)
    try:
        document = tallies.proposal_tally(node, url).document
        from fedcommons.cli.network import with_client

        assert with_client(node, lambda c: tallies.verify_tally(node, c, document)).ok
        forged = json.loads(json.dumps(document))
        forged["votes"][0]["option"] = "yes"
        check = with_client(node, lambda c: tallies.verify_tally(node, c, forged))
        assert not check.ok and "proof" in check.problem
    finally:
        node.close()


def test_bad_proposals_and_votes_change_nothing(home):
    node = open_node(home)
    try:
        size = len(list(node.db.conn.execute("SELECT idx FROM log_entries")))
        end = datetime.now(timezone.utc) + timedelta(hours=1)
        with pytest.raises(BadInput, match="not adopted governance"):
            proposals.propose(node, "garden", proposer="alice", title="t", change={"license": "MIT"}, ends=end)
        proposals.adopt(node, "garden", steward="bob")
        with pytest.raises(Forbidden):
            proposals.adopt(node, "garden", steward="bob")
        with pytest.raises(Forbidden, match="not a steward"):
            proposals.adopt(node, "garden", steward="alice")
        for change in ({"kind": "x"}, {}, {"license": "not a licence!"}, {"stewards": []},
                       {"governance": {"quorum": "2"}}, {"standingMethod": {"method": "nope/9"}}):
            with pytest.raises(BadInput):
                proposals.propose(node, "garden", proposer="alice", title="t", change=change, ends=end)
        with pytest.raises(BadInput):
            proposals.parse_end("tomorrow")
        with pytest.raises(BadInput):
            proposals.parse_end("10s")
        assert len(list(node.db.conn.execute("SELECT idx FROM log_entries"))) == size + 1
    finally:
        node.close()


async def test_the_server_settles_a_proposal_soon_after_its_end(home):
    from fedcommons.federation.settling import Settling
    from support_nodes import eventually

    node = open_node(home)
    try:
        proposals.adopt(node, "garden", steward="bob", settings={"quorum": "0"})
        url = proposals.propose(node, "garden", proposer="alice", title="MIT", change={"license": "MIT"},
                                ends=datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=2))
        url = url["object"]["id"]
        proposals.vote(node, "alice", url, "yes")
        worker = Settling(node, interval=0.2)
        worker.start()
        try:
            await eventually(lambda: governance_store.proposal(node.db, url).outcome, timeout=10)
        finally:
            await worker.stop()
        assert governance_store.proposal(node.db, url).outcome == "adopted"
        assert actor_store.pool(node.db, POOL).license == "MIT"
    finally:
        node.close()


def test_a_cooperative_s_members_decide_what_it_sustains(home):
    node = open_node(home)
    try:
        from fedcommons.services.payouts import coops
        from fedcommons.store import coops as coop_store

        coops.create_coop(node, "rootwork", name="Rootwork", members=["carol", "dave"])
        coop = f"{URL}/coops/rootwork"
        end = datetime.now(timezone.utc) + timedelta(hours=1)
        with pytest.raises(BadInput, match="not adopted governance"):
            proposals.propose(node, "rootwork", proposer="carol", title="t", kind="cooperative", ends=end,
                              change={"sustains": [{"pool": POOL, "weight": "1"}]})
        with pytest.raises(Forbidden, match="not a member"):
            proposals.adopt_for_coop(node, "rootwork", member="alice")
        proposals.adopt_for_coop(node, "rootwork", member="carol", settings={"quorum": "1/2", "majority": "2/3"})
        with pytest.raises(Forbidden, match="adopted governance"):
            asyncio.run(coops.sustain(node, None, "rootwork", "garden", member="carol"))
        with pytest.raises(Forbidden, match="not a member"):
            proposals.propose(node, "rootwork", proposer="alice", title="t", kind="cooperative", ends=end,
                              change={"sustains": [{"pool": POOL, "weight": "1"}]})
        for bad in ({"sustains": [{"pool": "https://nowhere.example/pools/x"}]}, {"sustains": "garden"},
                    {"sustains": [{"pool": POOL, "weight": "-1"}]}, {"license": "MIT"}):
            with pytest.raises(BadInput):
                proposals.propose(node, "rootwork", proposer="carol", title="t", kind="cooperative", ends=end,
                                  change=bad)
        url = proposals.propose(node, "rootwork", proposer="carol", title="Sustain the garden", kind="cooperative",
                                ends=end, change={"sustains": [{"pool": POOL, "weight": "0.50"}]})["object"]["id"]
        for who, option in (("carol", "yes"), ("dave", "yes"), ("alice", "no")):  # 2/3 of 2: both
            proposals.vote(node, who, url, option)
        [(_, outcome, update)] = tallies.settle_due(node, at=LATER)
        assert outcome == "adopted" and update
        assert coop_store.sustains(node.db, coop) == [(POOL, "0.5")]
        final = tallies.local_tally_document(node, governance_store.proposal(node.db, url).tally).document
        assert [u["voter"] for u in final["uncounted"]] == [person("alice")]  # not a member
        assert final["governance"]["quorum"] == "1/2" and final["governance"]["majority"] == "2/3"
        # Half for, half against: short of the cooperative's 2/3, and nothing changes.
        split = proposals.propose(node, "rootwork", proposer="dave", title="Drop it", kind="cooperative",
                                  ends=end, change={"governance": {"majority": "1/2"}})["object"]["id"]
        proposals.vote(node, "carol", split, "yes")
        proposals.vote(node, "dave", split, "no")
        [(_, outcome, update)] = tallies.settle_due(node, at=LATER)
        assert (outcome, update) == ("no majority", None)
        assert governance_store.governance(node.db, coop)["majority"] == "2/3"
    finally:
        node.close()
