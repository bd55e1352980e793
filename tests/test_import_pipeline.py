"""The import pipeline: identity through aliases, bots, effort rules, signing, batches with
the cursor, and nothing private in the log."""

import json
import weakref
from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest
import support_db
from support_cli import entries, run
from support_import import ListSource, garden_home

from fedcommons.effort_rules import rule as effort_rule
from fedcommons.errors import BadInput, Forbidden, NotFound
from fedcommons.importers.items import MERGE, REVERT, Item, Person
from fedcommons.home import open_node
from fedcommons.services.importing import aliases, collector, pipeline, sources
from fedcommons.services.importing.pipeline import Settings, import_source
from fedcommons.store import imports as import_store
from fedcommons.store.db import transaction

URL = "http://127.0.0.1:8080"
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)
ALICE = Person("email:alice@private.example", "Alice Liddell")
DAN = Person("email:dan@private.example", "Dan")
BOT = Person("email:41898282+github-actions[bot]@users.noreply.github.com", "github-actions[bot]")


@pytest.fixture(scope="module")
def base_home(tmp_path_factory):
    return garden_home(tmp_path_factory, URL)


def item(n, *people, minutes_after=0, flags=(), **metrics):
    return Item(key=f"git:{n:040x}", time=T0 + timedelta(minutes=minutes_after), summary=f"change {n}",
                people=tuple(people), evidence=f"https://forge.example/garden/commit/{n:040x}",
                metrics=metrics, flags=frozenset(flags))


def add(node, rule="flat/1", params=None, name="garden-git"):
    settings = Settings(effort_rule(rule, params), "code")
    row = import_store.SourceRow(name, f"{URL}/pools/garden", "git", "/nowhere", settings.to_json(), None, "t")
    with transaction(node.db):
        import_store.add_source(node.db, row)
    return row


def go(node, items, name="garden-git", times_fixed=False, **kw):
    return import_source(node, import_store.source(node.db, name), ListSource(items, times_fixed), **kw)


def contributions(home):
    return [e["activity"] for e in entries(home)
            if isinstance(e["activity"].get("object"), dict) and "sourceKey" in e["activity"]["object"]]


def test_mapped_people_are_recorded_by_the_pool_unmapped_ones_wait(node, home):
    add(node)
    with transaction(node.db):
        import_store.note_identities(node.db, f"{URL}/pools/garden", [(ALICE.identity, ALICE.name, [], False)])
    aliases.confirm(node, "garden", ALICE.identity, "alice", "bob")
    summary = go(node, [item(1, ALICE), item(2, DAN), item(3, ALICE, DAN), item(4, BOT)])
    assert (summary.items, summary.recorded, summary.waiting, summary.bots) == (4, 2, 2, 1)
    assert summary.minutes == {"flat/1": 60 + 30}
    (first, shared) = contributions(home)
    assert first["actor"] == f"{URL}/pools/garden" and first["object"]["provider"] == f"{URL}/users/alice"
    assert first["object"]["sourceKey"] == f"git:{1:040x}"
    assert first["object"]["effortRule"] == {"method": "flat/1", "parameters": {"minutes": 60}}
    assert first["object"]["evidence"] == [f"https://forge.example/garden/commit/{1:040x}"]
    assert shared["object"]["effortQuantity"]["hasNumericalValue"] == 30  # split with Dan
    assert first["proof"]["verificationMethod"].startswith(f"{URL}/pools/garden")
    # Dan's two parts wait; confirming his alias records them, once.
    (dan,) = [u for u in aliases.suggest(node, "garden") if u.key == DAN.identity]
    assert dan.waiting == 2 and dan.suggestions[0].actor == f"{URL}/users/dan"  # same name
    assert aliases.confirm(node, "garden", DAN.identity, "dan", "bob") == 2
    assert aliases.confirm(node, "garden", DAN.identity, "dan", "bob") == 0
    assert [c["object"]["effortQuantity"]["hasNumericalValue"] for c in contributions(home)][2:] == [60, 30]
    assert go(node, [item(1, ALICE), item(2, DAN), item(3, ALICE, DAN)]).recorded == 0
    run(home, "log", "verify")


