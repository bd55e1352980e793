"""Citation files through the import pipeline: `import source add --cff / --crossref`,
items waiting for their authors' ORCID aliases, recorded as claims once confirmed."""

import json

from support_citations import fixture_file
from support_cli import invoke, run

URL = "http://127.0.0.1:8080"


def test_citation_sources_import_works_by_their_authors(tmp_path):
    cff_file = fixture_file("citation/citation-file-format.CITATION.cff")
    works = fixture_file("crossref/crossref-works.jsonl")
    home = tmp_path / "home"
    run(home, "init", "--url", URL)
    run(home, "actor", "add", "bob")
    run(home, "actor", "add", "carl")
    run(home, "pool", "create", "papers", "--name", "Papers", "--steward", "bob")
    run(home, "import", "source", "add", "format", "--pool", "papers", "--cff", str(cff_file))
    run(home, "import", "source", "add", "works", "--pool", "papers", "--crossref", str(works))
    listed = {s["name"]: s for s in json.loads(run(home, "import", "sources", "--format", "json").stdout)}
    assert listed["works"]["settings"]["rule"] == "claim/1" and listed["format"]["type"] == "cff"

    summaries = json.loads(run(home, "import", "run", "--format", "json").stdout)
    assert [(s["items"], s["waiting"], s["recorded"]) for s in summaries] == [(1, 5, 0), (15, 46, 0)]
    waiting = {w["key"]: w["waiting"] for w in json.loads(run(home, "alias", "suggest", "papers",
                                                                  "--format", "json").stdout)}
    assert waiting["orcid:0000-0002-1642-628X"] == 12  # one author, twelve of the works
    run(home, "alias", "add", "orcid:0000-0002-1642-628X", "carl", "--pool", "papers", "--as", "bob")
    mine = [e for e in (json.loads(line) for line in run(home, "log", "show", "--format", "json").stdout.splitlines())
            if e["activity"]["type"] == "Create" and e["activity"]["object"].get("provider") == f"{URL}/users/carl"]
    assert len(mine) == 12
    # Again: nothing twice.
    again = json.loads(run(home, "import", "run", "works", "--format", "json").stdout)
    assert again[0]["recorded"] == 0


def test_a_bad_citation_file_is_refused_when_the_source_is_added(tmp_path):
    home = tmp_path / "home"
    run(home, "init", "--url", URL)
    run(home, "actor", "add", "bob")
    run(home, "pool", "create", "papers", "--name", "Papers", "--steward", "bob")
    bad = tmp_path / "works.jsonl"
    bad.write_text("{")
    result = invoke(home, "import", "source", "add", "works", "--pool", "papers", "--crossref", str(bad))
    assert result.exit_code == 2 and "not JSON" in result.stderr
    assert json.loads(run(home, "import", "sources", "--format", "json").stdout) == []
