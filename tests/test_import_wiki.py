"""`fedcommons import source add --mediawiki-dump` and `import run`: a real de.wiktionary
history into a pool, through aliases, sessions/1, and nothing anonymous or private in the log."""

import bz2
import json

import pytest

from fedcommons.effort_rules import rule as effort_rule
from fedcommons.effort_rules import session_minutes
from fedcommons.importers.items import REVERT, REVERTED
from fedcommons.importers.mediawiki_dump import MediaWikiDump
from support_cli import entries, invoke, run
from support_mediawiki import ANONTALK, HALLO, fixture

URL = "http://127.0.0.1:8080"


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    run(home, "init", "--url", URL)
    for name in ("alice", "bob"):
        run(home, "actor", "add", name)
    run(home, "pool", "create", "wiktionary", "--name", "Wiktionary (de)", "--steward", "bob")
    return home


def expected(reads):
    """What a run must count, from the reader's own items."""
    kept = [r.item for r in reads if not r.item.flags & {REVERT, REVERTED}]
    people = [item.people[0] for item in kept]
    return {"items": len(reads), "skipped": len(reads) - len(kept), "bots": sum(p.bot for p in people),
            "anonymous": sum(p.anonymous for p in people),
            "waiting": sum(not p.bot and not p.anonymous for p in people)}


def summary(home, *names):
    (result,) = json.loads(run(home, "import", "run", *names, "--format", "json").stdout)
    return result


def test_a_dump_into_a_pool(home):
    reads = list(MediaWikiDump(fixture(HALLO)).read(None))
    added = run(home, "import", "source", "add", "hallo", "--pool", "wiktionary", "--mediawiki-dump", str(HALLO))
    assert "sessions/1" in added.stdout and "mediawiki-dump" in added.stdout
    first = summary(home, "hallo")
    want = expected(reads)
    assert {k: first[k] for k in want} == want and first["recorded"] == 0
    assert want["skipped"] == 15 + 20 - 3  # three reverts were reverted in turn
    # A steward maps one wiki account; its revisions are recorded, under sessions/1.
    (melancholie,) = {r.item.people[0].identity for r in reads if r.item.people[0].name == "Melancholie"}
    assert melancholie.startswith("mediawiki:dewiktionary:")
    run(home, "alias", "add", melancholie, "alice", "--as", "bob")
    mine = sorted((r.item for r in reads if r.item.people[0].identity == melancholie
                   and not r.item.flags & {REVERT, REVERTED}), key=lambda item: item.time)
    recorded = [e["activity"]["object"] for e in entries(home) if "sourceKey" in e["activity"].get("object", {})]
    assert [c["sourceKey"] for c in recorded] == [item.key for item in mine]
    rule = effort_rule("sessions/1")
    minutes = [session_minutes(rule, item.time, previous.time if previous else None)
               for previous, item in zip([None, *mine], mine)]
    assert [c["effortQuantity"]["hasNumericalValue"] for c in recorded] == minutes
    one = recorded[0]
    assert one["effortRule"]["method"] == "sessions/1" and one["provider"] == f"{URL}/users/alice"
    assert one["evidence"] == [f"https://de.wiktionary.org/wiki/Special:Diff/{mine[0].key.rsplit(':', 1)[1]}"]
    assert one["kind"] == "docs"  # the articles' namespace
    # Nothing anonymous or private in the log; the cursor is at the end, so nothing new.
    raw = json.dumps(entries(home))
    assert "192.0.2." not in raw and ":ip:" not in raw
    again = summary(home, "hallo")
    assert (again["items"], again["recorded"]) == (0, 0)
    run(home, "log", "verify")


def test_the_text_summary_names_revisions_ips_and_reverts(home, tmp_path):
    packed = tmp_path / "hallo.xml.bz2"
    packed.write_bytes(bz2.compress(fixture(HALLO).read_bytes()))
    run(home, "import", "source", "add", "hallo", "--pool", "wiktionary", "--mediawiki-dump", str(packed))
    text = run(home, "import", "run", "hallo", "--dry-run").stdout
    assert text.startswith("hallo: 135 revisions, would record 0 contributions")
    want = expected(list(MediaWikiDump(HALLO).read(None)))
    assert f"{want['anonymous']} by IP addresses or temporary accounts skipped" in text
    assert f"{want['bots']} bots skipped" in text and f"{want['skipped']} reverts skipped" in text


