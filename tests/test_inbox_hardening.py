"""A malformed activity fails alone: every shape of bad field in every handled activity is
recorded with a reason, the items behind it are processed, and effects happen once."""

import asyncio
import copy
import json
import sqlite3
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedcommons.errors import FetchError
from fedcommons.federation import inbox_worker
from fedcommons.federation.inbox_worker import InboxWorker, transient
from fedcommons.fields import Malformed
from fedcommons.home import init_node
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.store import contributions as contribution_store
from fedcommons.store import follows as follow_store
from fedcommons.store import inbox as inbox_store

BASE = "http://127.0.0.1:9999"
GARDEN = f"{BASE}/pools/garden"
ACTOR = "https://remote.example/users/mallory"

# Every shape a JSON field can take that the handlers do not expect somewhere.
SHAPES = [0, -1, 2.5, 1e308, True, False, None, "", "not a url", "x" * 100_000, [], [1], [True, None],
          [[GARDEN]], {}, {"id": 5}, {"id": [GARDEN]}, [{"type": "Mention", "href": 7}], {"a": {"b": []}}]


class FakeClient:
    """The remote side as processing sees it: the actor exists, or (down) cannot be fetched."""

    def __init__(self, down: bool = False):
        self.down = down

    async def actor(self, url, *, refresh=False):
        if self.down:
            raise FetchError(f"GET {url} timed out after 10 s")
        return SimpleNamespace(id=url, display_name="Mallory", name="mallory",
                               document=json.dumps({"id": url, "stewards": [ACTOR]}))


@pytest.fixture
def node(tmp_path):
    node = init_node(tmp_path / "home", BASE, allow_private_addresses=True)
    create_actor(node, "person", "bob")
    create_pool(node, "garden", name="Garden", stewards=["bob"])
    yield node
    node.close()


def templates(n: str) -> dict[str, dict]:
    """A valid activity of each handled type (ids made unique by `n`)."""
    act = f"{ACTOR}/activities/{n}"
    note = {"id": f"{ACTOR}/notes/{n}", "type": "Note", "attributedTo": ACTOR, "inReplyTo": None,
            "content": "<p>@garden 3h watering #care</p>", "to": [GARDEN], "cc": [],
            "tag": [{"type": "Mention", "href": GARDEN}, {"type": "Hashtag", "name": "#care"}]}
    contribution = {"id": f"{ACTOR}/contributions/{n}", "type": ["Note", "Contribution"],
                    "attributedTo": ACTOR, "provider": ACTOR, "receiver": GARDEN, "kind": "care",
                    "name": "watering", "content": "<p>watering</p>", "published": "2026-01-01T00:00:00Z",
                    "effortQuantity": {"type": "Measure", "hasUnit": "hour", "hasNumericalValue": 3},
                    "to": [GARDEN], "cc": []}
    target = f"{BASE}/contributions/unknown"
    return {
        "Follow": {"id": act, "type": "Follow", "actor": ACTOR, "object": GARDEN},
        "Create Note": {"id": act, "type": "Create", "actor": ACTOR, "to": [GARDEN], "object": note},
        "Create Contribution": {"id": act, "type": "Create", "actor": ACTOR, "to": [GARDEN],
                                "object": contribution},
        "Like": {"id": act, "type": "Like", "actor": ACTOR, "object": target},
        "Accept": {"id": act, "type": "Accept", "actor": ACTOR, "object": target, "content": "fine"},
        "Reject": {"id": act, "type": "Reject", "actor": ACTOR, "object": target, "content": "no"},
        "Undo": {"id": act, "type": "Undo", "actor": ACTOR,
                 "object": {"id": f"{ACTOR}/follows/{n}", "type": "Follow", "actor": ACTOR, "object": GARDEN}},
        "Update": {"id": act, "type": "Update", "actor": ACTOR, "object": ACTOR},
        "Delete": {"id": act, "type": "Delete", "actor": ACTOR, "object": target},
    }


# The fields each activity's handler reads; "object.x" is a field of the embedded object.
FIELDS = {
    "Follow": ["object", "id"],
    "Create Note": ["object", "object.to", "object.cc", "object.tag", "object.id", "object.attributedTo",
                    "object.inReplyTo", "object.content", "object.source", "object.type"],
    "Create Contribution": ["object.receiver", "object.provider", "object.attributedTo", "object.id",
                            "object.effortQuantity", "object.effortQuantity.hasNumericalValue",
                            "object.effortQuantity.hasUnit", "object.kind", "object.name",
                            "object.published", "object.claim", "actor"],
    "Like": ["object"], "Accept": ["object", "content"], "Reject": ["object", "content"],
    "Undo": ["object", "object.object", "object.type"], "Update": ["object"], "Delete": ["object"],
}


def with_field(activity: dict, path: str, value) -> dict:
    changed = copy.deepcopy(activity)
    *parents, last = path.split(".")
    target = changed
    for key in parents:
        target = target[key]
    target[last] = value
    return changed


def receive(node, activity: dict, actor: str = ACTOR) -> int:
    body = json.dumps(activity).encode()
    activity_id = activity["id"] if isinstance(activity.get("id"), str) else f"{ACTOR}/odd/{len(body)}-{hash(body)}"
    inbox_store.insert_item(node.db, activity_id, body, actor, f"{actor}#main-key", None, "2026-01-01T00:00:00Z")
    return node.db.conn.execute("SELECT max(id) FROM inbox_items").fetchone()[0]


