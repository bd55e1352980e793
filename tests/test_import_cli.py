"""`fedcommons import source add|sources|run` and `fedcommons alias ...`."""

import gc
import json

import pytest
import support_db
from support_cli import entries, invoke, run
from support_git import build_history, git

URL = "http://127.0.0.1:8080"


@pytest.fixture(scope="module")
def base_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("node") / "home"
    run(home, "init", "--url", URL)
    for name in ("bob", "carol"):
        run(home, "actor", "add", name)
    run(home, "actor", "add", "noam", "--display-name", "Noam Yorav-Raphael")
    run(home, "pool", "create", "tqdm", "--name", "tqdm", "--steward", "bob")
    gc.collect()  # close the commands' connections now, not while a test copies the home
    return home


@pytest.fixture(scope="module")
def small_repo(history, tmp_path_factory):
    """The first 60 commits of tqdm."""
    return build_history(tmp_path_factory.mktemp("git") / "small", history[:60])


def tables(home) -> dict[str, int]:
    return {t: support_db.query(home, f"SELECT count(*) FROM {t}")[0][0]
            for t in ("import_sources", "import_runs", "aliases", "import_waiting", "log_entries")}


@pytest.mark.parametrize(("args", "message"), [
    (["--git", "{tmp}"], "is not a git repository"),
    (["--git", "{tmp}/missing"], "is not a directory"),
    (["--git", "{repo}", "--effort-rule", "sessions/9"], "unknown effort rule 'sessions/9'"),
    (["--git", "{repo}", "--param", "speed=3"], "sessions/1 has no parameter 'speed'"),
    (["--git", "{repo}", "--param", "gap"], "K=V"),
    (["--git", "{repo}", "--kind", "juggling"], "unknown kind 'juggling'"),
    (["--git", "{repo}", "--evidence-url", "https://forge.example/commit/"], "{sha}"),
    ([], "give exactly one of --git"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(home, small_repo, tmp_path, args, message):
    before = tables(home)
    args = [a.format(tmp=tmp_path, repo=small_repo) for a in args]
    result = invoke(home, "import", "source", "add", "tq", "--pool", "tqdm", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert tables(home) == before


def test_add_list_run_suggest_alias_validate(home, small_repo):
    run(home, "import", "source", "add", "tq", "--pool", "tqdm", "--git", str(small_repo),
        "--effort-rule", "flat/1", "--param", "minutes=45", "--evidence-url", "https://forge.example/t/commit/{sha}")
    assert invoke(home, "import", "source", "add", "tq", "--pool", "tqdm", "--git", str(small_repo)).exit_code == 2
    (listed,) = json.loads(run(home, "import", "sources", "--format", "json").stdout)
    assert listed["settings"]["rule"] == "flat/1" and listed["settings"]["parameters"] == {"minutes": 45}
    assert listed["cursor"] is None
    dry = run(home, "import", "run", "--dry-run").stdout
    assert "would record 0 contributions" in dry and tables(home)["import_runs"] == 0

    out = run(home, "import", "run").stdout
    reachable = git(small_repo, "rev-list", "--count", "HEAD").strip()
    assert f"tq: {reachable} items" in out and "waiting for an alias" in out and "hours by rule" in out
    suggested = json.loads(run(home, "alias", "suggest", "tqdm", "--format", "json").stdout)
    assert {"key", "name", "waiting", "suggestions"} <= set(suggested[0])
    (noam,) = [s for s in suggested if s["name"] == "Noam Yorav-Raphael"]
    assert noam["key"].startswith("email:") and noam["waiting"] >= 10
    assert noam["suggestions"] == [{"actor": f"{URL}/users/noam", "why": "same name"}]
    assert tables(home)["aliases"] == 0  # suggestions are never applied

    assert invoke(home, "alias", "add", noam["key"], "noam", "--as", "carol").exit_code == 2  # not a steward
    added = run(home, "alias", "add", noam["key"], "noam", "--as", "bob").stdout
    assert f"recorded {noam['waiting']} waiting contributions" in added
    (alias,) = json.loads(run(home, "alias", "list", "--format", "json").stdout)
    assert (alias["key"], alias["actor"], alias["confirmedBy"]) == (noam["key"], f"{URL}/users/noam", f"{URL}/users/bob")

    assert invoke(home, "import", "run", "--validate").exit_code == 2
    assert invoke(home, "import", "run", "--validate", "--as", "carol").exit_code == 2
    again = json.loads(run(home, "import", "run", "--validate", "--as", "bob", "--format", "json").stdout)
    assert again[0]["items"] == 0 and again[0]["recorded"] == 0
    contributions = [e["activity"] for e in entries(home) if "sourceKey" in (e["activity"].get("object") or {})]
    assert len(contributions) == noam["waiting"]
    assert all(c["object"]["effortQuantity"]["hasNumericalValue"] == 45 for c in contributions)

    run(home, "alias", "remove", noam["key"], "--pool", "tqdm", "--as", "bob")
    assert json.loads(run(home, "alias", "list", "--format", "json").stdout) == []
    assert invoke(home, "alias", "remove", noam["key"], "--pool", "tqdm", "--as", "bob").exit_code == 2


def test_validate_accepts_what_the_run_recorded(home, small_repo):
    run(home, "alias", "add", "email:u674e794a91@example.invalid", "noam", "--as", "bob", "--pool", "tqdm")
    run(home, "import", "source", "add", "tq", "--pool", "tqdm", "--git", str(small_repo))
    (summary,) = json.loads(run(home, "import", "run", "--validate", "--as", "bob", "--format", "json").stdout)
    assert summary["recorded"] >= 10 and summary["validated"] == summary["recorded"]
    assert "sessions/1" in summary["minutesByRule"]
    accepts = [e for e in entries(home) if e["activity"]["type"] == "Accept"]
    assert len(accepts) == summary["recorded"]
    run(home, "log", "verify")
