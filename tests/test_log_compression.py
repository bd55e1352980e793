"""Entry bodies compressed at rest, byte-identical when read, served, hashed and verified."""

import json
import sqlite3
from types import SimpleNamespace

import pytest
import support_db
from support_cli import run
from support_nodes import RunningNode

from fedcommons.federation.client import Client
from fedcommons.home import open_node
from fedcommons.log import compression
from fedcommons.log.merkle import leaf_hash
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.importing.importing import import_contributions
from fedcommons.services.log.verify import verify_log
from fedcommons.services.replication.mirror_verify import verify_mirror
from fedcommons.services.replication.sync import sync_peer
from fedcommons.store import log as log_store
from fedcommons.errors import IntegrityError
from fedcommons.store.bodies import compress_existing, open_bodies, open_body
from fedcommons.store import mirrors as mirror_store
from fedcommons.store.migrations import MIGRATIONS

URL = "http://127.0.0.1:8080"
KINDS = ["code", "docs", "care", "review", "design"]


def write_rows(path, count, tag="contribution"):
    """An import file of `count` contributions, as bench/append.py writes them."""
    path.write_text("".join(json.dumps({
        "pool": "garden", "as": "alice" if i % 2 else "bob", "effort": f"{1 + i % 5}h",
        "kind": KINDS[i % 5], "summary": f"{tag} number {i}",
        "evidence": [f"https://git.example/garden/commit/{i:08x}"],
    }) + "\n" for i in range(count)))
    return path


@pytest.fixture(scope="module")
def base_home(tmp_path_factory):
    """A node whose log passed the first training size through the import path."""
    home = tmp_path_factory.mktemp("node") / "home"
    run(home, "init", "--url", URL)
    for name in ("alice", "bob", "carol"):
        run(home, "actor", "add", name)
    run(home, "pool", "create", "garden", "--name", "Garden", "--steward", "carol")
    node = open_node(home)
    try:
        import_contributions(node, write_rows(home / "work.jsonl", compression.FIRST_TRAINING + 200))
    finally:
        node.close()
    return home


def test_a_body_round_trips_and_a_damaged_one_is_refused():
    samples = [json.dumps({"id": f"https://example.org/{i}", "n": i, "pad": "x" * (i % 50)}).encode()
               for i in range(200)]
    dictionary = compression.train(samples)
    key = compression.dictionary_key(dictionary)
    stored = compression.compress(key, lambda k: dictionary, samples[7])
    assert len(stored) < len(samples[7])
    assert compression.decompress(key, lambda k: dictionary, stored) == samples[7]
    with pytest.raises(compression.Damaged):
        compression.decompress(key, lambda k: dictionary, stored[:4])
    with pytest.raises(compression.TrainingFailed):
        compression.train(samples[:3])
    # A batch compressed at once is stored exactly as each body compressed alone.
    assert compression.compress_all(key, lambda k: dictionary, samples) == [
        compression.compress(key, lambda k: dictionary, sample) for sample in samples]


def test_a_page_of_bodies_opens_as_each_one_does():
    samples = [json.dumps({"id": f"https://example.org/{i}", "n": i, "pad": "y" * (i % 40)}).encode()
               for i in range(200)]
    dictionary = compression.train(samples)
    key = compression.dictionary_key(dictionary)
    db = SimpleNamespace(conn=sqlite3.connect(":memory:"))
    db.conn.execute("CREATE TABLE body_dictionaries (key INTEGER PRIMARY KEY, dictionary BLOB)")
    db.conn.execute("INSERT INTO body_dictionaries VALUES (?, ?)", (key, dictionary))
    packed = [compression.compress(key, lambda k: dictionary, body) for body in samples]
    # Raw bodies, then compressed ones, with redacted (None) entries among both.
    rows = [(None, samples[i]) for i in range(5)] + [(None, None)] + [(key, packed[i]) for i in range(5, 30)]
    rows[12] = (key, None)
    expected = [open_body(db, 100 + i, d, stored) for i, (d, stored) in enumerate(rows)]
    assert open_bodies(db, 100, rows) == expected
    assert expected[0] == samples[0] and expected[5] is None and expected[12] is None and expected[20] == samples[19]
    rows[20] = (key, packed[19][:5])
    with pytest.raises(IntegrityError, match="entry 120"):
        open_bodies(db, 100, rows)


def test_training_sizes():
    first = compression.FIRST_TRAINING
    assert not compression.due_for_training(0, first - 1)
    assert compression.due_for_training(first - 1, first)
    assert not compression.due_for_training(first, first + 500)
    assert compression.due_for_training(first * 10 - 1, first * 10 + 5)
    assert compression.due_for_training(0, first * 100)


