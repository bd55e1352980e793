"""The CITATION.cff source: the real files of the CFF project, the schema, bad files."""

from datetime import datetime, timezone

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedcommons.errors import BadInput
from fedcommons.importers import cff
from fedcommons.importers.cff import CffSource, read_cff
import support_citations
from support_citations import written, REPO, fixture_file

WHEN = datetime(2026, 1, 2, tzinfo=timezone.utc)

CFF_AUTHORS = [  # the CITATION.cff of the Citation File Format project (CFF 1.1.0)
    ("orcid:0000-0003-4925-7248", "Stephan Druskat"),
    ("orcid:0000-0002-7064-4069", "Jurriaan H. Spaaks"),
    ("orcid:0000-0002-8876-7606", "Neil Chue Hong"),
    ("orcid:0000-0002-9538-7919", "Robert Haines"),
    ("orcid:0000-0002-2682-6922", "James Baker"),
]
MINIMAL = """\
cff-version: 1.2.0
message: If you use this software, please cite it using these metadata.
title: My Research Software
authors:
  - family-names: Druskat
    given-names: Stephan
    orcid: "https://orcid.org/0000-0003-4925-7248"
"""


def cff_file(tmp_path, content: str | bytes, name="CITATION.cff"):
    return written(tmp_path, name, content)


def refused(path) -> str:
    return support_citations.refused(CffSource, path)


def test_the_cff_projects_own_file_is_its_work_credited_to_its_five_authors_by_orcid():
    [read] = list(CffSource(fixture_file("citation/citation-file-format.CITATION.cff")).read(None))
    item = read.item
    assert item.key == "doi:10.5281/zenodo.4751536"
    assert item.evidence == "https://doi.org/10.5281/zenodo.4751536"
    assert item.time == datetime(2021, 5, 12, tzinfo=timezone.utc)
    assert item.summary == "Citation File Format"
    assert [(p.identity, p.name) for p in item.people] == CFF_AUTHORS
    assert {p.role for p in item.people} == {"author"} and all(p.share is None for p in item.people)
    assert item.kind is None and not item.metrics and not item.flags


def test_an_entity_author_and_no_doi_key_the_work_by_its_repository_and_references_yield_nothing():
    [read] = list(CffSource(fixture_file("citation/ls1-mardyn.CITATION.cff")).read(None))
    item = read.item
    # The file's only DOI is its reference's (10.1021/ct500169q): another work, by others.
    assert item.key == "url:https://projects.hlrs.de/projects/ls1"
    assert item.evidence == "https://projects.hlrs.de/projects/ls1"
    assert item.time == datetime(2018, 9, 5, tzinfo=timezone.utc)  # written 2018-09-05T00:00:00.000Z
    name = "Boltzmann-Zuse Society for Computational Molecular Engineering"
    assert [(p.identity, p.name) for p in item.people] == [(f"name:{name}", name)]


def test_the_shipped_schema_is_the_published_one():
    shipped = REPO / "fedcommons" / "importers" / "schemas" / cff.SCHEMA
    assert shipped.read_bytes() == fixture_file("citation/cff-1.2.0.schema.json").read_bytes()


def test_an_older_version_is_read_only_when_valid_under_1_2_0(tmp_path):
    older = MINIMAL.replace("1.2.0", "1.1.0")
    [read] = list(CffSource(cff_file(tmp_path, older)).read(None))
    assert read.item.key == "title:My Research Software"
    # An empty abstract was allowed in 1.1.0; 1.2.0 refuses it, and so does the reader.
    message = refused(cff_file(tmp_path, older + 'abstract: ""\n', "empty.cff"))
    assert "abstract" in message and "CFF 1.2.0 schema" in message


@pytest.mark.parametrize("version", ["2.0.0", "1.3.0", "1.2.1"])
def test_a_version_it_does_not_know_is_refused(tmp_path, version):
    message = refused(cff_file(tmp_path, MINIMAL.replace("1.2.0", version)))
    assert f"cff-version '{version}' is not one this reads" in message


@pytest.mark.parametrize("text, says", [
    ("authors: [unclosed\ntitle: x\n", "line 2: not YAML"),
    ("- just\n- a list\n", "not a mapping"),
    (MINIMAL.replace("title: My", "title: !!python/object/apply:os.system [echo]\nx: My"),
     "line 3: not YAML: could not determine a constructor for the tag"),
    (MINIMAL.replace("title: My Research Software\n", ""), "'title' is a required property"),
    (MINIMAL.replace("https://orcid.org/0000-0003-4925-7248", "0000-0003-4925-7248"), "authors[0].orcid:"),
    (MINIMAL.replace("4925-7248", "4925-7249"), "authors[0].orcid: 0000-0003-4925-7249 is not an ORCID iD: its check digit"),
    (MINIMAL + "date-released: 2021-02-30\n", "line 8: not YAML: '2021-02-30' is not a date"),
    (MINIMAL + "license: MIT2\n", "license: 'MIT2' is not one of the"),
    (MINIMAL + "colour: blue\n", "Additional properties are not allowed ('colour' was unexpected)"),
    (MINIMAL + "doi: https://doi.org/10.5281/zenodo.1\n", "doi:"),
    ("a: &a [1, 2]\n" + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                                for p, c in zip("abcdefg", "bcdefgh")), "more than 100000 values"),
    ("a: &a [*a]\n", "more than 100000 values"),
    ("[" * 800 + "]" * 800, "nested too deeply"),
], ids=["not-yaml", "list", "python-tag", "no-title", "bare-orcid", "check-digit", "no-such-day", "licence", "unknown-key",
        "doi-url", "alias-bomb", "alias-loop", "deep"])
