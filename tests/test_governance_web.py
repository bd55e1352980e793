"""Proposals on the web: the list, a proposal's page with its live tally and delegations,
voting from it when signed in, its Question as JSON-LD and its signed Tally."""

import re
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest

from fedcommons.services.governance import proposals
from support_governance import governed_garden
from support_nodes import served_node
from support_web import AP, HTML, PASSWORD, csrf_of


@pytest.fixture
async def served(tmp_path):
    async with served_node(tmp_path) as running:
        running.question = governed_garden(running.node, PASSWORD)
        proposals.delegate(running.node, "carol", "alice", "garden")
        yield running


async def test_a_signed_in_person_votes_from_the_page_and_the_tally_follows(served):
    question = served.question
    path = question[len(served.url):]
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar, headers={"Accept": HTML}) as http:
        async with http.get(f"{served.url}/pools/garden/proposals") as r:
            listing = await r.text()
        assert r.status == 200 and "Relicense &lt;as CC0&gt;" in listing and path in listing
        async with http.get(question) as r:
            anonymous = await r.text()
        assert "Sign in" in anonymous and 'action="' + question + '/vote"' not in anonymous
        assert "alice" in anonymous and "carol" in anonymous  # the delegation in force

        text = await (await http.get(f"{served.url}/login")).text()
        await http.post(f"{served.url}/login", data={"csrf": csrf_of(text, "/login"), "account": "alice",
                                                     "password": PASSWORD, "next": "/"})
        async with http.get(question) as r:
            page = await r.text()
        token = csrf_of(page, f"{question}/vote")
        async with http.post(f"{question}/vote", data={"csrf": "forged", "option": "yes"},
                             allow_redirects=False) as r:
            assert r.status == 403
        async with http.post(f"{question}/vote", data={"csrf": token, "option": "maybe"},
                             allow_redirects=False) as r:
            assert r.status == 400 and "not an option" in await r.text()
        async with http.post(f"{question}/vote", data={"csrf": token, "option": "yes"},
                             allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == f"{question}?voted=1"
        async with http.get(f"{question}?voted=1") as r:
            page = await r.text()
        assert "You vote <strong>yes</strong>" in page
        totals = re.search(r"<tr><td>yes</td><td>([0-9.]+)</td></tr>", page)
        assert totals and totals.group(1) == "2"  # alice, and carol through her delegation

    async with aiohttp.ClientSession(headers={"Accept": AP}) as http:
        async with http.get(question) as r:
            document = await r.json(content_type=None)
        assert document["type"] == "Question" and [o["name"] for o in document["oneOf"]] == ["yes", "no"]
        # The live count where Mastodon reads a poll's results: alice, and carol through her.
        assert [o["replies"]["totalItems"] for o in document["oneOf"]] == [2, 0]
        assert document["votersCount"] == 2 and "closed" not in document
        async with http.get(f"{question}/tally") as r:
            body = await r.read()
            tally = await r.json(content_type=None)
        assert tally["outcome"] == "open" and tally["participation"] == "2" and "proof" in tally
        async with http.get(tally["id"]) as r:
            assert await r.read() == body  # its id recomputes the same bytes
        async with http.get(f"{question}/tally", params={"treeSize": "nope"}) as r:
            assert r.status == 400
        async with http.get(f"{served.url}/pools/garden/proposals/0123456789abcdef") as r:
            assert r.status == 404


async def test_a_cooperative_s_proposals_have_pages_too(served):
    from fedcommons.services.payouts import coops

    node = served.node
    coops.create_coop(node, "rootwork", name="Rootwork", members=["carol"])
    proposals.adopt_for_coop(node, "rootwork", member="carol")
    question = proposals.propose(
        node, "rootwork", proposer="carol", title="Sustain the garden", kind="cooperative",
        change={"sustains": [{"pool": f"{served.url}/pools/garden", "weight": "1"}]},
        ends=datetime.now(timezone.utc) + timedelta(hours=1))["object"]["id"]
    assert question.startswith(f"{served.url}/coops/rootwork/proposals/")
    async with aiohttp.ClientSession(headers={"Accept": HTML}) as http:
        async with http.get(f"{served.url}/coops/rootwork") as r:
            assert "/coops/rootwork/proposals" in await r.text()
        async with http.get(f"{served.url}/coops/rootwork/proposals") as r:
            assert r.status == 200 and "Sustain the garden" in await r.text()
        async with http.get(question) as r:
            page = await r.text()
        assert r.status == 200 and "sets <code>sustains</code>" in page
        async with http.get(f"{served.url}/coops/nobody/proposals") as r:
            assert r.status == 404
    async with aiohttp.ClientSession(headers={"Accept": AP}) as http:
        async with http.get(f"{question}/tally") as r:
            tally = await r.json(content_type=None)
    assert tally["governs"] == f"{served.url}/coops/rootwork" and tally["electorateWeight"] == "1"
