"""Votes and delegations from other servers: a Mastodon poll vote is counted; anything
malformed fails alone and records nothing."""

import asyncio
import json
from datetime import datetime, timedelta, timezone

import pytest

from fedcommons.federation.inbox_worker import InboxWorker
from fedcommons.home import init_node
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.contributions import contributions
from fedcommons.services.governance import proposals, tallies
from fedcommons.store import inbox as inbox_store
from fedcommons.store import log as log_store
from support_nodes import eventually, served_node
from support_remote import serve_peer

AS = "https://www.w3.org/ns/activitystreams"
TODAY = datetime.now(timezone.utc).strftime("%Y-%m-%dT00:00:00Z")


def contribution_from(author: str, garden: str, n: int = 1) -> dict:
    obj = {"id": f"{author}/contributions/{n}", "type": ["Note", "Contribution"], "attributedTo": author,
           "provider": author, "receiver": garden, "action": "work", "kind": "code", "name": "weeding",
           "published": TODAY, "effortQuantity": {"type": "Measure", "hasUnit": "hour", "hasNumericalValue": 1},
           "to": [garden]}
    return {"@context": AS, "id": f"{author}/activities/{n}", "type": "Create", "actor": author, "to": [garden],
            "object": obj}


def mastodon_vote(author: str, question: str, garden: str, option: str, n: int = 1) -> dict:
    """Exactly what Mastodon's VoteSerializer sends: no published time, no proof."""
    return {"@context": AS, "id": f"{author}#votes/{n}/activity", "type": "Create", "actor": author, "to": garden,
            "object": {"id": f"{author}#votes/{n}", "type": "Note", "name": option, "attributedTo": author,
                       "inReplyTo": question, "to": garden}}


def governed_pool(node) -> str:
    """garden, stewarded by bob, governed; returns an open proposal's URL."""
    create_actor(node, "person", "bob")
    create_pool(node, "garden", name="Garden", stewards=["bob"])
    proposals.adopt(node, "garden", steward="bob", settings={"quorum": "0"})
    return proposals.propose(node, "garden", proposer="bob", title="CC0?", change={"license": "CC0-1.0"},
                             ends=datetime.now(timezone.utc) + timedelta(hours=1))["object"]["id"]


async def test_a_mastodon_poll_vote_from_another_server_is_counted(tmp_path, http):
    async with served_node(tmp_path) as running, serve_peer() as peer:
        node = running.node
        question = governed_pool(node)
        garden, inbox = f"{running.url}/pools/garden", f"{running.url}/pools/garden/inbox"
        zoe = peer.person("zoe")
        assert (await zoe.post(http, inbox, contribution_from(zoe.id, garden)))[0] == 202
        contribution = f"{zoe.id}/contributions/1"
        await eventually(lambda: node.db.conn.execute(
            "SELECT 1 FROM contributions WHERE id = ?", (contribution,)).fetchone())
        # Times are whole seconds: the validation must fall in a later second than the first poll.
        await asyncio.sleep(1.05)
        contributions.decide(node, contribution, "bob")
        # The poll was published before zoe's work was validated: she has no vote on it.
        late_electorate = proposals.propose(node, "garden", proposer="bob", title="MIT?",
                                            change={"license": "MIT"},
                                            ends=datetime.now(timezone.utc) + timedelta(hours=1))["object"]["id"]
        for n, poll in enumerate((question, late_electorate), start=1):
            status, _ = await zoe.post(http, inbox, mastodon_vote(zoe.id, poll, garden, "yes", n))
            assert status == 202
        await eventually(lambda: node.db.conn.execute(
            "SELECT count(*) FROM log_entries WHERE type = 'Add'").fetchone()[0] == 2)
        early = tallies.proposal_tally(node, question).document
        assert early["votes"] == [] and early["uncounted"][0]["voter"] == zoe.id  # not an elector then
        counted = tallies.proposal_tally(node, late_electorate).document
        assert counted["votes"] == [{"elector": zoe.id, "option": "yes", "weight": "1", "path": [zoe.id]}]
        assert counted["totals"][0] == {"option": "yes", "weight": "1"}


@pytest.fixture
def node(tmp_path):
    node = init_node(tmp_path / "home", "http://127.0.0.1:8080")
    yield node
    node.close()


REMOTE = "https://social.example/users/zoe"


def deliver(node, activity: dict, n: int) -> tuple:
    """Put an activity in the inbox as zoe's server sent it, process it: (state, reason)."""
    ident = activity.get("id") if isinstance(activity.get("id"), str) else f"{REMOTE}#x{n}"
    inbox_store.insert_item(node.db, ident, json.dumps(activity).encode(), REMOTE, f"{REMOTE}#main-key", None,
                            TODAY)
    asyncio.run(InboxWorker(node, client=None).process_waiting())
    return node.db.conn.execute("SELECT state, error FROM inbox_items WHERE activity_id = ?", (ident,)).fetchone()


def test_malformed_votes_and_delegations_fail_alone_and_record_nothing(node):
    question = governed_pool(node)
    garden = "http://127.0.0.1:8080/pools/garden"
    good = mastodon_vote(REMOTE, question, garden, "yes")
    broken = [
        {**good, "id": f"{REMOTE}#b1", "object": {**good["object"], "name": ["yes"]}},
        {**good, "id": f"{REMOTE}#b2", "object": {**good["object"], "inReplyTo": 7}},
        {**good, "id": f"{REMOTE}#b3", "object": {**good["object"], "attributedTo": "https://social.example/users/x"}},
        {**good, "id": f"{REMOTE}#b4", "object": {**good["object"], "name": ""}},
        {"id": f"{REMOTE}#d1", "type": ["Activity", "Delegate"], "actor": REMOTE, "object": [1],
         "target": garden, "published": TODAY},
        {"id": f"{REMOTE}#d2", "type": ["Activity", "Delegate"], "actor": REMOTE,
         "object": "https://social.example/users/ann", "target": "https://elsewhere.example/pools/x",
         "published": TODAY},
        {"id": f"{REMOTE}#d3", "type": ["Activity", "Delegate"], "actor": REMOTE, "object": REMOTE,
         "target": garden, "published": TODAY},
        {"id": f"{REMOTE}#u1", "type": "Undo", "actor": REMOTE, "object": f"{REMOTE}#never"},
        {**good, "id": f"{REMOTE}#big", "object": {**good["object"], "content": "x" * 10_000}},
    ]
    size = log_store.log_size(node.db)
    outcomes = [deliver(node, activity, n) for n, activity in enumerate(broken)]
    assert [state for state, _ in outcomes[:2]] == ["failed", "failed"]  # the wrong shape: Malformed
    assert all(state in ("failed", "ignored") for state, _ in outcomes), outcomes
    assert "bytes is not recorded" in outcomes[-1][1]
    assert log_store.log_size(node.db) == size
    # The well-formed ones after them go through.
    assert deliver(node, good, 99)[0] == "processed"
    delegation = {"id": f"{REMOTE}#d9", "type": ["Activity", "Delegate"], "actor": REMOTE,
                  "object": "https://social.example/users/ann", "target": garden, "published": TODAY}
    assert deliver(node, delegation, 100)[0] == "processed"
    undo = {"id": f"{REMOTE}#u9", "type": "Undo", "actor": REMOTE, "object": f"{REMOTE}#d9"}
    assert deliver(node, undo, 101)[0] == "processed"
    assert log_store.log_size(node.db) == size + 3
    assert node.db.conn.execute("SELECT revoked_at IS NOT NULL FROM delegations").fetchall() == [(1,)]