def test_a_bad_file_is_refused_in_one_line_naming_the_file_and_the_place(tmp_path, text, says):
    assert says in refused(cff_file(tmp_path, text))


def test_text_that_is_not_utf8_or_too_big_or_missing_is_refused(tmp_path):
    assert "line 3: not UTF-8" in refused(cff_file(tmp_path, MINIMAL.encode() .replace(b"My", b"\xff")))
    assert "at most" in refused(cff_file(tmp_path, b"#" * (cff.MAX_BYTES + 1), "big.cff"))
    assert "cannot read it" in refused(tmp_path / "absent.cff")


def test_identities_by_orcid_then_email_then_name_each_once(tmp_path):
    text = MINIMAL + """\
  - given-names: Ada
    family-names: Lovelace
    email: Ada@Example.org
  - given-names: Charles
    name-particle: de
    family-names: Gaulle
    name-suffix: Jr.
  - alias: gardener42
  - family-names: Druskat
    given-names: Stephan
    orcid: "https://orcid.org/0000-0003-4925-7248"
    affiliation: listed twice
  - name: The Garden Team
    orcid: "https://orcid.org/0000-0002-1825-0097"
"""
    [read] = list(CffSource(cff_file(tmp_path, text)).read(None))
    assert [(p.identity, p.name) for p in read.item.people] == [
        ("orcid:0000-0003-4925-7248", "Stephan Druskat"),
        ("email:ada@example.org", "Ada Lovelace"),
        ("name:Charles de Gaulle, Jr.", "Charles de Gaulle, Jr."),
        ("name:gardener42", "gardener42"),
        ("orcid:0000-0002-1825-0097", "The Garden Team"),
    ]


def test_a_doi_in_identifiers_keys_the_work_and_without_a_date_the_file_time_is_used(tmp_path):
    text = MINIMAL + "identifiers:\n  - type: url\n    value: https://garden.example\n" \
                     "  - type: doi\n    value: 10.5281/ZENODO.123456\n"
    path = cff_file(tmp_path, text)
    [read] = list(CffSource(path).read(None))
    assert read.item.key == "doi:10.5281/zenodo.123456"
    assert read.item.time == datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)


def test_a_cursor_skips_the_work_read_and_a_changed_work_is_read_again(tmp_path):
    path = cff_file(tmp_path, MINIMAL + "doi: 10.5281/zenodo.1\n")
    [first] = list(CffSource(path).read(None))
    assert list(CffSource(path).read(first.cursor)) == []
    path.write_text(MINIMAL + "doi: 10.5281/zenodo.2\n")
    [second] = list(CffSource(path).read(first.cursor))
    assert second.item.key == "doi:10.5281/zenodo.2" and second.cursor != first.cursor
    assert [r.item.key for r in CffSource(path).read("not a cursor of ours")] == ["doi:10.5281/zenodo.2"]


def _only_bad_input(data: bytes) -> None:
    try:
        item = read_cff(data, "fuzz.cff", WHEN)
    except BadInput as exc:
        assert str(exc).startswith("fuzz.cff: ") and "\n" not in str(exc)
    else:
        assert item.key and item.time.tzinfo and item.people


@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
@settings(max_examples=300, deadline=None)
def test_no_bytes_crash_the_reader_with_anything_but_bad_input(data):
    _only_bad_input(data)


_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) \
    | st.sampled_from(["1.2.0", "https://orcid.org/0000-0003-4925-7248", "10.5281/zenodo.1", "2021-05-12"])
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)
_KEYS = st.sampled_from(["cff-version", "title", "authors", "doi", "identifiers", "date-released",
                         "repository-code", "url", "message", "orcid", "name", "email", "family-names"])


@given(st.dictionaries(_KEYS, _VALUES, max_size=6), st.dictionaries(_KEYS, _VALUES, max_size=3))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_document_crashes_the_reader_with_anything_but_bad_input(changes, author):
    document = yaml.safe_load(MINIMAL)
    document.update(changes)
    if isinstance(document.get("authors"), list):
        document["authors"] = document["authors"] + [author]
    _only_bad_input(yaml.safe_dump(document, allow_unicode=True).encode())
