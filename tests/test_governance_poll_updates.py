"""Live poll counts for Mastodon: the pool sends a signed Update of the proposal's Question
with its new count to its followers, at most once a minute per proposal and once at the end
with the final count; delivered, never logged."""

import asyncio
import json
from datetime import datetime, timedelta, timezone

from fedcommons.federation import poll_updates
from fedcommons.federation.poll_updates import PollUpdates
from fedcommons.governance.announcing import FINAL, LIVE, Count, Sent, next_announcement
from fedcommons.home import init_node
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.contributions import contributions
from fedcommons.services.governance import proposals
from fedcommons.sig.keys import ed25519_public_from_multibase
from fedcommons.sig.proof import verify_proof
from fedcommons.store import actors as actor_store
from fedcommons.store import follows as follow_store
from fedcommons.store import log as log_store
from fedcommons.store import outgoing as outgoing_store
from fedcommons.web.keys import POLL_UPDATES
from support_nodes import eventually, served_node
from support_remote import serve_peer

URL = "http://127.0.0.1:8080"
AS = "https://www.w3.org/ns/activitystreams"

def test_counts_are_coalesced_to_one_update_a_minute_and_one_at_the_end():
    one, two = Count(1, (1, 0)), Count(2, (1, 1))
    decide = lambda last, count, now: next_announcement(last, count, now=now, end=1000.0, interval=60.0)  # noqa: E731
    assert decide(None, Count(0, (0, 0)), 0.0) is None  # the Question went out with these zeros
    assert decide(None, one, 5.0) == LIVE  # the first change goes at once
    assert decide(Sent(one, 5.0), one, 6.0) is None  # nothing new
    assert decide(Sent(one, 5.0), two, 30.0) is None  # new, but within the minute: it waits...
    assert decide(Sent(one, 5.0), two, 65.0) == LIVE  # ...and goes once the minute is over
    assert decide(Sent(two, 65.0), two, 999.0) is None
    assert decide(Sent(two, 990.0), two, 1000.0) == FINAL  # the end, however recent the last
    assert decide(Sent(two, 1000.0, final=True), Count(3, (2, 1)), 5000.0) is None  # and nothing after

class FakeClock:
    def __init__(self, start: float):
        self.now = start

    def __call__(self) -> float:
        return self.now

def governed(node, end: datetime) -> str:
    """garden (steward bob) governed, alice and carol with validated work; an open proposal."""
    for name in ("bob", "alice", "carol"):
        create_actor(node, "person", name)
    create_pool(node, "garden", name="Garden", stewards=["bob"])
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    for name in ("alice", "carol"):
        contributions.decide(node, contributions.contribute(node, pool="garden", person=name, effort="1h",
                                                            kind="code", summary="work", when=today), "bob")
    proposals.adopt(node, "garden", steward="bob", settings={"quorum": "0"})
    return proposals.propose(node, "garden", proposer="bob", title="CC0?", change={"license": "CC0-1.0"},
                             ends=end)["object"]["id"]

def queued_updates(node) -> list[dict]:
    rows = node.db.conn.execute("SELECT body FROM outgoing ORDER BY id").fetchall()
    return [d for d in (json.loads(body) for (body,) in rows) if d["type"] == "Update"]

def counts(update: dict) -> tuple:
    question = update["object"]
    return question["votersCount"], [o["replies"]["totalItems"] for o in question["oneOf"]], "closed" in question

def test_the_worker_coalesces_with_a_fake_clock_and_never_logs(tmp_path):
    node = init_node(tmp_path / "home", URL)
    try:
        end = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
        question = governed(node, end)
        clock = FakeClock(datetime.now(timezone.utc).timestamp() + 1)
        worker = PollUpdates(node, clock=clock)
        rounds = lambda: asyncio.run(worker.round())  # noqa: E731
        assert rounds() == []  # no vote yet: the Question already says 0
        proposals.vote(node, "alice", question, "yes")
        assert rounds() == []  # at once after a counting round: counting is paced by its own cost
        clock.now += 5  # a tick later (counting waits ten times what the last counting took)
        [first] = rounds()
        assert counts(queued_updates(node)[-1]) == (1, [1, 0], False)
        proposals.vote(node, "carol", question, "no")
        size = log_store.log_size(node.db)
        clock.now += 30
        assert rounds() == []  # within the minute of the last Update
        clock.now += 31
        [second] = rounds()
        assert counts(queued_updates(node)[-1]) == (2, [1, 1], False)
        clock.now += 600
        assert rounds() == []  # nothing new
        clock.now = end.timestamp() + 1
        [final] = rounds()
        assert counts(queued_updates(node)[-1]) == (2, [1, 1], True)
        clock.now += 3600
        assert rounds() == []
        assert len({first, second, final}) == 3 and len(queued_updates(node)) == 3
        # Delivered, not logged: the log holds no Update of the Question.
        assert log_store.log_size(node.db) == size
        assert all(outgoing_store.body(node.db, u) for u in (first, second, final))
        # A restart (a new worker) neither repeats the final one nor sends another.
        assert asyncio.run(PollUpdates(node, clock=clock).round()) == []
    finally:
        node.close()

async def test_a_mastodon_follower_receives_the_new_count(tmp_path, http, monkeypatch):
    monkeypatch.setattr(poll_updates, "TICK", 0.1)
    async with served_node(tmp_path) as running, serve_peer() as peer:
        node = running.node
        question = governed(node, datetime.now(timezone.utc) + timedelta(hours=1))
        garden = f"{running.url}/pools/garden"
        zoe = peer.person("zoe")
        # Mastodon's Follow: no published time, no proof, signed with RSA.
        follow = {"@context": AS, "id": f"{zoe.id}#follows/1", "type": "Follow", "actor": zoe.id, "object": garden}
        assert (await zoe.post(http, f"{garden}/inbox", follow))[0] == 202
        await eventually(lambda: follow_store.count_followers(node.db, garden) == 1)
        await running.app[POLL_UPDATES].writer.run(proposals.vote, "alice", question, "yes")

        def update_received():
            return [body for _, _, body in peer.received if body.get("type") == "Update"]

        [update] = await eventually(update_received)
        assert update["actor"] == garden and update["object"]["id"] == question
        assert update["object"]["votersCount"] == 1
        assert [o["replies"]["totalItems"] for o in update["object"]["oneOf"]] == [1, 0]
        assert {"votersCount": "toot:votersCount", "toot": "http://joinmastodon.org/ns#"} in update["@context"]
        pool = actor_store.actor(node.db, garden)
        assert verify_proof(update, ed25519_public_from_multibase(pool.ed25519_multibase)).ok
        # The next change waits for the minute: nothing more arrives meanwhile.
        await running.app[POLL_UPDATES].writer.run(proposals.vote, "carol", question, "no")
        await asyncio.sleep(0.5)
        assert len(update_received()) == 1