def test_nothing_private_enters_the_log(node, home):
    add(node)
    aka = Person("email:alice@private.example", "Alice", aka=("email:alice.old@private.example",))
    with transaction(node.db):
        import_store.note_identities(node.db, f"{URL}/pools/garden", [(ALICE.identity, ALICE.name, [], False)])
    aliases.confirm(node, "garden", ALICE.identity, "alice", "bob")
    go(node, [item(1, aka, DAN), item(2, Person("orcid:0000-0002-1825-0097", "Dan")),
              Item(key="git:3", time=T0, summary="Merge branch of alice.old@private.example", people=(aka,))])
    aliases.confirm(node, "garden", DAN.identity, "dan", "bob")
    raw = json.dumps(entries(home))
    assert len(contributions(home)) == 3
    (merge,) = [c for c in contributions(home) if c["object"]["sourceKey"] == "git:3"]
    assert merge["object"]["name"] == "Merge branch of [address]"
    for secret in ("private.example", "0000-0002-1825-0097", "alice.old"):
        assert secret not in raw
    # ...while the private tables do hold them (so the check above could fail)
    held = {i.key: i.aka for i in import_store.identities(node.db, f"{URL}/pools/garden")}
    assert held[ALICE.identity] == ["email:alice.old@private.example"] and "orcid:0000-0002-1825-0097" in held


def test_bots_merges_and_reverts_never_mint(node):
    add(node)
    custom = Person("email:ci@private.example", "nightly-runner")
    summary = go(node, [item(1, BOT), item(2, ALICE, flags={MERGE}), item(3, ALICE, flags={REVERT}), item(4, custom)])
    assert (summary.bots, summary.skipped, summary.waiting) == (1, 2, 1)
    row = import_store.source(node.db, "garden-git")
    settings = dict(row.settings, bots=["nightly-*"])
    with transaction(node.db):
        node.db.conn.execute("UPDATE import_sources SET settings = ?, cursor = NULL WHERE name = ?",
                             (json.dumps(settings), row.name))
    assert go(node, [item(4, custom), item(5, BOT)]).bots == 1  # a custom list replaces the defaults


def test_sessions_continue_across_runs_and_batches(node):
    add(node, "sessions/1", {"gap": "60", "allowance": "30"})
    with transaction(node.db):
        import_store.note_identities(node.db, f"{URL}/pools/garden", [(ALICE.identity, ALICE.name, [], False)])
    aliases.confirm(node, "garden", ALICE.identity, "alice", "bob")
    items = [item(n, ALICE, minutes_after=m) for n, m in enumerate([0, 20, 50, 300, 310], start=1)]
    first = go(node, items[:2], batch=1)
    second = go(node, items, batch=2)  # resumes after the cursor: items 3 to 5
    assert first.minutes["sessions/1"] + second.minutes["sessions/1"] == (50 + 30) + (10 + 30)
    assert (first.items, second.items) == (2, 3)


def test_lines_and_shares(node):
    add(node, "lines/1", {"per_hour": "60", "min": "0", "cap": "600"})
    for person in (ALICE, DAN):
        with transaction(node.db):
            import_store.note_identities(node.db, f"{URL}/pools/garden", [(person.identity, person.name, [], False)])
        aliases.confirm(node, "garden", person.identity, person.name.split()[0].lower(), "bob")
    shared = (Person(ALICE.identity, "Alice", share=Fraction(3)), Person(DAN.identity, "Dan", role="co-author", share=Fraction(1)))
    summary = go(node, [item(1, *shared, lines_added=100, lines_deleted=20)])
    assert summary.minutes == {"lines/1": 120} and summary.recorded == 2
    rows = dict(node.db.conn.execute("SELECT contributor, minutes FROM contributions WHERE kind = 'code'"))
    assert rows == {f"{URL}/users/alice": 90, f"{URL}/users/dan": 30}


def test_a_dry_run_writes_nothing(node, home):
    add(node)
    before = support_db.contents(home)
    summary = go(node, [item(1, ALICE), item(2, DAN)], dry_run=True)
    assert (summary.items, summary.waiting, summary.run) == (2, 2, None)
    assert support_db.contents(home) == before
    assert import_store.source(node.db, "garden-git").cursor is None
    assert import_store.runs(node.db) == []


def test_validating_a_run_signs_one_accept_each(node, home):
    add(node)
    for person, name in ((ALICE, "alice"), (Person("email:bob@private.example", "Bob"), "bob")):
        with transaction(node.db):
            import_store.note_identities(node.db, f"{URL}/pools/garden", [(person.identity, person.name, [], False)])
        aliases.confirm(node, "garden", person.identity, name, "bob")
    summary = go(node, [item(1, ALICE), item(2, ALICE), item(3, Person("email:bob@private.example", "Bob"))])
    with pytest.raises(Forbidden):
        sources.validate_run(node, summary.run, "alice")
    assert sources.validate_run(node, summary.run, "bob") == 2  # not bob's own
    accepts = [e["activity"] for e in entries(home) if e["activity"]["type"] == "Accept"]
    assert len(accepts) == 2 and {a["actor"] for a in accepts} == {f"{URL}/users/bob"}
    assert sources.validate_run(node, summary.run, "bob") == 0
    statuses = dict(node.db.conn.execute("SELECT status, count(*) FROM contributions WHERE kind = 'code' GROUP BY status"))
    assert statuses == {"validated": 2, "pending": 1}


