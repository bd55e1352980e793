"""A cooperative's default payout constraints: stated with `coop constraints`, recorded in its
signed Update of itself, used by a payout where its run gives none, and, once it has adopted
governance, changed only by a proposal that passes."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from fedcommons.cli.network import with_client
from fedcommons.errors import BadInput
from fedcommons.home import open_node
from fedcommons.payout.defaults import choose, read_defaults
from fedcommons.services.actors.actors import actor_document, create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.contributions.contributions import contribute, decide
from fedcommons.services.governance import proposals, tallies
from fedcommons.services.payouts.coops import create_coop, set_payout_defaults, sustain
from fedcommons.store import actors as actor_store
from fedcommons.store import coops as coop_store
from fedcommons.store import log as log_store
from support_cli import invoke, run
from support_nodes import served_node

URL = "http://127.0.0.1:8080"
COOP = f"{URL}/coops/rootwork"
ALICE, DAVE = f"{URL}/users/alice", f"{URL}/users/dave"
LATER = "2099-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def base_home(tmp_path_factory):
    """Garden: alice 6 h and dave 2 h in March 2025; Rootwork (members carol and dave) sustains it."""
    home = tmp_path_factory.mktemp("node") / "home"
    run(home, "init", "--url", URL)
    node = open_node(home)
    try:
        for name in ("alice", "bob", "carol", "dave"):
            create_actor(node, "person", name)
        create_pool(node, "garden", name="Garden", stewards=["bob"])
        for who, effort, day in (("alice", "6h", "2025-03-03"), ("dave", "2h", "2025-03-20")):
            decide(node, contribute(node, pool="garden", person=who, effort=effort, kind="code",
                                    summary="work", when=day), "bob")
        create_coop(node, "rootwork", name="Rootwork", members=["carol", "dave"])
        with_client(node, lambda client: sustain(node, client, "rootwork", "garden", member="carol"))
    finally:
        node.close()
    return home


def pay(home, *extra, currency="EUR"):
    result = run(home, "payout", "rootwork", "--currency", currency, "--amount", "1000.00", "--policy",
                 "immediate", "--period", "2025-03", "--format", "json", "--as", "carol", *extra)
    return json.loads(result.stdout), result.stderr


def last_update(home) -> dict:
    node = open_node(home)
    try:
        entries = [e for e in log_store.iter_entries(node.db, 0) if e.type == "Update" and e.actor == COOP]
        return json.loads(entries[-1].body)
    finally:
        node.close()


def test_the_cli_states_them_in_a_signed_update_and_shows_them(home):
    assert json.loads(run(home, "coop", "constraints", "rootwork", "--format", "json").stdout) == {}
    stated = run(home, "coop", "constraints", "rootwork", "--as", "carol", "--max-ratio", "4.0",
                 "--floor", "50", "--currency", "eur", "--basic-share", "0.10", "--format", "json")
    expected = {"maxRatio": "4", "floor": "50.00", "basicShare": "0.1", "currency": "EUR"}
    assert json.loads(stated.stdout) == expected
    update = last_update(home)
    assert update["object"]["payoutConstraints"] == expected and update["object"]["id"] == COOP
    assert update["proof"]["verificationMethod"].startswith(COOP)
    # The term travels in the inline context, as every term of ours does.
    assert update["@context"][-1]["payoutConstraints"]["@id"] == "fc:payoutConstraints"
    assert json.loads(run(home, "coop", "show", "rootwork", "--format", "json").stdout)["payoutConstraints"] \
        == expected
    assert "payout defaults: maxRatio 4, floor 50.00, basicShare 0.1 (EUR)" in run(home, "coop", "show",
                                                                                      "rootwork").stdout
    # The cooperative's actor document and its page state them too.
    node = open_node(home)
    try:
        assert actor_document(node, actor_store.actor(node.db, COOP))["payoutConstraints"] == expected
    finally:
        node.close()
    run(home, "coop", "constraints", "rootwork", "--as", "carol", "--clear")
    assert json.loads(run(home, "coop", "constraints", "rootwork", "--format", "json").stdout) == {}


@pytest.mark.parametrize("args, message", [
    (["--floor", "50"], "need a currency"),
    (["--currency", "EUR"], "goes with a floor or a cap"),
    (["--max-ratio", "0.5"], "below 1"),
    (["--basic-share", "1"], "outside [0, 1)"),
    (["--floor", "60", "--cap", "50", "--currency", "EUR"], "above cap"),
    (["--max-ratio", "4", "--clear"], "give it alone"),
])
def test_bad_defaults_are_refused_and_change_nothing(home, args, message):
    result = invoke(home, "coop", "constraints", "rootwork", "--as", "carol", *args)
    assert result.exit_code == 2 and message in result.stderr
    assert json.loads(run(home, "coop", "constraints", "rootwork", "--format", "json").stdout) == {}


def test_only_a_member_states_them(home):
    result = invoke(home, "coop", "constraints", "rootwork", "--as", "alice", "--max-ratio", "2")
    assert result.exit_code != 0 and "not a member" in result.stderr


def test_a_payout_uses_them_where_its_run_gives_none_and_verifies(home):
    run(home, "coop", "constraints", "rootwork", "--as", "carol", "--max-ratio", "2", "--basic-share", "0.2",
        "--cap", "640", "--currency", "EUR")
    result, notes = pay(home)
    doc = result["distribution"]
    assert doc["constraints"] == {"maxRatio": "2", "cap": "640.00", "basicShare": "0.2"}
    assert "default payout constraints: maxRatio, basicShare, cap" in notes
    # 3:1 standing, ratio 2 binds: alice at most twice dave.
    payouts = {p["recipient"]: p["amount"] for p in doc["payouts"]}
    assert payouts == {ALICE: "640.00", DAVE: "360.00"}
    report = json.loads(run(home, "payout", "verify", doc["id"], "--format", "json").stdout)
    assert report["ok"], report["problems"]
    # The run's own constraints win, one by one; "none" lifts the default ratio.
    doc = pay(home, "--max-ratio", "none", "--basic-share", "0")[0]["distribution"]
    assert doc["constraints"] == {"cap": "640.00"}
    # A cap in euros is not applied to a payout in another currency, and a note says so.
    doc, notes = pay(home, currency="USD")
    assert doc["distribution"]["constraints"] == {"maxRatio": "2", "basicShare": "0.2"}
    assert "in another currency" in notes


def test_after_adoption_only_a_proposal_changes_them(home):
    run(home, "coop", "constraints", "rootwork", "--as", "carol", "--max-ratio", "4")
    run(home, "governance", "adopt", "rootwork", "--coop", "--as", "carol")
    refused = invoke(home, "coop", "constraints", "rootwork", "--as", "carol", "--max-ratio", "2")
    assert refused.exit_code == 2 and "adopted governance" in refused.stderr
    node = open_node(home)
    try:
        end = datetime.now(timezone.utc) + timedelta(hours=1)
        with pytest.raises(BadInput, match="need a currency"):
            proposals.propose(node, "rootwork", proposer="carol", title="t", kind="cooperative", ends=end,
                              change={"payoutConstraints": {"floor": "10"}})
        url = proposals.propose(node, "rootwork", proposer="carol", title="Pay no one less than half",
                                kind="cooperative", ends=end,
                                change={"payoutConstraints": {"maxRatio": "2.0"}})["object"]["id"]
        for who in ("carol", "dave"):
            proposals.vote(node, who, url, "yes")
        [(_, outcome, update)] = tallies.settle_due(node, at=LATER)
        assert outcome == "adopted" and update
        assert coop_store.payout_defaults(node.db, COOP) == {"maxRatio": "2"}
        applied = json.loads(log_store.entry_by_activity(node.db, update).body)
        assert applied["object"]["payoutConstraints"] == {"maxRatio": "2"} and "tally" in applied["object"]
        assert "payoutConstraints" in applied["@context"][-1]
    finally:
        node.close()
    assert pay(home)[0]["distribution"]["constraints"] == {"maxRatio": "2"}


def test_reading_and_choosing_are_pure():
    assert read_defaults({"maxRatio": "NONE"}) == {"maxRatio": "none"}
    with pytest.raises(BadInput, match="unknown fields"):
        read_defaults({"ratio": "8"})
    with pytest.raises(BadInput, match="as text"):
        read_defaults({"maxRatio": 8})
    chosen = choose({}, "EUR", max_ratio=None, floor=None, cap=None, basic_share=None)
    assert (chosen.max_ratio, chosen.floor, chosen.cap, chosen.basic_share) == ("8", None, None, "0")
    chosen = choose({"maxRatio": "none", "floor": "5.00", "currency": "EUR"}, "eur", max_ratio=None,
                    floor=None, cap=None, basic_share=None)
    assert (chosen.max_ratio, chosen.floor, chosen.from_defaults) == (None, "5.00", ("maxRatio", "floor"))


async def test_the_cooperative_s_page_states_them(tmp_path, http):
    async with served_node(tmp_path) as running:
        node = running.node
        create_actor(node, "person", "carol")
        create_coop(node, "rootwork", name="Rootwork", members=["carol"])
        set_payout_defaults(node, "rootwork", {"maxRatio": "3", "cap": "900", "currency": "EUR"}, member="carol")
        async with http.get(f"{running.url}/coops/rootwork", headers={"Accept": "text/html"}) as r:
            page = await r.text()
        assert r.status == 200 and "Payout defaults</dt><dd>maxRatio 3, cap 900.00 (EUR)</dd>" in page
        async with http.get(f"{running.url}/coops/rootwork", headers={"Accept": "application/activity+json"}) as r:
            assert (await r.json(content_type=None))["payoutConstraints"] == {"cap": "900.00", "currency": "EUR",
                                                                               "maxRatio": "3"}