def test_a_broken_dump_records_what_it_read_and_exits_non_zero(home, tmp_path):
    data = fixture(HALLO).read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(data[: len(data) // 2])
    run(home, "import", "source", "add", "cut", "--pool", "wiktionary", "--mediawiki-dump", str(cut))
    result = invoke(home, "import", "run", "cut")
    assert result.exit_code == 2 and "breaks at line" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    (source,) = json.loads(run(home, "import", "sources", "--format", "json").stdout)
    assert source["cursor"] is None  # the lost half may hold older revisions: start again
    waiting = json.loads(run(home, "alias", "suggest", "wiktionary", "--format", "json").stdout)
    assert sum(w["waiting"] for w in waiting) > 0  # what was read before the break is kept


@pytest.mark.parametrize("args, message", [
    (["--mediawiki-dump", "/nonexistent/dump.xml"], "cannot read the MediaWiki dump"),
    (["--mediawiki-dump", "NOTXML"], "not a MediaWiki XML export"),
    (["--mediawiki-api", "ftp://wiki.example/api.php"], "http(s) URL"),
    (["--mediawiki-dump", "DUMP", "--category", "Category:X"], "narrow a live wiki"),
    (["--mediawiki-dump", "DUMP", "--namespace", "-1"], "holds no revisions"),
    (["--mediawiki-dump", "DUMP", "--namespace", "main"], "a namespace is a number"),
    (["--mediawiki-dump", "DUMP", "--namespace-kind", "10=nonsense"], "nonsense"),
    (["--mediawiki-dump", "DUMP", "--namespace-kind", "10"], "N=KIND"),
    (["--mediawiki-dump", "DUMP", "--kind", "docs", "--namespace-kind", "10=code"], "not both"),
    (["--git", "DUMP", "--namespace", "4"], "not options of a git source"),
    (["--mediawiki-dump", "DUMP", "--evidence-url", "https://x.example/{sha}"], "links its own diff"),
])
def test_bad_wiki_sources_change_nothing(home, tmp_path, args, message):
    (tmp_path / "not.xml").write_text("hello")
    args = [str(tmp_path / "not.xml") if a == "NOTXML" else str(fixture(HALLO)) if a == "DUMP" else a for a in args]
    result = invoke(home, "import", "source", "add", "w", "--pool", "wiktionary", *args)
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert json.loads(run(home, "import", "sources", "--format", "json").stdout) == []


def test_a_dump_is_read_whole_unless_namespaces_are_given(home):
    for name, args, items in (("all", [], 18), ("articles", ["--namespace", "0"], 0),
                              ("interface", ["--namespace", "8", "--namespace", "0"], 18)):
        run(home, "import", "source", "add", name, "--pool", "wiktionary", "--mediawiki-dump", str(fixture(ANONTALK)),
            *args)
        assert summary(home, name)["items"] == items
    # Kinds by namespace: the interface messages' (8) made "review" for another pool's source.
    run(home, "pool", "create", "interface", "--name", "Interface", "--steward", "bob")
    run(home, "import", "source", "add", "kinds", "--pool", "interface", "--mediawiki-dump", str(ANONTALK),
        "--namespace-kind", "8=review")
    summary(home, "kinds")
    elian = next(r.item.people[0].identity for r in MediaWikiDump(ANONTALK).read(None)
                 if not r.item.flags and not r.item.people[0].bot)
    for pool in ("wiktionary", "interface"):
        run(home, "alias", "add", elian, "alice", "--as", "bob", "--pool", pool)
    kinds = {(e["activity"]["object"]["receiver"].rsplit("/", 1)[1], e["activity"]["object"]["kind"])
             for e in entries(home) if "sourceKey" in e["activity"].get("object", {})}
    assert kinds == {("wiktionary", "maintenance"), ("interface", "review")}
