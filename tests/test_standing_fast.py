"""The fast paths to a pool's standing give the bytes the full recomputation gives.

Pages and the standing document read a pool's entries through the per-pool index (and
the current standing through state kept per pool); whatever checks a document reads the
whole log. A property test holds the two to byte-identical documents over random logs:
any arrival order, undos, rejections after acceptance, method and steward changes in the
middle of the log, references that arrive before what they refer to, forged copies of a
contribution sent to another pool.
"""

import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fedcommons.errors import FedcommonsError
from fedcommons.home import init_node, open_node
from fedcommons.node import NODE_NAME
from fedcommons.services.log import log_writer, pool_index, redaction
from fedcommons.services.log.log_writer import Pending
from fedcommons.services.standing import pool_state
from fedcommons.services.standing import standing as service
from fedcommons.standing.relevance import url_key
from fedcommons.store import pool_index as index_store
from fedcommons.store import redactions as redaction_store
import support_db

URL = "http://127.0.0.1:8080"
GARDEN = f"{URL}/pools/garden"
LIBRARY = f"{URL}/pools/library"
POOLS = (GARDEN, LIBRARY)
PEOPLE = tuple(f"{URL}/users/{name}" for name in ("ann", "ben", "cat"))
START = datetime(2025, 1, 1, tzinfo=timezone.utc)
METHODS = (
    None,
    {"method": "effort/1", "parameters": {"halfLifeDays": 7, "kindWeights": {"code": 2}}},
    {"method": "peer-rank/1", "parameters": {"endorsementShare": 0.3}},
    {"method": "effort/1", "parameters": {}},
)


def token(millis: int, tail: int) -> str:
    """The last segment of one of this node's ids (urls.fresh_token's layout)."""
    return f"{millis:012x}{tail:020x}"


# Two ids made in the same millisecond whose index keys are equal (found by trying tails):
# a reference to the second is filed under the pools of the first, and read and skipped.
TWIN = f"{URL}/contributions/{token(0x018F34069E00, 0)}"
TWIN_OF_TWIN = next(f"{URL}/contributions/{token(0x018F34069E00, tail)}" for tail in range(1, 1 << 22)
                    if url_key(f"{URL}/contributions/{token(0x018F34069E00, tail)}") == url_key(TWIN))


