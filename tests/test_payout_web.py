"""Open books on the wire: distributions served as JSON-LD, pages and CSV, checked from another
node, and tampered copies served by a fake peer on 127.0.0.1 that must fail the check."""

import asyncio
import copy
import json

import pytest
from support_cli import invoke
from support_coops import garden_and_rootwork
from support_nodes import RunningNode, free_port

from fedcommons.payout import payouts_csv
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.contributions.contributions import contribute, decide
from fedcommons.services.payouts import payouts
from fedcommons.services.payouts.coops import create_coop
from fedcommons.store import mirrors as mirror_store

AP = "application/activity+json"


async def in_cli(home, *args):
    """The command line in a thread, as a separate process would run it next to the server."""
    return await asyncio.to_thread(invoke, home, *args)


@pytest.fixture
async def served(tmp_path):
    """Node A with Garden (alice 6 h, dave 2 h in March 2025) sustained by Rootwork, and an
    immediate payout of 1000.00 EUR for 2025-03 published; node B running beside it."""
    a, b = RunningNode.create(tmp_path, "a"), RunningNode.create(tmp_path, "b")
    await a.start()
    await b.start()
    await asyncio.to_thread(garden_and_rootwork, a.node)
    result = await in_cli(a.home, "payout", "rootwork", "--amount", "1000.00", "--currency", "EUR",
                          "--policy", "immediate", "--period", "2025-03", "--as", "carol", "--format", "json")
    assert result.exit_code == 0, result.stderr
    a.distribution = json.loads(result.stdout)["distribution"]
    yield a, b
    await b.stop()
    await a.stop()


async def test_the_collection_for_clients_and_the_list_for_people(served, http):
    a, _ = served
    doc = a.distribution
    url = f"{a.url}/coops/rootwork/distributions"
    async with http.get(url, headers={"Accept": AP}) as r:
        assert r.status == 200 and r.content_type == AP
        collection = await r.json(content_type=None)
    assert collection["type"] == "OrderedCollection" and collection["totalItems"] == 1
    async with http.get(collection["first"], headers={"Accept": AP}) as r:
        page = await r.json(content_type=None)
    [item] = page["orderedItems"]
    assert item["id"] == doc["id"] and item["name"] == "1000.00 EUR for 2025-03 to 2 people (immediate)"
    async with http.get(url, headers={"Accept": "text/html"}) as r:
        text = await r.text()
    assert r.content_type == "text/html" and "Distributions of Rootwork" in text
    assert f'href="{doc["id"]}.csv"' in text


async def test_a_distribution_as_json_ld_page_and_csv(served, http):
    a, _ = served
    doc = a.distribution
    async with http.get(doc["id"], headers={"Accept": AP}) as r:
        assert r.status == 200 and r.content_type == AP
        assert await r.json(content_type=None) == doc
    async with http.get(doc["id"], headers={"Accept": "text/html"}) as r:
        text = await r.text()
    assert "Rootwork pays 1,000.00 EUR for 2025-03" in text
    assert "immediate policy" in text and "highest at most 8 × lowest" in text
    assert ">Alice</a></td><td class=num>750.00</td><td class=num>75.00 %" in text
    standing_url = doc["inputs"][0]["id"]
    assert f'href="{standing_url}"' in text and "<svg" in text
    for url in (doc["id"] + ".csv", doc["id"] + "?format=csv"):
        async with http.get(url) as r:
            assert r.status == 200 and r.content_type == "text/csv"
            disposition = r.headers["Content-Disposition"]
            assert disposition.startswith('attachment; filename="rootwork-2025-03-') and disposition.endswith('.csv"')
            assert await r.text() == payouts_csv(doc)


async def test_the_page_states_every_constraint_and_the_earlier_payouts_counted(served, http):
    a, _ = served
    result = await in_cli(a.home, "payout", "rootwork", "--amount", "1000.00", "--currency", "EUR",
                          "--policy", "balanced", "--floor", "20", "--cap", "900", "--basic-share", "0.2",
                          "--max-ratio", "none", "--as", "carol", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)["distribution"]
    async with http.get(doc["id"], headers={"Accept": "text/html"}) as r:
        text = await r.text()
    assert "balanced policy · no ratio limit; floor 20.00; cap 900.00; 20 % shared equally" in text
    assert f'<a href="{a.distribution["id"]}">earlier distribution</a>, counted as already paid' in text


