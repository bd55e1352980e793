"""A contribution meets the same checks whichever door it comes in by: the command line
(and the web form, which call the same service), the ActivityPub API, an import, and
another server's inbox delivery. Each refuses a bad claim with the same reason and
records nothing."""

import asyncio
import json

import pytest

from fedcommons.federation.inbox_worker import InboxWorker
from fedcommons.home import init_node
from fedcommons.services.contributions import c2s
from fedcommons.services.importing import importing
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.contributions.contributions import MAX_EVIDENCE
from fedcommons.services.actors.pools import create_pool
from fedcommons.store import actors as actor_store
from fedcommons.store import inbox as inbox_store
from fedcommons.store.writer import Direct
from support_cli import run

BASE = "http://127.0.0.1:9999"
GARDEN = f"{BASE}/pools/garden"
REMOTE = "https://remote.example/users/mallory"

# What is wrong with each claim, and the reason every door gives.
BAD = {
    "javascript link": ({"evidence": ["javascript:alert(document.cookie)"]},
                        "evidence must be http(s) URLs, not 'javascript:alert(document.cookie)'"),
    "100 KB summary": ({"summary": "weeding " * 12_800}, "the summary is 102399 characters; keep it under 500"),
    "too many links": ({"evidence": [f"https://git.example/c/{i}" for i in range(MAX_EVIDENCE + 1)]},
                       f"at most {MAX_EVIDENCE} evidence links"),
}


def claim(**changes) -> dict:
    return {"summary": "weeded the beds", "evidence": ["https://git.example/c/1"], **changes}


@pytest.fixture
def node(tmp_path):
    node = init_node(tmp_path / "home", BASE, allow_private_addresses=True)
    create_actor(node, "person", "alice")
    create_actor(node, "person", "bob")
    create_pool(node, "garden", name="Garden", stewards=["bob"])
    yield node
    node.close()


def recorded(node) -> int:
    return node.db.conn.execute("SELECT count(*) FROM contributions").fetchone()[0]


def by_command_line(node, fields: dict) -> str:
    links = [arg for link in fields["evidence"] for arg in ("--evidence", link)]
    result = run(node.config.home, "contribute", "--pool", "garden", "--as", "alice", "--effort", "1h",
                 "--kind", "code", "--summary", fields["summary"], *links, code=2)
    return result.stderr.strip().removeprefix("error: ")


def by_api(node, fields: dict) -> str:
    alice = actor_store.local_actor(node.db, "alice", "person")
    body = {"type": "Contribution", "receiver": GARDEN, "kind": "code", "name": fields["summary"],
            "effortQuantity": {"type": "Measure", "hasUnit": "hour", "hasNumericalValue": 1},
            "evidence": fields["evidence"]}
    with pytest.raises(Exception) as refused:
        asyncio.run(c2s.submit(node, Direct(node), None, alice, body))
    return str(refused.value)


def by_import(node, fields: dict) -> str:
    row = {"pool": "garden", "as": "alice", "effort": "1h", "kind": "code", **fields}
    good, bad = importing.check_rows(node, [(1, row)])
    assert good == []
    [(line, reason)] = bad
    return reason


def remote_create(fields: dict, n: str) -> dict:
    obj = {"id": f"{REMOTE}/contributions/{n}", "type": ["Note", "Contribution"], "attributedTo": REMOTE,
           "provider": REMOTE, "receiver": GARDEN, "action": "work", "kind": "code", "name": fields["summary"],
           "content": "<p>weeding</p>", "published": "2026-01-01T00:00:00Z", "evidence": fields["evidence"],
           "effortQuantity": {"type": "Measure", "hasUnit": "hour", "hasNumericalValue": 1},
           "to": [GARDEN], "cc": []}
    return {"id": f"{REMOTE}/activities/{n}", "type": "Create", "actor": REMOTE, "to": [GARDEN], "object": obj}


def by_federation(node, fields: dict, n: str = "bad") -> tuple[str, str]:
    activity = remote_create(fields, n)
    inbox_store.insert_item(node.db, activity["id"], json.dumps(activity).encode(), REMOTE, f"{REMOTE}#main-key",
                            None, "2026-01-01T00:00:00Z")
    asyncio.run(InboxWorker(node, client=None).process_waiting())
    return node.db.conn.execute("SELECT state, error FROM inbox_items WHERE activity_id = ?",
                                (activity["id"],)).fetchone()


@pytest.mark.parametrize("what", BAD)
def test_every_door_refuses_a_bad_claim_with_the_same_reason(node, what):
    changes, reason = BAD[what]
    fields = claim(**changes)
    assert by_command_line(node, fields) == reason
    assert by_api(node, fields) == reason
    assert by_import(node, fields) == reason
    assert by_federation(node, fields) == ("ignored", reason)
    assert recorded(node) == 0


def test_the_same_claim_done_right_comes_in_by_every_door(node):
    """The doors above refuse the bad field, not the claim around it."""
    run(node.config.home, "contribute", "--pool", "garden", "--as", "alice", "--effort", "1h", "--kind", "code",
        "--summary", "weeded the beds", "--evidence", "https://git.example/c/1")
    alice = actor_store.local_actor(node.db, "alice", "person")
    asyncio.run(c2s.submit(node, Direct(node), None, alice, {
        "type": "Contribution", "receiver": GARDEN, "kind": "code", "name": "weeded the beds",
        "effortQuantity": {"type": "Measure", "hasUnit": "hour", "hasNumericalValue": 1},
        "evidence": ["https://git.example/c/1"]}))
    good, bad = importing.check_rows(node, [(1, {"pool": "garden", "as": "alice", "effort": "1h", "kind": "code",
                                                 **claim()})])
    assert bad == [] and len(good) == 1
    assert by_federation(node, claim(), "good") == ("processed", None)
    assert recorded(node) == 3


@pytest.mark.parametrize("effort, reason", [
    ({"type": "Measure", "hasUnit": "minute", "hasNumericalValue": "1e2"}, "positive whole number of minutes"),
    ({"type": "Measure", "hasUnit": "minute", "hasNumericalValue": 20_000}, "at most a week"),
    ({"type": "Measure", "hasUnit": "minute", "hasNumericalValue": 2.5}, "positive whole number of minutes"),
])
def test_another_server_s_effort_is_read_as_the_standings_read_it(node, effort, reason):
    activity_fields = claim()
    activity = remote_create(activity_fields, "effort")
    activity["object"]["effortQuantity"] = effort
    inbox_store.insert_item(node.db, activity["id"], json.dumps(activity).encode(), REMOTE, f"{REMOTE}#main-key",
                            None, "2026-01-01T00:00:00Z")
    asyncio.run(InboxWorker(node, client=None).process_waiting())
    state, error = node.db.conn.execute("SELECT state, error FROM inbox_items WHERE activity_id = ?",
                                        (activity["id"],)).fetchone()
    assert state == "ignored" and reason in error
    assert recorded(node) == 0