def outcome(node, item_id: int) -> tuple:
    return node.db.conn.execute("SELECT state, error, attempts FROM inbox_items WHERE id = ?", (item_id,)).fetchone()


async def drain(worker: InboxWorker, rounds: int = 50) -> None:
    for _ in range(rounds):
        if not await worker.process_waiting():
            return
    raise AssertionError(f"the inbox still had work after {rounds} rounds")


async def test_every_malformed_field_fails_its_own_item_and_the_next_activity_is_processed(node):
    worker = InboxWorker(node, FakeClient())
    items = []
    n = 0
    for kind, paths in FIELDS.items():
        for path in paths:
            for shape in SHAPES:
                n += 1
                items.append((kind, path, shape, receive(node, with_field(templates(str(n))[kind], path, shape))))
    follow = templates("valid")["Follow"]
    last = receive(node, follow)
    await drain(worker)

    for kind, path, shape, item_id in items:
        state, error, attempts = outcome(node, item_id)
        assert state in ("processed", "ignored", "failed"), (kind, path, repr(shape)[:40], state)
        if state != "processed":
            assert error, (kind, path, repr(shape)[:40], "no reason recorded")
        if state == "failed":
            assert attempts == 1, "a malformed item is not retried"
            assert len(error) <= inbox_worker.MAX_REASON
    assert outcome(node, last)[0] == "processed"
    assert follow_store.followers(node.db, GARDEN) == [ACTOR]
    failed = node.db.conn.execute("SELECT error FROM inbox_items WHERE state = 'failed'").fetchall()
    assert any("to" in error and "a number" in error for (error,) in failed)
    assert any("receiver" in error and "a list" in error for (error,) in failed)


async def test_a_note_claim_is_recorded_once_with_malformed_notes_around_it(node):
    worker = InboxWorker(node, FakeClient())
    poison = with_field(templates("1")["Create Note"], "object.to", 5)
    valid = templates("2")["Create Note"]
    also_poison = with_field(templates("3")["Create Contribution"], "object.receiver", [GARDEN])
    ids = [receive(node, poison), receive(node, valid), receive(node, also_poison)]
    await drain(worker)
    assert [outcome(node, i)[0] for i in ids] == ["failed", "processed", "failed"]
    claim = node.db.conn.execute("SELECT contributor, minutes, kind FROM contributions WHERE claim = ?",
                                 (valid["object"]["id"],)).fetchone()
    assert claim == (ACTOR, 180, "care")


async def test_effects_happen_once_when_the_rest_of_the_batch_is_not_recorded(node, monkeypatch):
    """A Follow ahead of an item whose outcome cannot be recorded: the batch is tried again,
    and the Follow is not answered a second time."""
    worker = InboxWorker(node, FakeClient(down=True))
    follow = receive(node, templates("1")["Follow"])
    receive(node, templates("2")["Update"])  # its actor's server is down: a retry is due

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(inbox_store, "retry_later", broken)
    with pytest.raises(sqlite3.OperationalError):
        await worker.process_waiting()
    monkeypatch.undo()
    await worker.process_waiting()

    assert outcome(node, follow)[:1] == ("processed",)
    sent = [json.loads(body)["type"] for (body,) in node.db.conn.execute("SELECT body FROM outgoing")]
    assert sent == ["Accept"]


async def test_a_claim_keyed_by_another_servers_note_id_is_ignored(node):
    """An item stored before the inbox checked ids: processing checks the Note's id again."""
    worker = InboxWorker(node, FakeClient())
    squat = with_field(templates("1")["Create Note"], "object.id", "https://victim.example/notes/1")
    item = receive(node, squat)
    await drain(worker)
    assert outcome(node, item)[:2] == ("ignored", "the Note's id is not on its author's server")
    assert not contribution_store.claimed(node.db, "https://victim.example/notes/1")


async def test_only_transient_failures_are_retried(node):
    worker = InboxWorker(node, FakeClient(down=True))
    down = receive(node, templates("1")["Update"])
    malformed = receive(node, with_field(templates("2")["Follow"], "object", 12))
    await worker.process_waiting()
    assert outcome(node, down)[0] == "received"  # waits for its retry
    assert outcome(node, malformed)[0] == "failed"
    assert outcome(node, malformed)[2] == 1


@pytest.mark.parametrize("exc, expected", [
    (FetchError("GET x timed out after 10 s"), True),
    (FetchError("GET x answered 503", upstream_status=503), True),
    (FetchError("GET x answered 429", upstream_status=429), True),
    (FetchError("GET x answered 404", upstream_status=404), False),
    (FetchError("GET x answered 410", upstream_status=410), False),
    (sqlite3.OperationalError("database is locked"), True),
    (sqlite3.OperationalError("no such table: x"), False),
    (Malformed("to is a number, not a URL"), False),
    (TypeError("'int' object is not iterable"), False),
    (KeyError("id"), False),
])
def test_what_counts_as_transient(exc, expected):
    assert transient(exc) is expected


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["id", "type", "href", "name"]),
                                                                  inner, max_size=4),
    max_leaves=12,
)
PATHS = [(kind, path) for kind, paths in FIELDS.items() for path in paths]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from(PATHS), value=JSON, n=st.uuids())
def test_any_json_in_any_field_leaves_no_item_waiting(node, where, value, n):
    kind, path = where
    item = receive(node, with_field(templates(n.hex)[kind], path, value))
    asyncio.run(drain(InboxWorker(node, FakeClient())))
    state, error, _ = outcome(node, item)
    assert state in ("processed", "ignored", "failed")
    assert state == "processed" or error
