"""Imports and validations signed by a worker process, one batch ahead of the writes: the
same log and the same records as signing in the importing process, a worker killed mid-run
changes nothing but speed, and a run that breaks off resumes with no gap and no duplicate."""

import itertools
from datetime import datetime, timedelta, timezone

import pytest
import support_db
from support_import import ListSource, force_signing_workers, garden_home

from fedcommons import urls
from fedcommons.effort_rules import rule as effort_rule
from fedcommons.importers.items import MERGE, Item, Person
from fedcommons.services.actors import signing
from fedcommons.services.importing import aliases, sources
from fedcommons.services.importing.pipeline import Settings, import_source
from fedcommons.store import imports as import_store
from fedcommons.store import log as log_store
from fedcommons.store.db import transaction

URL = "http://127.0.0.1:8080"
POOL = f"{URL}/pools/garden"
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)
ALICE = Person("email:alice@private.example", "Alice")
DAN = Person("email:dan@private.example", "Dan")
BOB = Person("email:bob@private.example", "Bob")
EVE = Person("email:eve@private.example", "Eve")  # no alias: her parts wait
BOT = Person("email:ci[bot]@private.example", "ci[bot]")
PEOPLE = [ALICE, DAN, (ALICE, DAN), BOB, EVE, BOT, (DAN, EVE)]
# 23 items in batches of 3 (the last is short): one merge, two by a bot, 20 contributions.
ITEMS = [Item(key=f"git:{n:040x}", time=T0 + timedelta(minutes=17 * n), summary=f"change {n}",
              people=p if isinstance(p, tuple) else (p,), evidence=f"https://forge.example/c/{n}",
              metrics={}, flags=frozenset({MERGE}) if n == 5 else frozenset())
         for n, p in enumerate(itertools.islice(itertools.cycle(PEOPLE), 23))]
BATCH = 3
TABLES = ("contributions", "import_recorded", "import_waiting", "import_identities", "import_sessions", "import_sources")


@pytest.fixture(scope="module")
def base_home(tmp_path_factory):
    return garden_home(tmp_path_factory, URL)


@pytest.fixture
def deterministic(monkeypatch):
    """Activity ids and validation times that do not change from one node to the next (the
    ids count from 0 on each node), so that two nodes' logs can be compared byte for byte."""
    numbers = [itertools.count()]

    def restart():
        numbers[0] = itertools.count()

    monkeypatch.setattr(urls, "new_activity", lambda base: f"{base}/activities/{next(numbers[0])}")
    monkeypatch.setattr(sources, "now", lambda: "2024-06-01T00:00:00Z")
    return restart


@pytest.fixture
def workers(monkeypatch):
    """Every batch is signed by a worker; the worker processes started are listed here."""
    return force_signing_workers(monkeypatch)


def prepare(node):
    settings = Settings(effort_rule("sessions/1", {"gap": "60", "allowance": "30"}), "code")
    with transaction(node.db):
        import_store.add_source(node.db, import_store.SourceRow("garden-git", POOL, "git", "/nowhere",
                                                                settings.to_json(), None, "t"))
        import_store.note_identities(node.db, POOL, [(p.identity, p.name, [], False) for p in (ALICE, DAN, BOB)])
    for person in (ALICE, DAN, BOB):
        aliases.confirm(node, "garden", person.identity, person.name.lower(), "bob")


def import_and_validate(node):
    summary = import_source(node, import_store.source(node.db, "garden-git"), ListSource(ITEMS), batch=BATCH)
    summary.validated = sources.validate_run(node, summary.run, "bob", batch=BATCH)
    return summary


def recorded(node) -> dict:
    """The log's entries and the tables an import writes (a run's times left out)."""
    found = {table: rows for table, rows in support_db.contents(node.db).items() if table in TABLES}
    found["log"] = [(e.idx, e.body) for e in log_store.iter_entries(node.db)]
    found["runs"] = [(r.items, r.recorded, r.waiting, r.bots, r.skipped, r.minutes, r.validated)
                     for r in import_store.runs(node.db)]
    return found


@pytest.fixture
def in_process(base_home, tmp_path, deterministic):
    """What importing and validating ITEMS records when this process signs everything."""
    from fedcommons.home import open_node  # as conftest's node fixture does

    node = open_node(support_db.copy_home(base_home, tmp_path / "reference"))
    try:
        deterministic()
        prepare(node)
        summary = import_and_validate(node)
        return summary, recorded(node)
    finally:
        node.close()


def test_a_worker_signs_what_this_process_would(node, in_process, deterministic, workers, caplog):
    expected_summary, expected = in_process
    deterministic()
    prepare(node)
    summary = import_and_validate(node)
    assert summary == expected_summary
    assert (summary.recorded, summary.validated, summary.waiting, summary.skipped) == (20, 17, 6, 1)
    assert recorded(node) == expected
    assert len(workers) == 2 and all(p.returncode == 0 for p in workers)  # one for each run, both reaped
    assert "signing in this process instead" not in caplog.text


def test_a_worker_killed_mid_run_changes_nothing_but_speed(node, in_process, deterministic, workers, monkeypatch,
                                                           caplog):
    submit, calls = signing.BatchSigner.submit, itertools.count(1)

    def submit_then_kill(self, *args, **kwargs):
        signed = submit(self, *args, **kwargs)
        if next(calls) == 3:  # the batch is in the worker's hands: its answer is lost
            self.worker.process.kill()
        return signed

    monkeypatch.setattr(signing.BatchSigner, "submit", submit_then_kill)
    deterministic()
    prepare(node)
    assert import_and_validate(node) == in_process[0]
    assert recorded(node) == in_process[1]
    assert "the signing worker exited unexpectedly" in caplog.text
    assert len(workers) == 2 and all(p.returncode is not None for p in workers)


def test_a_run_that_breaks_off_resumes_with_no_gap_and_no_duplicate(node, deterministic, workers, monkeypatch):
    prepare(node)
    set_cursor, calls = import_store.set_cursor, itertools.count(1)

    def fail_the_third(db, name, cursor):
        if next(calls) == 3:
            raise RuntimeError("the disk is full")
        set_cursor(db, name, cursor)

    monkeypatch.setattr(import_store, "set_cursor", fail_the_third)
    row = import_store.source(node.db, "garden-git")
    with pytest.raises(RuntimeError):
        import_source(node, row, ListSource(ITEMS), batch=BATCH)
    assert import_store.source(node.db, "garden-git").cursor == str(2 * BATCH)  # two batches written, whole
    assert len(import_store.recorded_in(node.db, import_store.runs(node.db)[0].id)) == 5
    assert workers[0].returncode is not None  # killed, with the next batch's answer unread, and reaped
    summary = import_source(node, import_store.source(node.db, "garden-git"), ListSource(ITEMS), batch=BATCH)
    assert (summary.items, summary.already) == (len(ITEMS) - 2 * BATCH, 0)
    keys = [e.body for e in log_store.iter_entries(node.db) if b'"sourceKey"' in e.body]
    assert len(keys) == 20 == len(set(keys))
    assert import_store.source(node.db, "garden-git").cursor == str(len(ITEMS))


def test_a_dry_run_starts_no_worker(node, workers):
    prepare(node)
    before = support_db.contents(node.db)
    summary = import_source(node, import_store.source(node.db, "garden-git"), ListSource(ITEMS), batch=BATCH,
                            dry_run=True)
    assert summary.recorded == 20 and workers == []
    assert support_db.contents(node.db) == before
