"""The projection's batched path (runs of new contributions and of decisions written with one
statement each) leaves the tables exactly as projecting the same entries one by one does."""

import pytest
from support_cli import run

from fedcommons.services.log import projection

URL = "http://127.0.0.1:8080"
POOL = f"{URL}/pools/garden"
ALICE, BOB = f"{URL}/users/alice", f"{URL}/users/bob"


@pytest.fixture(scope="module")
def base_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("node") / "home"
    run(home, "init", "--url", URL)
    for name in ("alice", "bob"):
        run(home, "actor", "add", name)
    run(home, "pool", "create", "garden", "--name", "Garden", "--steward", "bob")
    return home


def create(n):
    return {"id": f"{URL}/activities/c{n}", "type": "Create", "actor": ALICE, "published": "2024-05-01T09:00:00Z",
            "object": {"id": f"{URL}/contributions/{n}", "type": ["Note", "Contribution"], "provider": ALICE,
                       "receiver": POOL, "kind": "code", "name": f"change {n}", "published": "2024-05-01T09:00:00Z",
                       "effortQuantity": {"type": "Measure", "hasUnit": "minute", "hasNumericalValue": 30 + n}}}


def decide(n, kind, target, reason=None):
    activity = {"id": f"{URL}/activities/d{n}", "type": kind, "actor": BOB, "object": target,
                "published": "2024-05-01T10:00:00Z"}
    if reason:
        activity["content"] = reason
    return activity


def like(n, target):
    return {"id": f"{URL}/activities/l{n}", "type": "Like", "actor": BOB, "object": target,
            "published": "2024-05-01T10:00:00Z"}


def c(n):
    return f"{URL}/contributions/{n}"


# Runs of each kind, decisions on contributions created in the same run, a second decision
# on a decided one, decisions on unknown ids, a Reject with its reason, and other activities
# (an endorsement) between the runs.
ENTRIES = [create(1), create(2), decide(1, "Accept", c(1)), decide(2, "Reject", c(1), "late"),
           decide(3, "Reject", c(2), "not code"), decide(4, "Accept", c(99)), create(3), like(1, c(3)),
           decide(5, "Accept", c(3)), decide(6, "Reject", c(3)), create(4), decide(7, "Accept", c(2)),
           like(2, c(4)), decide(8, "Reject", c(4), "a duplicate"), decide(9, "Accept", c(4))]


def tables(node):
    conn = node.db.conn
    return (conn.execute("SELECT * FROM contributions ORDER BY id").fetchall(),
            conn.execute("SELECT * FROM endorsements ORDER BY activity_id").fetchall())


def projected(node, batched):
    start = 1000
    entries = list(enumerate(ENTRIES, start=start))
    conn = node.db.conn
    conn.execute("BEGIN")
    try:
        if batched:
            projection.apply_all(node, entries)
        else:
            for idx, activity in entries:
                projection.apply(node, idx, activity)
        return tables(node)
    finally:
        conn.execute("ROLLBACK")


def test_batched_projection_equals_one_by_one(node):
    before = tables(node)
    one_by_one = projected(node, batched=False)
    assert tables(node) == before  # rolled back: the second pass starts from the same state
    batched = projected(node, batched=True)
    assert batched == one_by_one
    statuses = {row[0].rsplit("/", 1)[1]: row[9:13] for row in batched[0] if row[0].startswith(f"{URL}/contributions/")}
    assert statuses == {"1": ("validated", BOB, None, 1002), "2": ("rejected", BOB, "not code", 1004),
                        "3": ("validated", BOB, None, 1008), "4": ("rejected", BOB, "a duplicate", 1013)}
    assert len(batched[1]) == 2
