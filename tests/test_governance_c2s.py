"""Votes and delegations through the ActivityPub API, as a fediverse client posts them."""

import aiohttp
import pytest

from fedcommons.services.governance import tallies
from fedcommons.store import governance as governance_store
from support_governance import governed_garden
from support_nodes import served_node
from support_oauth import PASSWORD, Redirects
from test_c2s import post, signed_in


@pytest.fixture
async def served(tmp_path):
    async with served_node(tmp_path) as running:
        running.question = governed_garden(running.node, PASSWORD)
        yield running


async def test_a_client_votes_delegates_and_takes_it_back(served):
    garden = f"{served.url}/pools/garden"
    redirects = await Redirects().start()  # where the browser lands with the code
    try:
        async with aiohttp.ClientSession() as http:
            actor, access = await signed_in(http, served, f"@carol@127.0.0.1:{served.port}", f"{redirects.base}/cb")
    finally:
        await redirects.stop()
    async with aiohttp.ClientSession() as http:
        outbox = actor["outbox"]
        status, delegated, _ = await post(http, outbox, access, {
            "type": ["Activity", "Delegate"], "object": f"{served.url}/users/alice", "target": garden})
        assert status == 201 and delegated["actor"] == actor["id"] and "proof" in delegated
        assert [d.delegate for d in governance_store.current_delegations(served.node.db, garden)] == [
            f"{served.url}/users/alice"]
        status, problem, _ = await post(http, outbox, access, {"type": ["Activity", "Delegate"], "target": garden})
        assert status == 400
        status, undone, _ = await post(http, outbox, access, {"type": "Undo", "object": delegated["id"]})
        assert status == 201 and undone["object"] == delegated["id"]
        assert governance_store.current_delegations(served.node.db, garden) == []

        # A poll vote as Mastodon's own client-side shape: a bare Note with name and inReplyTo.
        status, voted, _ = await post(http, outbox, access, {"type": "Note", "name": "no",
                                                             "inReplyTo": served.question})
        assert status == 201 and voted["object"]["name"] == "no"
        status, problem, _ = await post(http, outbox, access, {"type": "Note", "name": "perhaps",
                                                               "inReplyTo": served.question})
        assert status == 400 and "not an option" in problem["detail"]
    document = tallies.proposal_tally(served.node, served.question).document
    assert [(v["elector"], v["option"]) for v in document["votes"]] == [(actor["id"], "no")]