def test_aliases_need_a_steward_and_a_known_identity(node, home):
    add(node)
    go(node, [item(1, DAN)])
    with pytest.raises(Forbidden):
        aliases.confirm(node, "garden", DAN.identity, "dan", "alice")
    with pytest.raises(NotFound):
        aliases.confirm(node, "garden", DAN.identity, "nobody", "bob")
    with pytest.raises(BadInput):
        aliases.confirm(node, "garden", DAN.identity, "ftp://elsewhere.example/dan", "bob")
    assert aliases.confirm(node, "garden", DAN.identity, "https://social.example/users/dan", "bob") == 1
    assert [a["actor"] for a in aliases.listing(node, "garden")] == ["https://social.example/users/dan"]
    aliases.remove(node, "garden", DAN.identity, "bob")
    assert aliases.listing(node) == []
    [(provider,)] = support_db.query(home, "SELECT contributor FROM contributions WHERE kind = 'code'")
    assert provider == "https://social.example/users/dan"


def test_an_items_own_kind_unless_one_is_imposed(node):
    add(node)
    with transaction(node.db):
        import_store.note_identities(node.db, f"{URL}/pools/garden", [(ALICE.identity, ALICE.name, [], False)])
    aliases.confirm(node, "garden", ALICE.identity, "alice", "bob")
    own = Item(key="doi:10.1000/1", time=T0, summary="a paper", people=(ALICE,), kind="docs")
    unknown = Item(key="doi:10.1000/2", time=T0, summary="a paper", people=(ALICE,), kind="writing-review-editing")
    go(node, [own, unknown])
    kinds = dict(node.db.conn.execute("SELECT summary || id, kind FROM contributions WHERE summary = 'a paper'"))
    assert sorted(kinds.values()) == ["code", "docs"]  # a kind the node does not know falls back
    row = import_store.source(node.db, "garden-git")
    with transaction(node.db):
        node.db.conn.execute("UPDATE import_sources SET settings = ?, cursor = NULL WHERE name = ?",
                             (json.dumps(dict(row.settings, itemKinds=False)), row.name))
    go(node, [Item(key="doi:10.1000/3", time=T0, summary="imposed", people=(ALICE,), kind="docs")])
    assert node.db.conn.execute("SELECT kind FROM contributions WHERE summary = 'imposed'").fetchone() == ("code",)


def test_imported_ids_sort_by_the_time_of_the_work(node, home):
    """Ids begin with the item's time, so an import in time order appends at the end of the
    indexes holding them; the same item and person always get the same id."""
    add(node)
    aliases.confirm(node, "garden", ALICE.identity, "alice", "bob")
    hours = [30, 2, 500, 0, 61]  # keys in another order than times
    go(node, [item(n, ALICE, minutes_after=60 * h) for n, h in enumerate(hours)], times_fixed=True)
    made = {c["object"]["sourceKey"]: c["object"]["id"] for c in contributions(home)}
    by_time = [made[f"git:{n:040x}"] for n, _ in sorted(enumerate(hours), key=lambda pair: pair[1])]
    assert by_time == sorted(made.values()) and len(set(made.values())) == 5
    first = by_time[0].rsplit("/", 1)[1]
    assert int(first[:12], 16) == int(T0.timestamp() * 1000) and len(first) == 32
    add(node, name="again")  # the same items read again, from the start
    assert go(node, [item(n, ALICE, minutes_after=60 * h) for n, h in enumerate(hours)], name="again",
              times_fixed=True).recorded == 0


def test_a_source_whose_times_may_change_keeps_ids_of_the_key_alone(node, home):
    """A citation file's time (its release date, or when it was last changed) may move
    while its DOI stays: its ids follow from the key, so reading it again adds nothing."""
    add(node)
    aliases.confirm(node, "garden", ALICE.identity, "alice", "bob")
    assert go(node, [item(1, ALICE)]).recorded == 1
    (made,) = contributions(home)
    assert made["object"]["id"] == pipeline.legacy_contribution_id(node, f"{URL}/pools/garden", item(1).key,
                                                                   f"{URL}/users/alice")
    add(node, name="again")
    assert go(node, [item(1, ALICE, minutes_after=90 * 24 * 60)], name="again").recorded == 0


