"""Bulk imports: checked before anything is written, idempotent, in short transactions."""

import json
import os
import sys
from pathlib import Path

import pytest
import support_db
from support_cli import entries, kill_when, run

from fedcommons.errors import BadInput
from fedcommons.services.importing import importing
from fedcommons.services.importing.importing import import_contributions, plan_import, write_import

REPO = Path(__file__).resolve().parent.parent
URL = "http://127.0.0.1:8080"
FC = "https://w3id.org/fedcommons#"


@pytest.fixture(scope="module")
def base_home(tmp_path_factory):
    """A node with three people and two pools (built once; tests copy it)."""
    home = tmp_path_factory.mktemp("node") / "home"
    run(home, "init", "--url", URL)
    for name in ("alice", "bob", "carol"):
        run(home, "actor", "add", name)
    run(home, "pool", "create", "garden", "--name", "Garden", "--steward", "bob")
    run(home, "pool", "create", "kitchen", "--name", "Kitchen", "--steward", "carol")
    return home


def row(summary, **fields):
    return {"pool": "garden", "as": "alice", "effort": "1h", "kind": "code", "summary": summary, **fields}


def write_rows(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def import_json(home, path, *args, code=0):
    result = run(home, "import", "contributions", str(path), "--format", "json", *args, code=code)
    return json.loads(result.stdout) if code == 0 else result


def imported_objects(home) -> list[dict]:
    """The contributions in the log that came from imports, in log order."""
    return [e["activity"]["object"] for e in entries(home)
            if isinstance(e["activity"].get("object"), dict) and "importKey" in e["activity"]["object"]]


def recorded_contributions(home) -> int:
    return support_db.query(home, "SELECT count(*) FROM contributions")[0][0]


def test_importing_a_file_again_writes_nothing_and_says_so(home, tmp_path):
    path = write_rows(tmp_path / "work.jsonl", [row(f"task {i}") for i in range(5)])
    first = import_json(home, path)
    assert first["written"] == 5 and first["already_imported"] == 0
    size = len(entries(home))
    again = import_json(home, path)
    assert again == {"written": 0, "already_imported": 5, "ids": [], "bad": []}
    assert run(home, "import", "contributions", str(path)).stdout == "0 written, 5 already imported\n"
    assert len(entries(home)) == size
    assert [o["id"] for o in imported_objects(home)] == first["ids"]
    run(home, "log", "verify")


def test_a_reexported_file_is_recognised_by_what_its_rows_say(home, tmp_path):
    rows = [row("weeding", effort="90m", date="2026-10-01", evidence=["https://x.example/1"]),
            row("pruning", **{"as": "bob", "kind": "care"}),
            row("menu", pool="kitchen", effort="2h")]
    assert import_json(home, write_rows(tmp_path / "a.jsonl", rows))["written"] == 3
    # Another name, another format, other order, other spellings of the same effort, date and kind.
    csv = tmp_path / "export-2.csv"
    csv.write_text("date,summary,kind,effort,as,pool,evidence\n"
                   ",menu,code,120m,alice,kitchen,\n"
                   "2026-10-01T00:00:00Z,  weeding ,#Code,1h30m,alice,garden,https://x.example/1\n"
                   ",pruning,care,60m,bob,garden,\n")
    assert import_json(home, csv) == {"written": 0, "already_imported": 3, "ids": [], "bad": []}
    # A row that says something else is a new contribution.
    changed = write_rows(tmp_path / "b.jsonl", [row("weeding", effort="2h", date="2026-10-01",
                                                    evidence=["https://x.example/1"])])
    assert import_json(home, changed)["written"] == 1


def test_identical_rows_in_a_file_are_separate_contributions_counted_in_order(home, tmp_path):
    twice = [row("watering"), row("watering")]
    assert import_json(home, write_rows(tmp_path / "a.jsonl", twice))["written"] == 2
    assert import_json(home, write_rows(tmp_path / "b.jsonl", twice))["already_imported"] == 2
    thrice = write_rows(tmp_path / "c.jsonl", [*twice, row("watering")])
    out = import_json(home, thrice)
    assert (out["written"], out["already_imported"]) == (1, 2)
    keys = [o["importKey"] for o in imported_objects(home)]
    assert len(keys) == len(set(keys)) == 3


def test_a_key_given_by_the_file_names_the_row_in_its_pool(home, tmp_path):
    rows = [row("one", key="sheet-1"), row("two", key=2), row("three", pool="kitchen", key="sheet-1")]
    assert import_json(home, write_rows(tmp_path / "a.jsonl", rows))["written"] == 3
    assert [o["importKey"] for o in imported_objects(home)] == ["sheet-1", "2", "sheet-1"]
    # The key decides: the same key with corrected words is the row already imported.
    edited = write_rows(tmp_path / "b.jsonl", [row("one, corrected", key="sheet-1"), row("four", key="sheet-4")])
    out = import_json(home, edited)
    assert (out["written"], out["already_imported"]) == (1, 1)


@pytest.mark.parametrize("bad, reason", [
    ({"key": "x"}, "key 'x' was already used on line 1"),
    ({"key": "sha256:abc"}, "derived from rows"),
    ({"key": "a\tb"}, "control characters"),
    ({"key": "k" * 201}, "keep it under 200"),
    ({"key": ["x"]}, "key must be a string or an integer"),
    ({"date": 20261001}, "date must be a string"),
    ({"evidence": 7}, "evidence must be a link or a list of links"),
])
def test_bad_keys_and_field_types_are_bad_rows(home, tmp_path, bad, reason):
    before = entries(home)
    path = write_rows(tmp_path / "a.jsonl", [row("first", key="x"), row("second", **bad)])
    result = import_json(home, path, code=2)
    assert f"{path}:2: " in result.stderr and reason in result.stderr
    assert entries(home) == before


def test_skip_bad_then_the_fixed_file_imports_only_the_fixed_row(home, tmp_path):
    path = write_rows(tmp_path / "a.jsonl", [row("good"), row("typo", kind="cod"), row("also good")])
    out = import_json(home, path, "--skip-bad")
    assert out["written"] == 2 and [b["line"] for b in out["bad"]] == [2]
    write_rows(path, [row("good"), row("typo", kind="code"), row("also good")])
    out = import_json(home, path, "--skip-bad")
    assert (out["written"], out["already_imported"], out["bad"]) == (1, 2, [])
    assert [o["name"] for o in imported_objects(home)] == ["good", "also good", "typo"]


def test_imported_entries_carry_their_key_as_a_vocabulary_term(home, tmp_path):
    from pyld import jsonld

    from fedcommons.ld.loader import document_loader

    import_json(home, write_rows(tmp_path / "a.jsonl", [row("seeds", key="ticket-7"), row("soil")]))
    activities = [e["activity"] for e in entries(home)[-2:]]
    values = []
    for activity in activities:
        dropped = []
        expanded = jsonld.expand(activity, {"documentLoader": document_loader}, on_property_dropped=dropped.append)
        assert not dropped
        values += [v["@value"] for v in expanded[0]["https://www.w3.org/ns/activitystreams#object"][0][FC + "importKey"]]
    assert values[0] == "ticket-7" and values[1].startswith("sha256:") and len(values[1]) == 7 + 64
    # Contributions that were not imported keep their bytes: no importKey, no extra term.
    cid = run(home, "contribute", "--pool", "garden", "--as", "alice", "--effort", "1h", "--kind", "code",
              "--summary", "by hand").stdout.strip()
    by_hand = entries(home)[-1]["activity"]
    assert by_hand["object"]["id"] == cid
    assert "importKey" not in by_hand["object"] and "importKey" not in json.dumps(by_hand["@context"])


def test_a_failed_batch_leaves_the_earlier_ones_and_a_rerun_completes(node, home, tmp_path, monkeypatch):
    path = write_rows(tmp_path / "a.jsonl", [row(f"task {i}") for i in range(45)])
    real_append, calls = importing.log_writer.append, []

    def append_failing_on_the_third(node_, pending):
        calls.append(len(pending))
        if len(calls) == 3:
            raise OSError("disk gone")
        return real_append(node_, pending)

    monkeypatch.setattr(importing.log_writer, "append", append_failing_on_the_third)
    size = len(entries(home))
    with pytest.raises(OSError, match="disk gone"):
        import_contributions(node, path, batch=10)
    assert len(entries(home)) == size + 20 and len(imported_objects(home)) == 20
    result = import_contributions(node, path, batch=10)
    assert (result.written, result.already) == (25, 20)
    names = [o["name"] for o in imported_objects(home)]
    assert sorted(names) == sorted(f"task {i}" for i in range(45))
    run(home, "log", "verify")


def test_the_write_lock_is_free_between_batches(node, home, tmp_path):
    path = write_rows(tmp_path / "a.jsonl", [row(f"task {i}") for i in range(30)])
    got_in = []

    def another_writer(_):
        got_in.append(support_db.write_lock_free(home))

    result = import_contributions(node, path, batch=10, progress=another_writer)
    assert result.written == 30 and got_in == [True] * 3


def test_two_imports_of_the_same_rows_at_once_write_them_once(node, home, tmp_path):
    path = write_rows(tmp_path / "a.jsonl", [row(f"task {i}") for i in range(12)])
    first, second = plan_import(node, path), plan_import(node, path)
    assert len(first.rows) == len(second.rows) == 12
    assert write_import(node, first, batch=5).written == 12
    result = write_import(node, second, batch=5)
    assert (result.written, result.already) == (0, 12)
    assert len(imported_objects(home)) == 12


def test_batch_size_must_be_positive(home, node, tmp_path):
    path = write_rows(tmp_path / "a.jsonl", [row("x")])
    result = run(home, "import", "contributions", str(path), "--batch-size", "0", code=2)
    assert "--batch-size" in result.stderr
    with pytest.raises(BadInput, match="at least 1"):
        import_contributions(node, path, batch=0)
    assert imported_objects(home) == []


def test_an_import_killed_mid_way_completes_when_run_again(home, tmp_path):
    total = 3000
    path = write_rows(tmp_path / "big.jsonl", [row(f"task {i}") for i in range(total)])
    size, recorded = len(entries(home)), recorded_contributions(home)
    command = [sys.executable, "-m", "fedcommons", "--home", str(home), "import", "contributions", str(path),
               "--batch-size", "20"]
    with support_db.connection(home) as watcher:
        def committed() -> int:
            return watcher.conn.execute("SELECT count(*) FROM contributions").fetchone()[0] - recorded

        still_running, errors = kill_when(command, lambda: committed() > 0, env={**os.environ, "PYTHONPATH": str(REPO)})
        assert committed() > 0 and still_running, errors
    done = recorded_contributions(home) - recorded
    assert 0 < done < total
    # What was committed is whole: every recorded contribution has its entry, and nothing else was logged.
    assert len(entries(home)) == size + done == size + len(imported_objects(home))
    out = import_json(home, path)
    assert (out["written"], out["already_imported"]) == (total - done, done)
    names = [o["name"] for o in imported_objects(home)]
    assert len(names) == total and set(names) == {f"task {i}" for i in range(total)}
    run(home, "log", "verify")