async def test_the_standings_used_are_served_as_signed(served, http):
    a, _ = served
    standing_url = a.distribution["inputs"][0]["id"]
    async with http.get(standing_url, headers={"Accept": AP}) as r:
        standing = await r.json(content_type=None)
    assert standing == payouts.logged_object(a.node, standing_url)
    assert standing["type"] == ["Document", "Standing"] and standing["attributedTo"] == f"{a.url}/actor"
    assert "proof" in standing
    async with http.get(standing_url, headers={"Accept": "text/html"}) as r:
        text = await r.text()
    assert "Standing in Garden" in text and "75.00 %" in text


@pytest.mark.parametrize("path", [
    "/coops/rootwork/distributions/" + "0" * 32,
    "/coops/rootwork/distributions/" + "0" * 32 + ".csv",
    "/coops/rootwork/standings/" + "0" * 32,
    "/coops/nobody/distributions",
    "/coops/rootwork/distributions/not-an-id",
])
async def test_unknown_distributions_are_not_found(served, http, path):
    a, _ = served
    async with http.get(a.url + path, headers={"Accept": AP}) as r:
        assert r.status == 404


async def test_another_node_verifies_a_published_distribution(served):
    a, b = served
    # B replicates A's log to recompute the standing, then the split.
    result = await in_cli(b.home, "payout", "verify", a.distribution["id"], "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["recipients"] == 2 and report["recomputedStandings"] == 1
    assert report["notes"] == []
    assert mirror_store.mirror(b.node.db, f"127.0.0.1:{a.port}").size > 0
    result = await in_cli(a.home, "payout", "verify", a.distribution["id"])
    assert result.exit_code == 0 and "1 standing(s) recomputed from the log" in result.stdout


async def test_a_copy_with_an_edited_amount_fails(served, fake_peer):
    a, b = served
    base, documents = fake_peer
    copy_ = copy.deepcopy(a.distribution)
    copy_["id"] = f"{base}/d/1"
    # A cent moved from one person to another: the total still adds up.
    copy_["payouts"][0]["amount"], copy_["payouts"][1]["amount"] = "750.01", "249.99"
    documents["/d/1"] = copy_
    result = await in_cli(b.home, "payout", "verify", copy_["id"])
    assert result.exit_code == 1
    assert "the distribution: the proof does not verify" in result.stderr
    assert "users/alice: published 750.01 EUR, recomputed 750.00 EUR" in result.stderr
    assert "users/dave: published 249.99 EUR, recomputed 250.00 EUR" in result.stderr


async def test_a_standing_input_that_no_longer_matches_fails(served, fake_peer):
    a, _ = served
    base, documents = fake_peer
    # The distribution names another checkpoint than the standing it cites was computed at.
    moved = copy.deepcopy(a.distribution)
    moved["id"] = f"{base}/d/2"
    moved["inputs"][0]["checkpoint"]["treeSize"] -= 1
    documents["/d/2"] = moved
    result = await in_cli(a.home, "payout", "verify", moved["id"], "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and not report["ok"]
    assert any("computed at another checkpoint" in p for p in report["problems"])

    # A forged standing with other shares, served by the peer and cited instead.
    standing = payouts.logged_object(a.node, a.distribution["inputs"][0]["id"])
    forged = copy.deepcopy(standing)
    forged["id"] = f"{base}/s/1"
    forged["standings"][0]["share"], forged["standings"][1]["share"] = "0.500000000", "0.500000000"
    documents["/s/1"] = forged
    cited = copy.deepcopy(a.distribution)
    cited["id"] = f"{base}/d/3"
    cited["inputs"][0]["id"] = forged["id"]
    cited["payouts"][0]["amount"], cited["payouts"][1]["amount"] = "500.00", "500.00"
    documents["/d/3"] = cited
    result = await in_cli(a.home, "payout", "verify", cited["id"], "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1
    problems = "\n".join(report["problems"])
    assert f"the standing {forged['id']}: the proof does not verify" in problems
    assert "share of" in problems and "recomputed" in problems  # the figures differ from the log


async def test_a_remote_distribution_that_cannot_be_fetched_is_an_error(served, fake_peer):
    _, b = served
    base, _ = fake_peer
    result = await in_cli(b.home, "payout", "verify", f"{base}/d/missing")
    assert result.exit_code == 1 and "answered 404" in result.stderr


async def test_a_phyle_pays_across_two_nodes(tmp_path):
    """Rootwork on B sustains Garden on A and Wiki on B: A's log is replicated to B, each
    pool's half goes by its own standing, and both nodes can check the result."""
    from support_nodes import eventually

    from fedcommons.store import follows as follow_store

    a, b = RunningNode.create(tmp_path, "a"), RunningNode.create(tmp_path, "b")
    await a.start()
    await b.start()
    try:
        for running, pool, person, steward in ((a, "garden", "alice", "bob"), (b, "wiki", "dave", "erin")):
            for name in (person, steward):
                create_actor(running.node, "person", name)
            create_pool(running.node, pool, name=pool.title(), stewards=[steward])
            decide(running.node, contribute(running.node, pool=pool, person=person, effort="3h", kind="code",
                                            summary="work", when="2025-03-03"), steward)
        create_actor(b.node, "person", "carol")
        create_coop(b.node, "rootwork", name="Rootwork", members=["carol"])
        result = await in_cli(b.home, "coop", "sustain", "rootwork", f"@garden@127.0.0.1:{a.port}", "--as", "carol")
        assert result.exit_code == 0, result.stderr
        assert f"replicated the log of {a.url}" in result.stdout
        await in_cli(b.home, "coop", "sustain", "rootwork", "wiki", "--weight", "3", "--as", "carol")
        coop = f"{b.url}/coops/rootwork"
        await eventually(lambda: follow_store.followers(a.node.db, f"{a.url}/pools/garden") == [coop])

        result = await in_cli(b.home, "payout", "rootwork", "--amount", "800.00", "--currency", "EUR",
                              "--policy", "immediate", "--period", "2025-03", "--as", "carol", "--format", "json")
        assert result.exit_code == 0, result.stderr
        doc = json.loads(result.stdout)["distribution"]
        amounts = {row["recipient"]: row["amount"] for row in doc["payouts"]}
        assert amounts == {f"{a.url}/users/alice": "200.00", f"{b.url}/users/dave": "600.00"}
        origins = {i["pool"]: i["checkpoint"]["origin"] for i in doc["inputs"]}
        assert origins == {f"{a.url}/pools/garden": f"127.0.0.1:{a.port}",
                           f"{b.url}/pools/wiki": f"127.0.0.1:{b.port}"}

        result = await in_cli(b.home, "payout", "verify", doc["id"], "--format", "json")
        report = json.loads(result.stdout)
        assert report["ok"] and report["recomputedStandings"] == 2, report
        # A replicates B's log to check the Wiki standing; Garden's is in its own log.
        result = await in_cli(a.home, "payout", "verify", doc["id"], "--format", "json")
        report = json.loads(result.stdout)
        assert report["ok"] and report["recomputedStandings"] == 2, report
    finally:
        await b.stop()
        await a.stop()


async def test_a_standing_whose_log_cannot_be_had_is_noted_not_recomputed(served, fake_peer):
    a, b = served
    base, documents = fake_peer
    gone = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    standing = copy.deepcopy(payouts.logged_object(a.node, a.distribution["inputs"][0]["id"]))
    standing["id"], standing["pool"] = f"{base}/s/2", f"{gone}/pools/garden"
    standing["checkpoint"]["origin"] = gone.removeprefix("http://")
    documents["/s/2"] = standing
    cited = copy.deepcopy(a.distribution)
    cited["id"] = f"{base}/d/4"
    cited["inputs"][0].update(id=standing["id"], pool=standing["pool"], checkpoint=standing["checkpoint"])
    documents["/d/4"] = cited
    result = await in_cli(b.home, "payout", "verify", cited["id"], "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and report["recomputedStandings"] == 0
    assert any(note.startswith(f"the figures of {standing['id']} were taken as signed") for note in report["notes"])
    assert any(f"the standing {standing['id']}: the proof does not verify" in p for p in report["problems"])