def test_contributions_cost_under_a_kilobyte_and_read_back_as_signed(home):
    [(raw, compressed, average)] = support_db.query(
        home, "SELECT count(*) - count(dictionary), count(dictionary), avg(length(body)) FROM log_entries")
    assert compressed >= 200 and raw < compression.FIRST_TRAINING
    [(stored_contribution,)] = support_db.query(
        home, "SELECT avg(length(body)) FROM log_entries WHERE dictionary IS NOT NULL AND type = 'Create'")
    assert stored_contribution < 500 and average < 1024
    node = open_node(home)
    try:
        for row in log_store.iter_entries(node.db):
            assert leaf_hash(row.body) == row.leaf_hash
        every = [row.body for row in log_store.iter_entries(node.db)]
        assert [leaf.body for leaf in log_store.iter_leaves(node.db)] == every
        # Pages that cut across the raw and the compressed entries read the same.
        assert [leaf.body for leaf in log_store.iter_leaves(node.db, 3, batch=97)] == every[3:]
        # Appending after the dictionary exists compresses with it, and reads back the same.
        size = log_store.log_size(node.db)
        assert import_contributions(node, write_rows(home / "more.jsonl", 3, "later")).written == 3
        last = log_store.entry(node.db, size + 2)
        assert leaf_hash(last.body) == last.leaf_hash and b'"later number 2"' in last.body
        assert node.db.conn.execute("SELECT dictionary FROM log_entries WHERE idx = ?", (size + 2,)).fetchone()[0]
    finally:
        node.close()
    run(home, "log", "verify")


async def test_a_mirror_gets_the_signed_bytes_and_verifies(tmp_path):
    a, b = RunningNode.create(tmp_path, "a"), RunningNode.create(tmp_path, "b")
    node = open_node(a.home)
    create_actor(node, "person", "alice")
    create_actor(node, "person", "bob")
    create_pool(node, "garden", name="Garden", stewards=["bob"])
    import_contributions(node, write_rows(a.home / "work.jsonl", compression.FIRST_TRAINING + 20))
    assert node.db.conn.execute("SELECT count(*) FROM log_entries WHERE dictionary IS NOT NULL").fetchone()[0]
    node.close()
    await a.start()
    try:
        client_node = open_node(b.home)
        client = Client(client_node, max_bytes=16 * 1024 * 1024)
        try:
            result = await sync_peer(client_node, client, a.url)
        finally:
            await client.close()
        size = log_store.log_size(a.node.db)
        assert result.size == size and result.proofs == size and result.forks == []
        mirrored = [(e.idx, e.leaf_hash, e.body) for e in mirror_store.iter_entries(client_node.db, result.origin)]
        assert mirrored == [(r.idx, r.leaf_hash, r.body) for r in log_store.iter_entries(a.node.db)]
        assert verify_mirror(client_node, result.origin).entries == size
        client_node.close()
    finally:
        await a.stop()


def test_a_damaged_stored_body_fails_verify_naming_the_entry(home):
    [(idx, body)] = support_db.query(
        home, "SELECT idx, body FROM log_entries WHERE dictionary IS NOT NULL ORDER BY idx LIMIT 1 OFFSET 10")
    support_db.tamper(home, "UPDATE log_entries SET body = ? WHERE idx = ?", (body[:8], idx))
    result = run(home, "log", "verify", code=1)
    assert f"entry {idx}" in result.stderr and "Traceback" not in result.stderr


def _mine(migration) -> bool:
    """The migrations that brought compression (known by what they do, not their numbers)."""
    _, _, step = migration
    return step is compress_existing or (isinstance(step, str) and "body_dictionaries" in step)


@pytest.mark.sqlite_only("converts a SQLite database written before compression; a PostgreSQL node "
                         "starts with the schema compression came with")
def test_an_old_database_converts_and_verifies_with_the_same_root(tmp_path, monkeypatch):
    home = tmp_path / "home"
    run(home, "init", "--url", URL)
    for name in ("alice", "bob", "carol"):
        run(home, "actor", "add", name)
    run(home, "pool", "create", "garden", "--name", "Garden", "--steward", "carol")
    # Written as before compression existed: no dictionary is ever trained...
    monkeypatch.setattr(compression, "FIRST_TRAINING", 10**15)
    node = open_node(home)
    import_contributions(node, write_rows(home / "work.jsonl", 1100))
    before = [(r.idx, r.leaf_hash, r.body) for r in log_store.iter_entries(node.db)]
    root = log_store.latest_checkpoint(node.db)[1]
    node.close()
    monkeypatch.undo()
    # ...and the schema taken back to what it was then.
    conn = sqlite3.connect(home / "fedcommons.db", isolation_level=None)
    conn.execute("ALTER TABLE log_entries DROP COLUMN dictionary")
    conn.execute("DROP TABLE body_dictionaries")
    names = [name for number, name, step in MIGRATIONS if _mine((number, name, step))]
    assert len(names) == 2
    conn.executemany("DELETE FROM _migrations WHERE name = ?", [(n,) for n in names])
    size_before = conn.execute("SELECT sum(length(body)) FROM log_entries").fetchone()[0]
    conn.close()

    node = open_node(home)  # migrates
    try:
        assert [(r.idx, r.leaf_hash, r.body) for r in log_store.iter_entries(node.db)] == before
        assert verify_log(node, workers=0).root == root
        stored, plain = node.db.conn.execute(
            "SELECT sum(length(body)), sum(dictionary IS NULL) FROM log_entries").fetchone()
        assert plain == 0 and stored * 5 < size_before
    finally:
        node.close()
    run(home, "log", "verify")
