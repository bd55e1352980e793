"""Processing inbox items: an item that fails waits longer each time, and the rest go on."""

import pytest

from fedcommons.errors import FetchError
from fedcommons.federation import inbox_worker
from fedcommons.federation.inbox_worker import InboxWorker
from fedcommons.home import init_node
from fedcommons.store import inbox as inbox_store

FLAKY = "https://down.example/activities/1"


class Clock:
    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def node(tmp_path):
    node = init_node(tmp_path / "home", "http://127.0.0.1:9999", allow_private_addresses=True)
    yield node
    node.close()


@pytest.fixture
def attempts(monkeypatch):
    """Processing that fails for FLAKY (its server is down) and works for anything else."""
    seen: list[str] = []

    async def process(node, writer, client, item):
        seen.append(item.activity_id)
        if item.activity_id == FLAKY:
            raise FetchError("GET https://down.example/users/x timed out after 10 s")
        return "processed", None

    monkeypatch.setattr(inbox_worker, "process", process)
    return seen


def receive(node, activity_id: str) -> None:
    inbox_store.insert_item(node.db, activity_id, b"{}", "https://down.example/users/x", None, None,
                            "2023-11-14T22:13:20Z")


def state(node, activity_id: str) -> tuple:
    return node.db.conn.execute("SELECT state, attempts, next_attempt_at FROM inbox_items WHERE activity_id = ?",
                                (activity_id,)).fetchone()


async def test_a_failing_item_waits_longer_each_time_while_the_others_go_on(node, attempts):
    clock = Clock()
    worker = InboxWorker(node, client=None, clock=clock)
    receive(node, FLAKY)
    receive(node, "https://up.example/activities/2")
    assert await worker.process_waiting()
    assert attempts == [FLAKY, "https://up.example/activities/2"]
    assert state(node, "https://up.example/activities/2")[:2] == ("processed", 1)
    assert state(node, FLAKY) == ("received", 1, "2023-11-14T22:13:50Z")  # 30 s later

    # Not due yet: nothing is tried, and the worker says it is idle (so it sleeps).
    clock.t += 29
    assert not await worker.process_waiting()
    assert attempts == [FLAKY, "https://up.example/activities/2"]

    waits = []
    for _ in range(inbox_store.MAX_ATTEMPTS - 1):
        _, tried, due = state(node, FLAKY)
        clock.t = 1_700_000_000.0 + sum(waits) + inbox_store.retry_delay(tried)
        waits.append(inbox_store.retry_delay(tried))
        assert await worker.process_waiting()
    assert waits == [30, 120, 600, 3600]
    assert attempts.count(FLAKY) == inbox_store.MAX_ATTEMPTS
    assert state(node, FLAKY)[:2] == ("failed", inbox_store.MAX_ATTEMPTS)
    clock.t += 24 * 3600
    assert not await worker.process_waiting()  # a failed item is never tried again