def test_a_pool_that_imported_before_ids_sorted_by_time_adds_nothing_twice(node, home, monkeypatch):
    """Parts recorded under the older form of id (a digest only) are found again, in a pool
    listed as holding such ids; a pool not listed looks up one form only."""
    legacy = pipeline.legacy_contribution_id
    add(node)
    aliases.confirm(node, "garden", ALICE.identity, "alice", "bob")
    items = [item(n, ALICE, DAN, minutes_after=n) for n in range(3)]
    with monkeypatch.context() as patched:  # as a node imported before
        patched.setattr(pipeline, "contribution_id", lambda node, pool, key, actor, at: legacy(
            node, pool, key, actor))
        assert go(node, items, times_fixed=True).recorded == 3
    assert {c["object"]["id"] for c in contributions(home)} == {
        legacy(node, f"{URL}/pools/garden", i.key, f"{URL}/users/alice") for i in items}
    add(node, name="again")
    assert go(node, items, name="again", times_fixed=True, dry_run=True).recorded == 3  # unlisted: unseen
    support_db.tamper(home, "INSERT INTO import_legacy_pools (pool) VALUES (?)", (f"{URL}/pools/garden",))
    summary = go(node, items, name="again", times_fixed=True)
    assert (summary.recorded, summary.already, summary.waiting) == (0, 3, 0)  # Dan's parts wait already
    # Dan's parts waited; they are recorded under the new form, once.
    assert aliases.confirm(node, "garden", DAN.identity, "dan", "bob") == 3
    assert aliases.confirm(node, "garden", DAN.identity, "dan", "bob") == 0
    assert len(contributions(home)) == 6
    run(home, "log", "verify")


@pytest.mark.sqlite_only("takes a SQLite file back to before migration 142; a new PostgreSQL database "
                         "applies 142 to empty tables, which the schema test checks")
def test_migration_lists_the_pools_that_hold_ids_of_the_older_form(node, home):
    import sqlite3

    add(node)
    aliases.confirm(node, "garden", ALICE.identity, "alice", "bob")
    go(node, [item(1, ALICE)])
    with transaction(node.db):  # a part waiting in a pool that recorded nothing yet
        import_store.add_waiting(node.db, f"{URL}/pools/library", [(DAN.identity, "git:2", 1, {"key": "git:2"})])
    assert not import_store.has_legacy_ids(node.db, f"{URL}/pools/garden")
    node.close()
    conn = sqlite3.connect(home / "fedcommons.db", isolation_level=None)  # as before migration 142
    conn.execute("DROP TABLE import_legacy_pools")
    conn.execute("DELETE FROM _migrations WHERE number = 142")
    conn.close()
    node = open_node(home)  # migrates
    try:
        assert import_store.has_legacy_ids(node.db, f"{URL}/pools/garden")
        assert import_store.has_legacy_ids(node.db, f"{URL}/pools/library")
        assert not import_store.has_legacy_ids(node.db, f"{URL}/pools/elsewhere")
    finally:
        node.close()


def test_a_run_collects_garbage_less_often_and_puts_the_collector_back(node, monkeypatch):
    """Inside a run the collector leaves the process's older objects alone and collects the
    young every YOUNG_THRESHOLD allocations; after it (an error included), as it was."""
    import gc

    before = gc.get_threshold()
    seen = []

    class Watched(ListSource):
        def read(self, cursor):
            seen.append((gc.get_threshold()[0], gc.get_freeze_count() > 0))
            yield from super().read(cursor)

    add(node)
    import_source(node, import_store.source(node.db, "garden-git"), Watched([item(1, ALICE)]))
    assert seen == [(collector.YOUNG_THRESHOLD, True)]
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    with collector.fewer_collections() as batches:
        with pytest.raises(ZeroDivisionError), collector.fewer_collections():
            1 / 0
        assert gc.get_threshold()[0] == collector.YOUNG_THRESHOLD  # the outer run goes on
        # A run collects fully every FULL_EVERY batches, garbage in cycles included.
        collected, collect = [], gc.collect
        monkeypatch.setattr(gc, "collect", lambda: collected.append(collect()))
        cycle = Cyclic()
        cycle.me = cycle
        gone = weakref.ref(cycle)
        del cycle
        for _ in range(collector.FULL_EVERY - 1):
            batches.done()
        assert not collected
        batches.done()
        assert len(collected) == 1 and gone() is None
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


class Cyclic:
    """An object that can refer to itself, and be referred to weakly."""
