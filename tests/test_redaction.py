"""Redaction: an entry's bytes go, its leaf hash and figures stay, and mirrors follow."""

import base64
import json
import sqlite3

import pytest
import support_db
from support_cli import invoke, run
from support_nodes import RunningNode

from fedcommons.cli.network import with_client
from fedcommons.federation.client import Client
from fedcommons.home import open_node
from fedcommons.log.merkle import inclusion_proof, root_at, verify_inclusion
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.contributions.contributions import contribute, decide, endorse
from fedcommons.services.log.log_writer import lookup
from fedcommons.services.payouts.coops import create_coop, sustain
from fedcommons.services.log.redaction import redact
from fedcommons.services.log.verify import verify_log
from fedcommons.services.replication.mirror_verify import verify_mirror
from fedcommons.services.replication.sync import sync_peer
from fedcommons.services.standing.standing import local_pool_standing, parse_as_of, pool_standing
from fedcommons.store import log as log_store
from fedcommons.store import mirrors as mirror_store
from fedcommons.store import outgoing as outgoing_store
from fedcommons.store.db import transaction

URL = "http://127.0.0.1:8080"
SECRET = "watered at Alice Example's flat, 12 Hidden Lane"


def populate(node) -> dict[str, int]:
    """A pool with work, validations, a rejection and endorsements: what each entry is."""
    for name in ("alice", "bob", "carol", "dave"):
        create_actor(node, "person", name)
    create_pool(node, "garden", name="Garden", stewards=["bob", "carol"])
    secret = contribute(node, pool="garden", person="alice", effort="3h", kind="care", summary=SECRET)
    other = contribute(node, pool="garden", person="dave", effort="90m", kind="code", summary="fixed it")
    turned_down = contribute(node, pool="garden", person="dave", effort="1h", kind="docs", summary="typo")
    decide(node, secret, "bob")
    decide(node, other, "carol")
    decide(node, turned_down, "bob", reject=True, reason="dave's notes mention his illness")
    endorse(node, secret, "dave", weight=0.5)
    endorse(node, other, "alice")
    index = {}
    for row in log_store.iter_entries(node.db):
        activity = json.loads(row.body)
        obj = activity.get("object")
        if row.type == "Create" and isinstance(obj, dict) and obj.get("id") == secret:
            index["contribution"] = row.idx
        elif row.type == "Accept" and obj == secret:
            index["validation"] = row.idx
        elif row.type == "Reject":
            index["rejection"] = row.idx
        elif row.type == "Like" and obj == secret:
            index["endorsement"] = row.idx
    return index


@pytest.fixture(scope="module")
def base_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("node") / "home"
    run(home, "init", "--url", URL)
    node = open_node(home)
    try:
        (home / "index.json").write_text(json.dumps(populate(node)))
    finally:
        node.close()
    return home


def mirrored(node, origin: str, idx: int):
    [row] = mirror_store.iter_entries(node.db, origin, idx, idx + 1)
    return row


def entries_of(home) -> dict[str, int]:
    return json.loads((home / "index.json").read_text())


def standings(node, size: int, as_of: str) -> dict[str, bytes]:
    """The garden's standing documents (each method) at one tree size and moment."""
    moment = parse_as_of(as_of)
    return {method: local_pool_standing(node, "garden", method=method, as_of=moment, tree_size=size).body
            for method in ("effort/1", "peer-rank/1")}


def test_redacting_changes_no_standing_and_everything_still_verifies(home):
    index = entries_of(home)
    node = open_node(home)
    try:
        size = log_store.log_size(node.db)
        as_of = log_store.entry(node.db, size - 1).recorded_at
        before = standings(node, size, as_of)
        root = root_at(size, lookup(node))
        for what in ("contribution", "validation", "rejection", "endorsement"):
            redact(node, index[what], reason="the contributor asked", by="bob")
        for what in ("contribution", "validation", "rejection", "endorsement"):
            assert log_store.entry(node.db, index[what]).body is None
        assert standings(node, size, as_of) == before  # same treeSize and asOf: the same bytes
        now = standings(node, log_store.log_size(node.db), as_of)
        for method in before:  # the notices that came since add no one's standing
            assert json.loads(now[method])["standings"] == json.loads(before[method])["standings"]
        report = verify_log(node, workers=0)
        assert report.redacted == 4 and root_at(size, lookup(node)) == root
        idx = index["contribution"]
        leaf = log_store.entry(node.db, idx).leaf_hash
        proof = inclusion_proof(idx, size, lookup(node))
        verify_inclusion(idx, size, leaf, proof, root)  # raises when it does not hold
        summaries = [r[0] for r in node.db.conn.execute("SELECT summary FROM contributions")]
        reasons = [r[0] for r in node.db.conn.execute("SELECT reason FROM contributions WHERE reason IS NOT NULL")]
        assert not any("Hidden Lane" in s for s in summaries) and not reasons
    finally:
        node.close()
    run(home, "log", "verify")
    shown = run(home, "log", "show", "--format", "json").stdout
    assert "Hidden Lane" not in shown and "illness" not in shown


def test_the_words_leave_every_row(home):
    index = entries_of(home)
    run(home, "log", "redact", str(index["contribution"]), "--reason", "asked", "--as", "bob")
    assert "Hidden Lane" not in support_db.dump(home)


