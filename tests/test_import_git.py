"""The git source, on tqdm's real history rebuilt with `git fast-import` (the counts are
those of ../shared/fixtures/importers/SOURCES.md)."""

import json
import os
import stat
import sys
from collections import Counter
from pathlib import Path

import pytest
from support_cli import kill_when, run
from support_git import build_history, git

from fedcommons.errors import BadInput
from fedcommons.importers.git import GitSource, check_repository
from fedcommons.importers.items import MERGE
from fedcommons.services.importing.pipeline import DEFAULT_BOTS, is_bot
import support_db

REPO = Path(__file__).resolve().parent.parent
URL = "http://127.0.0.1:8080"
CASPER = "email:u2150f6e577@example.invalid"  # tqdm's most frequent author, after .mailmap


@pytest.fixture(scope="session")
def tqdm_reads(tqdm_repo):
    return list(GitSource(str(tqdm_repo)).read(None))


@pytest.fixture(scope="module")
def base_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("node") / "home"
    run(home, "init", "--url", URL)
    for name in ("bob", "casper"):
        run(home, "actor", "add", name)
    run(home, "pool", "create", "tqdm", "--name", "tqdm", "--steward", "bob")
    return home


def test_the_recorded_counts(tqdm_reads, tqdm_repo, history):
    reads = tqdm_reads
    assert len(reads) == 2090 == len(history)
    assert sum(MERGE in r.item.flags for r in reads) == 301
    authors = {r.item.people[0].identity for r in reads}
    assert len(authors) == 136                                   # after .mailmap
    raw = list(GitSource(str(tqdm_repo), mailmap=False).read(None))
    assert len({(r.item.people[0].name, r.item.people[0].identity) for r in raw}) == 146
    trailers = git(tqdm_repo, "log", "--format=%(trailers:key=Co-authored-by,valueonly,separator=;)").split("\n")
    assert sum(bool(t.strip()) for t in trailers) == 9                 # Co-authored-by trailers
    # two of those name the author himself under another address, folded by .mailmap
    assert sum(len(r.item.people) > 1 for r in reads) == 7
    assert sum(len(r.item.people) for r in reads if len(r.item.people) > 1) == 5 * 2 + 2 * 4  # two name three
    people = {p.identity: p for r in reads for p in r.item.people}
    assert [p.name for p in people.values() if is_bot(p, DEFAULT_BOTS)] == ["tqdm[bot]"]
    # the same commits, dates and messages as recorded
    assert [r.item.key for r in reads][:1] == [f"git:{r}" for r in [reads[0].item.key[4:]]]
    assert Counter(r.item.summary for r in reads) == Counter(c["subject"] for c in history)
    assert {r.item.time.isoformat() for r in reads} == {c["authored"] for c in history}
    non_merges = [c for c in history if len(c["parents"]) < 2]
    assert sum(r.item.metrics["lines_added"] for r in reads) == sum(c["numstat"]["added"] for c in non_merges)


def test_a_bare_repository_reads_the_same_with_its_mailmap(tqdm_repo, tqdm_reads, tmp_path):
    bare = tmp_path / "tqdm.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(tqdm_repo), str(bare))
    reads = list(GitSource(str(bare)).read(None))
    assert [r.item for r in reads] == [r.item for r in tqdm_reads]
    assert len({r.item.people[0].identity for r in reads}) == 136


def test_evidence_from_a_template(tqdm_repo):
    source = GitSource(str(tqdm_repo), evidence="https://forge.example/tqdm/commit/{sha}")
    first = next(iter(source.read(None))).item
    assert first.evidence == f"https://forge.example/tqdm/commit/{first.key[4:]}"


def test_not_a_repository_is_bad_input(tmp_path):
    for location in (tmp_path, tmp_path / "missing"):
        with pytest.raises(BadInput, match="not a"):
            check_repository(str(location))