def at(hours: int) -> str:
    return (START + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def base_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("fast") / "home"
    init_node(home, URL).close()
    return home


@st.composite
def logs(draw):
    """A random log of two pools' activities, in a random arrival order, and batch sizes.

    Drawn from a seeded generator rather than field by field, so that every example is a
    busy log (validated work, endorsements and their undos) rather than a minimal one.
    """
    rng = draw(st.randoms(use_true_random=False))
    n = rng.randint(3, 9)
    hour = lambda: rng.randint(0, 24 * 20)  # noqa: E731
    person = lambda: rng.choice(PEOPLE)  # noqa: E731
    serial = iter(range(10_000))
    # Ids of any form: this node's (which the index keys by their time), and others.
    contributions = [TWIN if i == 0 and rng.random() < 0.5
                     else f"{URL}/contributions/{token(0x018F34069E00 + rng.randrange(1000), 1 << 79 | i << 64 | rng.getrandbits(64))}"
                     if rng.random() < 0.5 else f"{URL}/contributions/{i}" for i in range(n)]
    activities = []
    for pool in POOLS:
        if pool == GARDEN or rng.random() < 0.7:
            obj = {"id": pool, "type": ["Group", "CommonPool"], "stewards": rng.sample(PEOPLE, rng.randint(1, 3))}
            method = rng.choice(METHODS)
            if method is not None:
                obj["standingMethod"] = method
            activities.append({"type": "Create", "id": f"{pool}/create", "actor": f"{URL}/actor",
                               "published": at(0), "object": obj})
    for cid in contributions:
        provider = person()
        for copy in range(rng.choice([1, 1, 1, 2])):  # a second copy: forged, maybe to the other pool
            when = at(hour())
            activities.append({"type": "Create", "id": f"{cid}/create/{copy}", "actor": provider, "published": when,
                               "object": {"id": cid, "type": ["Note", "Contribution"], "provider": provider,
                                          "receiver": rng.choice(POOLS), "action": "work",
                                          "kind": rng.choice(["code", "care"]), "published": when,
                                          "effortQuantity": {"type": "Measure", "hasUnit": "minute",
                                                             "hasNumericalValue": rng.randint(0, 600)}}})
        if rng.random() < 0.8:  # most work is accepted, so that endorsements and undos count
            activities.append({"type": "Accept", "id": f"{URL}/activities/{next(serial)}", "actor": person(),
                               "object": cid, "published": at(hour())})
    targets = [*contributions, f"{URL}/contributions/unknown", TWIN_OF_TWIN]
    for _ in range(rng.randint(n, 4 * n)):
        kind = rng.choice(["Accept", "Reject", "Like", "Like", "Like", "Update", "Delete"])
        actor, when, ident = person(), at(hour()), f"{URL}/activities/{next(serial)}"
        if rng.random() < 0.5:
            ident = f"{URL}/activities/{token(0x018F34069E00 + next(serial), rng.getrandbits(80))}"
        if kind in ("Accept", "Reject", "Delete"):
            activities.append({"type": kind, "id": ident, "actor": actor, "object": rng.choice(targets),
                               "published": when})
        elif kind == "Like":
            like = {"type": "Like", "id": ident, "actor": actor, "object": rng.choice(targets), "published": when,
                    "weight": rng.choice(["1", "0.5", "3"])}
            activities.append(like)
            form = rng.choice(["none", "by id", "embedded", "embedded without id"])
            if form != "none":  # taken back, by its actor (mostly) or someone else
                obj = like["id"] if form == "by id" else {"type": "Like", "actor": actor, "object": like["object"]}
                if form == "embedded":
                    obj["id"] = like["id"]
                activities.append({"type": "Undo", "id": f"{ident}/undo", "published": at(hour()),
                                   "actor": rng.choice([actor, actor, *PEOPLE]), "object": obj})
        elif kind == "Update":
            obj = {"id": rng.choice(POOLS), "type": ["Group", "CommonPool"]}
            if rng.random() < 0.5:
                obj["standingMethod"] = rng.choice(METHODS)
            else:
                obj["stewards"] = rng.sample(PEOPLE, rng.randint(1, 3))
            activities.append({"type": "Update", "id": ident, "actor": actor, "published": when, "object": obj})
    rng.shuffle(activities)
    batches = [rng.randint(1, 6) for _ in activities]
    return activities, batches


def append_in_batches(node, activities, batches):
    """Append as the node would: in transactions of varying sizes."""
    start, sizes = 0, iter(batches)
    while start < len(activities):
        size = next(sizes, len(activities))
        log_writer.append(node, [Pending(a) for a in activities[start:start + size]])
        start += size


def outcome(node, pool, **options):
    """The document's bytes, or the error's text: the fast and full paths must agree on both."""
    try:
        return service.pool_standing(node, pool, **options).body
    except FedcommonsError as exc:
        return f"{type(exc).__name__}: {exc}"


def queries(data, size, count):
    """``count`` standings to ask for: the first at the whole log, after everything happened."""
    for query in range(count):
        pool = data.draw(st.sampled_from(POOLS))
        yield pool, {
            "as_of": START + timedelta(hours=data.draw(st.integers(0 if query else 24 * 21, 24 * 22))),
            "tree_size": data.draw(st.integers(1, size)) if query else size,
            "method": data.draw(st.sampled_from([None, "peer-rank/1", "peer-rank/1"])),
        }


def log_size(node):
    return node.db.conn.execute("SELECT count(*) FROM log_entries").fetchone()[0]


@settings(max_examples=20, deadline=None, phases=[Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(log=logs(), data=st.data())
def test_the_state_kept_per_pool_gives_the_bytes_of_the_whole_log(base_home, log, data):
    """Through the index, stored ledgers in parts (one every few entries here) and the
    ledgers the process holds, read on as the log grows: the bytes of the whole log's."""
    activities, batches = log
    half = data.draw(st.integers(1, len(activities)))
    with tempfile.TemporaryDirectory() as scratch, pytest.MonkeyPatch.context() as patch:
        patch.setattr(pool_state, "MIN_TAIL", 2)
        patch.setattr(pool_state, "MAX_TAIL", 5)
        patch.setattr(pool_state, "KEPT_POOLS", data.draw(st.sampled_from([1, 32])))  # 1: kept ledgers dropped
        home = Path(scratch) / "home"
        support_db.copy_home(base_home, home)
        node = open_node(home)
        try:
            append_in_batches(node, activities[:half], batches)
            for pool, options in queries(data, log_size(node), 2):  # now held by this process
                assert outcome(node, pool, **options) == outcome(node, pool, full=True, **options)
            append_in_batches(node, activities[half:], batches)
            assert index_store.indexed_size(node.db) == log_size(node)
            for number, (pool, options) in enumerate(queries(data, log_size(node), 6)):
                if number % 2:
                    pool_state._HELD.clear()  # as a new process: from the stored parts
                assert outcome(node, pool, **options) == outcome(node, pool, full=True, **options)
            # Redacted entries: both paths read them as the figures their notices retained.
            for index in data.draw(st.lists(st.integers(1, log_size(node) - 1), max_size=4, unique=True)):
                try:
                    redaction.redact(node, index, reason="personal data", by=NODE_NAME)
                except FedcommonsError:
                    pass  # not redactable (a key, a notice): the others still are
            for number, (pool, options) in enumerate(queries(data, log_size(node), 4)):
                if number % 2:
                    pool_state._HELD.clear()
                assert outcome(node, pool, **options) == outcome(node, pool, full=True, **options)
            for (database, pool), held in pool_state._HELD.items():  # read on, never read twice
                if database == str(node.config.database):
                    again = pool_state.read_ledger(index_store.pool_leaves(node.db, url_key(pool), 0, held.size), pool,
                                                   retained=redaction_store.redacted(node.db))
                    assert held.ledger.counts == again.counts
            for (database, pool), kept in pool_state._KEPT.items():  # what the writer read each append into
                if database == str(node.config.database):
                    again = pool_state.read_ledger(index_store.pool_leaves(node.db, pool, kept.start, kept.size),
                                                   kept.tail.pool, retained=redaction_store.redacted(node.db))
                    assert kept.tail.snapshot() == again.snapshot()
                    assert index_store.filed_count(node.db, pool, kept.start, kept.size) == kept.entries
            for pool in {url_key(pool) for pool in POOLS}:  # the parts joined: the ledger up to the newest
                ledger, start = pool_state._stored(node, pool, index_store.pool_url(node.db, pool) or "-", log_size(node))
                if start:
                    again = pool_state.read_ledger(index_store.pool_leaves(node.db, pool, 0, start), ledger.pool,
                                                   retained=redaction_store.redacted(node.db))
                    assert ledger.snapshot() == again.snapshot()
        finally:
            node.close()


def test_a_kept_ledger_is_dropped_when_its_append_rolls_back(base_home, tmp_path, monkeypatch):
    """The writer reads each append into the ledger it stored; an append that rolls back
    after that must not leave its entries in it, nor in what is stored next."""
    monkeypatch.setattr(pool_state, "MIN_TAIL", 2)
    monkeypatch.setattr(pool_state, "MAX_TAIL", 3)
    home = tmp_path / "home"
    support_db.copy_home(base_home, home)
    node = open_node(home)

    def work(serial, minutes):
        cid = f"{URL}/c/{serial}"
        return Pending({"type": "Create", "id": f"{cid}/create", "actor": PEOPLE[0], "published": at(serial),
                        "object": {"id": cid, "type": ["Note", "Contribution"], "provider": PEOPLE[0],
                                   "receiver": GARDEN, "published": at(serial),
                                   "effortQuantity": {"type": "Measure", "hasUnit": "minute",
                                                      "hasNumericalValue": minutes}}})

    try:
        log_writer.append(node, [Pending({"type": "Create", "id": f"{GARDEN}/create", "actor": f"{URL}/actor",
                                          "published": at(0), "object": {"id": GARDEN, "type": ["Group", "CommonPool"],
                                                                         "stewards": [PEOPLE[1]]}})])
        for serial in range(1, 7):
            log_writer.append(node, [work(serial, 10)])
        assert any(database == str(node.config.database) for database, _ in pool_state._KEPT)

        def fail(*_):
            raise RuntimeError("after the per-pool step")

        with monkeypatch.context() as patch:
            patch.setattr(log_writer, "sign_checkpoint", fail)
            with pytest.raises(RuntimeError):
                log_writer.append(node, [work(100, 600), work(101, 600)])
        for serial in range(7, 12):
            log_writer.append(node, [work(serial, 20)])
        options = {"as_of": START + timedelta(days=30), "tree_size": log_size(node)}
        assert outcome(node, GARDEN, **options) == outcome(node, GARDEN, full=True, **options)
        pool_state._HELD.clear()  # as a new process: from the stored parts
        assert outcome(node, GARDEN, **options) == outcome(node, GARDEN, full=True, **options)
    finally:
        node.close()


def test_a_pool_ledger_is_stored_in_parts_each_written_once(base_home, tmp_path, monkeypatch):
    """Each part holds the pool's entries since the one before: storing the ledger again
    leaves the parts already stored as they were, and the parts up to any of them join into
    the ledger of the log up to there, in this process and in a new one."""
    monkeypatch.setattr(pool_state, "MIN_TAIL", 3)
    monkeypatch.setattr(pool_state, "MAX_TAIL", 3)
    home = tmp_path / "home"
    support_db.copy_home(base_home, home)
    node = open_node(home)
    pool = url_key(GARDEN)

    def parts():
        return [(size, entries, bytes(data)) for size, entries, data in index_store.ledger_parts(node.db, pool, 10**9)]

    def work(serial):
        cid = f"{URL}/c/{serial}"
        return Pending({"type": "Create", "id": f"{cid}/create", "actor": PEOPLE[0], "published": at(serial),
                        "object": {"id": cid, "type": ["Note", "Contribution"], "provider": PEOPLE[0],
                                   "receiver": GARDEN, "published": at(serial),
                                   "effortQuantity": {"type": "Measure", "hasUnit": "minute", "hasNumericalValue": 5}}})

    try:
        log_writer.append(node, [Pending({"type": "Create", "id": f"{GARDEN}/create", "actor": f"{URL}/actor",
                                          "published": at(0), "object": {"id": GARDEN, "type": ["Group", "CommonPool"],
                                                                         "stewards": [PEOPLE[1]]}})])
        for serial in range(1, 6):
            log_writer.append(node, [work(serial)])
        first = parts()
        for serial in range(6, 14):
            log_writer.append(node, [work(serial), Pending({"type": "Accept", "id": f"{URL}/a/{serial}",
                                                            "actor": PEOPLE[1], "object": f"{URL}/c/{serial - 5}",
                                                            "published": at(serial)})])
        later = parts()
        assert len(first) >= 1 and len(later) >= 4 and later[:len(first)] == first
        assert [entries for _, entries, _ in later] == sorted({entries for _, entries, _ in later})
        pool_state._KEPT.clear()  # as a new process: the tail read again from the log
        log_writer.append(node, [work(serial) for serial in range(20, 24)])
        assert parts()[:len(later)] == later
        for size, _, _ in parts():
            joined, start = pool_state._stored(node, pool, GARDEN, size)
            again = pool_state.read_ledger(index_store.pool_leaves(node.db, pool, 0, size), GARDEN)
            assert start == size and joined.snapshot() == again.snapshot()
        options = {"as_of": START + timedelta(days=30), "tree_size": log_size(node)}
        pool_state._HELD.clear()
        assert outcome(node, GARDEN, **options) == outcome(node, GARDEN, full=True, **options)
    finally:
        node.close()


@pytest.mark.sqlite_only("takes a SQLite file back to before migration 141; a new PostgreSQL database "
                         "applies 141 to its empty table, which the schema test checks")
def test_a_ledger_stored_whole_before_parts_becomes_the_first_part(base_home, tmp_path, monkeypatch):
    import sqlite3

    monkeypatch.setattr(pool_state, "MIN_TAIL", 2)
    monkeypatch.setattr(pool_state, "MAX_TAIL", 2)
    home = tmp_path / "home"
    support_db.copy_home(base_home, home)
    node = open_node(home)
    log_writer.append(node, [Pending({"type": "Create", "id": f"{GARDEN}/create", "actor": f"{URL}/actor",
                                      "published": at(0), "object": {"id": GARDEN, "type": ["Group", "CommonPool"],
                                                                     "stewards": [PEOPLE[1]]}})])
    log_writer.append(node, [Pending({
        "type": "Create", "id": f"{URL}/c/{n}/create", "actor": PEOPLE[0], "published": at(n),
        "object": {"id": f"{URL}/c/{n}", "type": ["Note", "Contribution"], "provider": PEOPLE[0], "receiver": GARDEN,
                   "published": at(n), "effortQuantity": {"type": "Measure", "hasUnit": "minute", "hasNumericalValue": 5}},
    }) for n in range(1, 4)])
    [(size, entries, part)] = list(index_store.ledger_parts(node.db, url_key(GARDEN), 10**9))
    options = {"as_of": START + timedelta(days=30), "tree_size": log_size(node)}
    expected = outcome(node, GARDEN, full=True, **options)
    node.close()
    conn = sqlite3.connect(home / "fedcommons.db", isolation_level=None)  # as before migration 141
    conn.execute("CREATE TABLE pool_ledgers (pool INTEGER PRIMARY KEY, size INTEGER NOT NULL, "
                 "entries INTEGER NOT NULL, snapshot BLOB NOT NULL)")
    conn.execute("INSERT INTO pool_ledgers SELECT pool, size, entries, part FROM pool_ledger_parts")
    conn.execute("DROP TABLE pool_ledger_parts")
    conn.execute("DELETE FROM _migrations WHERE number = 141")
    conn.close()
    pool_state._KEPT.clear()
    pool_state._HELD.clear()
    node = open_node(home)  # migrates
    try:
        assert [tuple(row) for row in index_store.ledger_parts(node.db, url_key(GARDEN), 10**9)] == [
            (size, entries, part)]
        assert outcome(node, GARDEN, **options) == expected
    finally:
        node.close()


def test_an_index_behind_the_log_is_not_used_until_caught_up(base_home, tmp_path):
    """A log older than the index (as after the migration) reads the whole log until indexed."""
    home = tmp_path / "home"
    support_db.copy_home(base_home, home)
    node = open_node(home)
    pool = {"id": GARDEN, "type": ["Group", "CommonPool"], "stewards": [PEOPLE[1]]}
    work = {"type": "Create", "id": f"{URL}/c/create", "actor": PEOPLE[0], "published": at(1),
            "object": {"id": f"{URL}/c", "type": ["Note", "Contribution"], "provider": PEOPLE[0],
                       "receiver": GARDEN, "published": at(1),
                       "effortQuantity": {"type": "Measure", "hasUnit": "hour", "hasNumericalValue": 2}}}
    accept = {"type": "Accept", "id": f"{URL}/a", "actor": PEOPLE[1], "object": f"{URL}/c", "published": at(2)}
    log_writer.append(node, [Pending({"type": "Create", "id": f"{GARDEN}/create", "actor": f"{URL}/actor",
                                      "published": at(0), "object": pool})])
    node.db.conn.execute("UPDATE pool_index_state SET size = 0")  # as a database from before the index
    log_writer.append(node, [Pending(work), Pending(accept)])
    size = pool_index.behind(node)
    assert size == node.db.conn.execute("SELECT count(*) FROM log_entries").fetchone()[0]
    assert pool_index.pool_leaves(node, GARDEN, size) is None
    as_of = START + timedelta(days=3)
    full = outcome(node, GARDEN, as_of=as_of, full=True)
    assert outcome(node, GARDEN, as_of=as_of) == full and b'"score":"2.000000"' in full

    told = []
    assert pool_index.catch_up(node, told.append, batch=2) == size
    assert sum(told) == size and pool_index.behind(node) == 0
    leaves = [leaf.idx for leaf in pool_index.pool_leaves(node, GARDEN, size)]
    assert leaves == [size - 3, size - 2, size - 1]  # the pool's Create, the work, its Accept
    assert outcome(node, GARDEN, as_of=as_of) == full
    node.close()


def test_a_ledger_snapshot_reads_back_whole_and_refuses_anything_else():
    from fedcommons.standing import PoolLedger

    ledger = PoolLedger(GARDEN)
    ledger.add({"type": "Create", "id": f"{GARDEN}/create", "actor": f"{URL}/actor", "published": at(0),
                "object": {"id": GARDEN, "type": "CommonPool", "stewards": [PEOPLE[1]]}})
    ledger.add({"type": "Like", "id": f"{URL}/l", "actor": PEOPLE[0], "object": f"{URL}/c", "published": at(1)})
    data = ledger.snapshot()
    again = PoolLedger.restore(data)
    assert again.snapshot() == data and again.counts == ledger.counts and again.records == ledger.records
    for broken in (b"", data[:-1], data + b"\0", b"\0" * 8 + b"{}"):
        with pytest.raises(ValueError):
            PoolLedger.restore(broken)


def test_the_cli_indexes_an_older_log_first_and_shows_the_same_standing(base_home, tmp_path):
    from support_cli import run

    home = tmp_path / "home"
    support_db.copy_home(base_home, home)
    node = open_node(home)
    log_writer.append(node, [Pending({"type": "Create", "id": f"{GARDEN}/create", "actor": f"{URL}/actor",
                                      "published": at(0), "object": {"id": GARDEN, "type": "CommonPool",
                                                                     "stewards": [PEOPLE[1]]}})])
    node.db.conn.execute("INSERT INTO actors (id, kind, name, local, created_at) VALUES (?, 'pool', 'garden', 1, ?)",
                         (GARDEN, at(0)))
    log_writer.append(node, [Pending(activity) for activity in (
        {"type": "Create", "id": f"{URL}/c/create", "actor": PEOPLE[0], "published": at(1),
         "object": {"id": f"{URL}/c", "type": "Contribution", "provider": PEOPLE[0], "receiver": GARDEN,
                    "effortQuantity": {"type": "Measure", "hasUnit": "hour", "hasNumericalValue": 3}}},
        {"type": "Accept", "id": f"{URL}/a", "actor": PEOPLE[1], "object": f"{URL}/c", "published": at(2)})])
    whole = outcome(node, GARDEN, full=True, as_of=service.parse_as_of("2025-01-01"))
    node.db.conn.execute("UPDATE pool_index_state SET size = 0")  # as a database from before the index
    node.close()

    out = run(home, "standing", "garden", "--as-of", "2025-01-01", "--format", "json").stdout
    assert out.encode() == whole + b"\n"
    node = open_node(home)
    assert pool_index.behind(node) == 0
    node.close()


def test_a_pools_contribution_count_is_kept_and_matches_its_rows(base_home, tmp_path):
    from fedcommons.store import contributions as contribution_store

    home = tmp_path / "home"
    support_db.copy_home(base_home, home)
    node = open_node(home)
    work = [{"type": "Create", "id": f"{URL}/c{i}/create", "actor": PEOPLE[0], "published": at(1),
             "object": {"id": f"{URL}/c{i % 3}", "type": "Contribution", "provider": PEOPLE[0],
                        "receiver": POOLS[i % 2]}} for i in range(5)]  # c0, c1, c2 and two replays
    log_writer.append(node, [Pending(activity) for activity in work])
    for pool in POOLS:
        rows = node.db.conn.execute("SELECT count(*) FROM contributions WHERE pool = ?", (pool,)).fetchone()[0]
        assert contribution_store.count_of_pool(node.db, pool) == rows
    assert contribution_store.count_of_pool(node.db, GARDEN) == 2  # c0 and c2; the replays count once
    assert contribution_store.count_of_pool(node.db, f"{URL}/pools/none") == 0
    node.close()


def test_a_contribution_rows_fields_are_its_columns_in_order():
    """insert_contributions binds a row as it is."""
    from fedcommons.store import contributions as contribution_store

    columns = tuple(name.strip() for name in contribution_store._COLUMNS.split(","))
    assert contribution_store.ContributionRow._fields == columns


@pytest.mark.sqlite_only("puts the old trigger back into the SQLite file; PostgreSQL databases never had it after migration 133")
def test_a_database_with_the_counting_trigger_migrates_and_counts_each_row_once(base_home, tmp_path):
    """Migration 133 drops the row trigger that kept the counts before; the inserts keep them."""
    import sqlite3

    from fedcommons.store import contributions as contribution_store

    home = tmp_path / "home"
    support_db.copy_home(base_home, home)
    conn = sqlite3.connect(home / "fedcommons.db", isolation_level=None)
    conn.execute("""CREATE TRIGGER contributions_counted AFTER INSERT ON contributions BEGIN
        INSERT INTO pool_contribution_counts (pool, count) VALUES (NEW.pool, 1)
        ON CONFLICT (pool) DO UPDATE SET count = count + 1; END""")  # as migration 51 made it
    conn.execute("DELETE FROM _migrations WHERE number = 133")
    conn.execute("INSERT INTO contributions (id, entry, pool, contributor, minutes, kind, summary, published)"
                 " VALUES ('old', 0, ?, ?, 0, '', '', '')", (GARDEN, PEOPLE[0]))  # counted by the trigger
    conn.close()
    node = open_node(home)  # migrates
    try:
        assert node.db.conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'contributions_counted'").fetchone()[0] == 0
        work = [{"type": "Create", "id": f"{URL}/c{i}/create", "actor": PEOPLE[0], "published": at(1),
                 "object": {"id": f"{URL}/c{i}", "type": "Contribution", "provider": PEOPLE[0],
                            "receiver": GARDEN}} for i in range(3)]
        log_writer.append(node, [Pending(activity) for activity in work])
        assert contribution_store.count_of_pool(node.db, GARDEN) == 4
    finally:
        node.close()


def test_the_current_standing_asked_again_later_follows_decay(base_home, tmp_path):
    """Past everything the log holds, the view is reused for a later asOf; decayed scores
    must still be computed for that asOf, undecayed ones may be reused."""
    home = tmp_path / "home"
    support_db.copy_home(base_home, home)
    node = open_node(home)
    decaying = {"method": "effort/1", "parameters": {"halfLifeDays": 7}}
    log_writer.append(node, [Pending(activity) for activity in (
        {"type": "Create", "id": f"{GARDEN}/create", "actor": f"{URL}/actor", "published": at(0),
         "object": {"id": GARDEN, "type": "CommonPool", "stewards": [PEOPLE[1]], "standingMethod": decaying}},
        {"type": "Create", "id": f"{URL}/c/create", "actor": PEOPLE[0], "published": at(1),
         "object": {"id": f"{URL}/c", "type": "Contribution", "provider": PEOPLE[0], "receiver": GARDEN,
                    "effortQuantity": {"type": "Measure", "hasUnit": "hour", "hasNumericalValue": 3}}},
        {"type": "Accept", "id": f"{URL}/a", "actor": PEOPLE[1], "object": f"{URL}/c", "published": at(2)})])
    scores = {}
    for method in (None, "peer-rank/1"):
        for days in (3, 10, 17, 10):
            options = {"as_of": START + timedelta(days=days), "method": method}
            fast = outcome(node, GARDEN, **options)
            assert fast == outcome(node, GARDEN, full=True, **options)
            scores[days, method] = json.loads(fast)["standings"][0]["score"]
    assert scores[3, None] > scores[10, None] > scores[17, None]  # the pool's own method decays
    assert scores[3, "peer-rank/1"] == scores[17, "peer-rank/1"] == "3.000000"  # its defaults do not
    node.close()


def test_the_index_keys_this_nodes_ids_by_their_time():
    """Ids that sort by time get keys that sort alike; other URLs keep 64 bits of BLAKE2b."""
    import hashlib
    import random

    rng = random.Random(7)
    ids = [f"{URL}/contributions/{token(0x018F34069E00 + rng.randrange(10**9), rng.getrandbits(80))}"
           for _ in range(2000)]
    assert sorted(ids, key=url_key) == sorted(ids)
    assert len({url_key(i) for i in ids}) == len(ids)
    assert -2**63 <= url_key(f"{URL}/activities/{'f' * 32}") < 2**63 and url_key(f"{URL}/activities/{'0' * 32}") == -2**63 + (
        int.from_bytes(hashlib.blake2b(f"{URL}/activities/{'0' * 32}".encode(), digest_size=2).digest(), "big"))
    for other in (GARDEN, f"{URL}/activities/{'F' * 32}", f"{URL}/c/{'0' * 31}", "https://elsewhere.example/s/1"):
        assert url_key(other) == int.from_bytes(hashlib.blake2b(other.encode(), digest_size=8).digest(), "big",
                                                signed=True)
    assert url_key(TWIN) == url_key(TWIN_OF_TWIN) and TWIN != TWIN_OF_TWIN


@settings(max_examples=5, deadline=None, phases=[Phase.generate], suppress_health_check=[HealthCheck.too_slow])
@given(log=logs())
def test_migration_143_indexes_the_log_again_with_the_new_keys(base_home, log):
    """The migration empties the index and the ledger parts; the log is indexed again from
    its first entry, with the same entries filed under each pool and the same standings."""
    with tempfile.TemporaryDirectory() as scratch:
        _index_again(base_home, Path(scratch) / "home", *log)


def _index_again(base_home, home, activities, batches):
    support_db.copy_home(base_home, home)
    node = open_node(home)
    append_in_batches(node, activities, batches)
    size = pool_index.behind(node) or node.db.conn.execute("SELECT count(*) FROM log_entries").fetchone()[0]
    filed = {pool: [leaf.idx for leaf in pool_index.pool_leaves(node, pool, size)] for pool in POOLS}
    options = {"as_of": START + timedelta(days=30), "tree_size": size}
    expected = {pool: outcome(node, pool, full=True, **options) for pool in POOLS}
    node.close()
    support_db.tamper(home, "DELETE FROM _migrations WHERE number = 143")
    pool_state._KEPT.clear()
    pool_state._HELD.clear()
    node = open_node(home)  # migrates
    try:
        assert pool_index.behind(node) == size and pool_index.pool_leaves(node, GARDEN, size) is None
        assert not support_db.query(home, "SELECT * FROM pool_ledger_parts")
        assert {pool: outcome(node, pool, **options) for pool in POOLS} == expected  # from the whole log
        assert pool_state.index_log(node) == size
        assert {pool: [leaf.idx for leaf in pool_index.pool_leaves(node, pool, size)] for pool in POOLS} == filed
        assert {pool: outcome(node, pool, **options) for pool in POOLS} == expected
    finally:
        node.close()