@pytest.mark.sqlite_only("reads the bytes of the SQLite file after a WAL checkpoint")
def test_the_bytes_leave_the_database_file(home):
    index = entries_of(home)
    run(home, "log", "redact", str(index["contribution"]), "--reason", "asked", "--as", "bob")
    conn = sqlite3.connect(home / "fedcommons.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert b"Hidden Lane" not in (home / "fedcommons.db").read_bytes()


@pytest.mark.parametrize("args, message", [
    (["999", "--reason", "x", "--as", "bob"], "no entry 999"),
    (["{contribution}", "--reason", "x", "--as", "alice"], "not a steward"),
    (["{contribution}", "--reason", "x", "--as", "nobody"], "no local person"),
    (["{contribution}", "--reason", "  ", "--as", "bob"], "needs a reason"),
    (["0", "--reason", "x", "--as", "node"], "publishes keys"),
    (["{pool}", "--reason", "x", "--as", "node"], "publishes keys"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(home, args, message):
    index = {**entries_of(home), "pool": 5}
    before = support_db.contents(home)
    size = len(run(home, "log", "show").stdout.splitlines())
    result = invoke(home, "log", "redact", *[a.format(**index) for a in args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert len(run(home, "log", "show").stdout.splitlines()) == size
    assert support_db.contents(home) == before


def test_already_redacted_and_notices_are_refused(home):
    index = entries_of(home)
    notice = run(home, "log", "redact", str(index["endorsement"]), "--reason", "asked", "--as", "node",
                 "--format", "json")
    assert json.loads(notice.stdout)["index"] == index["endorsement"]
    size = len(run(home, "log", "show").stdout.splitlines())
    again = invoke(home, "log", "redact", str(index["endorsement"]), "--reason", "x", "--as", "bob")
    assert again.exit_code == 2 and "already redacted" in again.stderr
    itself = invoke(home, "log", "redact", str(size - 1), "--reason", "x", "--as", "node")
    assert itself.exit_code == 2 and "redaction notice" in itself.stderr
    assert len(run(home, "log", "show").stdout.splitlines()) == size


async def sync(home, url):
    node = open_node(home)
    client = Client(node, max_bytes=16 * 1024 * 1024)
    try:
        return await sync_peer(node, client, url)
    finally:
        await client.close()
        node.close()


async def test_a_mirror_drops_its_copy_and_still_verifies(tmp_path, http):
    a, b = RunningNode.create(tmp_path, "a"), RunningNode.create(tmp_path, "b")
    writer = open_node(a.home)
    index = populate(writer)
    pool = f"{a.url}/pools/garden"
    await a.start()
    await b.start()
    try:
        first = await sync(b.home, a.url)
        size = first.size
        mirror = open_node(b.home)
        as_of = parse_as_of(log_store.entry(writer.db, size - 1).recorded_at)
        before = pool_standing(mirror, pool, as_of=as_of, tree_size=size).body
        assert mirrored(mirror, first.origin, index["contribution"]).body is not None

        redact(writer, index["contribution"], reason="the contributor asked", by="carol")
        writer.close()
        async with http.get(f"{a.url}/log/entries?start={index['contribution']}&limit=1") as response:
            [served] = (await response.json())["entries"]
        assert served["activity"] is None and served["redacted"] is True
        assert base64.b64decode(served["leafHash"]) == mirrored(
            mirror, first.origin, index["contribution"]).leaf_hash

        second = await sync(b.home, a.url)
        assert second.size == size + 1 and second.forks == []
        assert mirrored(mirror, first.origin, index["contribution"]).body is None
        report = verify_mirror(mirror, first.origin)
        assert report.entries == size + 1 and report.redacted == 1
        assert pool_standing(mirror, pool, as_of=as_of, tree_size=size).body == before
        mirror.close()
    finally:
        await a.stop()
        await b.stop()


def test_payouts_and_their_verification_are_unchanged(tmp_path):
    home = tmp_path / "home"
    run(home, "init", "--url", URL)
    node = open_node(home)
    try:
        index = populate(node)
        create_actor(node, "person", "erin")
        create_coop(node, "rootwork", name="Rootwork", members=["erin"])
        with_client(node, lambda client: sustain(node, client, "rootwork", "garden", member="erin"))
    finally:
        node.close()
    args = ["payout", "rootwork", "--currency", "EUR", "--amount", "1000.00", "--policy", "balanced",
            "--format", "json"]
    published = json.loads(run(home, *args, "--as", "erin").stdout)["distribution"]
    before = json.loads(run(home, *args, "--dry-run").stdout)["distribution"]["payouts"]
    for what in ("contribution", "validation", "endorsement"):
        run(home, "log", "redact", str(index[what]), "--reason", "asked", "--as", "bob")
    after = json.loads(run(home, *args, "--dry-run").stdout)["distribution"]["payouts"]
    assert after == before and len(after) == 2
    report = json.loads(run(home, "payout", "verify", published["id"], "--format", "json").stdout)
    assert report["ok"] and report["problems"] == []


def test_the_copies_sent_and_queued_become_a_tombstone(home):
    index = entries_of(home)
    node = open_node(home)
    try:
        entry = log_store.entry(node.db, index["contribution"])
        with transaction(node.db):  # as if it had been addressed to a follower on another server
            outgoing_store.enqueue(node.db, entry.activity_id, entry.actor, entry.body,
                                   ["https://elsewhere.example/users/x"], entry.recorded_at)
        redact(node, index["contribution"], reason="asked", by="bob")
        left = outgoing_store.body(node.db, entry.activity_id)
        assert b"Hidden Lane" not in left
        assert json.loads(left)["type"] == "Tombstone" and json.loads(left)["formerType"] == "Create"
        assert not outgoing_store.has_pending(node.db)  # nothing is fanned out any more
    finally:
        node.close()