def test_the_repository_cannot_make_git_run_a_program(history, tmp_path, monkeypatch):
    repo = build_history(tmp_path / "hostile", history[:40])
    marker = tmp_path / "ran"
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\ncat\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    for key, value in (("diff.external", script), ("diff.evil.textconv", script), ("core.fsmonitor", script),
                       ("core.pager", script), ("core.hooksPath", tmp_path)):
        git(repo, "config", key, str(value))
    (repo / ".git" / "info" / "attributes").write_text("* diff=evil\n")
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(script.read_text())
    hook.chmod(0o755)
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))  # the caller's GIT_* are not inherited
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", str(script))
    reads = list(GitSource(str(repo)).read(None))
    assert len(reads) == 40 and not marker.exists()
    assert sum(r.item.metrics["lines_added"] for r in reads) > 0


def test_incremental_from_the_last_tip_and_a_rewritten_history(tqdm_repo, tqdm_reads, tmp_path):
    repo = tmp_path / "growing"
    git(tmp_path, "clone", "--quiet", str(tqdm_repo), str(repo))
    git(repo, "reset", "--quiet", "--hard", tqdm_reads[999].item.key[4:])
    source = GitSource(str(repo))
    first = list(source.read(None))
    assert 900 < len(first) <= 1000
    git(repo, "fetch", "--quiet", str(tqdm_repo), "main")
    git(repo, "reset", "--quiet", "--hard", "FETCH_HEAD")
    later = list(source.read(first[-1].cursor))
    assert len(first) + len(later) == 2090
    assert {r.item.key for r in first}.isdisjoint(r.item.key for r in later)
    # resuming mid-way gives exactly what is left
    assert [r.item.key for r in source.read(first[499].cursor)] == [r.item.key for r in first[500:] + later]
    # a rewritten tip: only the new commit is read
    git(repo, "-c", "user.name=x", "-c", "user.email=x@example.org", "commit", "--quiet", "--amend", "-m", "rewritten")
    (new,) = list(source.read(later[-1].cursor))
    assert new.item.summary == "rewritten"
    # a cursor whose commits are gone: everything is read again (the pipeline knows what it has)
    assert len(list(source.read(f"{'0' * 40}..{'1' * 40}+5"))) == 2090


def recorded(home) -> set[tuple[str, int]]:
    rows = support_db.query(home, "SELECT id, minutes FROM contributions WHERE kind = 'code'")
    assert len(rows) == len({r[0] for r in rows})
    return set(rows)


def waiting(home) -> set[tuple]:
    return set(support_db.query(home, "SELECT key, item, data FROM import_waiting"))


def test_a_killed_run_resumes_with_no_gap_and_no_duplicate(tqdm_repo, home, tmp_path):
    reference = tmp_path / "reference"
    support_db.copy_home(home, reference)
    for h in (home, reference):
        run(h, "alias", "add", CASPER, "casper", "--as", "bob", "--pool", "tqdm")  # ahead of the import
        run(h, "import", "source", "add", "tq", "--pool", "tqdm", "--git", str(tqdm_repo),
            "--evidence-url", "https://forge.example/tqdm/commit/{sha}")
    plan = json.loads(run(reference, "import", "run", "--dry-run", "--format", "json").stdout)[0]
    done = json.loads(run(reference, "import", "run", "--format", "json").stdout)[0]
    assert {k: v for k, v in done.items() if k != "run"} == {k: v for k, v in plan.items() if k != "run"}
    assert done["recorded"] > 1000 and done["waiting"] > 500

    command = [sys.executable, "-m", "fedcommons", "--home", str(home), "import", "run", "--batch-size", "20"]
    with support_db.connection(home) as watcher:
        def read() -> int:
            return watcher.conn.execute("SELECT coalesce(sum(items), 0) FROM import_runs").fetchone()[0]

        still_running, errors = kill_when(command, lambda: read() >= 200, env={**os.environ, "PYTHONPATH": str(REPO)},
                                          timeout=60)
        assert still_running and 200 <= read() < 2090, errors
    again = json.loads(run(home, "import", "run", "--format", "json").stdout)[0]
    assert again["items"] < 2090 and again["already"] == 0
    # the same contributions with the same efforts (the sessions clock went on where it
    # stopped), the same parts waiting, each once
    assert recorded(home) == recorded(reference)
    assert waiting(home) - waiting(reference) == set() and len(waiting(home)) == len(waiting(reference))
    assert json.loads(run(home, "import", "run", "--format", "json").stdout)[0]["items"] == 0
    run(home, "log", "verify")
