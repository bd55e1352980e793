"""The Crossref source: real work records, the shapes Crossref gives them in, CRediT, bad files."""

import json
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedcommons import credit
from fedcommons.errors import BadInput
from fedcommons.importers import citations
from fedcommons.importers.crossref import CrossrefSource, read_crossref
from fedcommons.services.contributions.contributions import MAX_SUMMARY, check_fields
import support_citations
from support_citations import written, fixture_file

WORK = {"DOI": "10.5555/garden.1", "title": ["Watering <i>the</i> garden &amp; more"],
        "published": {"date-parts": [[2024, 3]]},
        "author": [{"given": "Ada", "family": "Lovelace", "ORCID": "http://orcid.org/0000-0002-1825-0097",
                    "authenticated-orcid": True, "sequence": "first"},
                   {"given": "Charles", "family": "Babbage", "sequence": "additional"}]}


def records():
    return [json.loads(line) for line in fixture_file("crossref/crossref-works.jsonl").read_text().splitlines()]


def crossref_file(tmp_path, content: str | bytes, name="works.json"):
    return written(tmp_path, name, content)


def refused(path) -> str:
    return support_citations.refused(CrossrefSource, path)


def test_fifteen_works_by_46_authors_32_of_them_with_an_orcid():
    reads = list(CrossrefSource(fixture_file("crossref/crossref-works.jsonl")).read(None))
    items = [r.item for r in reads]
    people = [p for item in items for p in item.people]
    assert (len(items), len(people)) == (15, 46)
    assert sum(p.identity.startswith("orcid:") for p in people) == 32
    assert [i.key for i in items] == [f"doi:{r['DOI'].lower()}" for r in records()]
    assert all(i.evidence == "https://doi.org/" + i.key.removeprefix("doi:") for i in items)
    assert all(i.kind is None and i.time.tzinfo is timezone.utc for i in items)
    # ORCIDs come as URLs; identities hold the bare iD.
    first = items[0].people[0]
    assert (first.identity, first.name, first.role) == ("orcid:0000-0002-1642-628X", "Carl Boettiger", "author")
    assert items[0].time == datetime(2022, 5, 30, tzinfo=timezone.utc)
    assert "<scp>" in records()[11]["title"][0]
    assert items[11].summary.startswith("A Shiny r app to solve the problem")
    assert len({r.cursor for r in reads}) == 15


def test_an_api_response_a_list_of_works_and_an_array_read_as_json_lines_do(tmp_path):
    works = records()
    expected = [r.item for r in CrossrefSource(fixture_file("crossref/crossref-works.jsonl")).read(None)]
    shapes = {
        "list.json": {"status": "ok", "message-type": "work-list", "message": {"items": works}},
        "array.json": works,
        "pretty.json": {"status": "ok", "message-type": "work-list", "message": {"items": works}},
    }
    for name, document in shapes.items():
        text = json.dumps(document, indent=2 if name == "pretty.json" else None)
        assert [r.item for r in CrossrefSource(crossref_file(tmp_path, text, name)).read(None)] == expected
    one_per_line = "\n".join(json.dumps({"status": "ok", "message-type": "work", "message": w}) for w in works)
    assert [r.item for r in CrossrefSource(crossref_file(tmp_path, one_per_line, "lines.jsonl")).read(None)] == expected


def test_the_work_of_a_record_its_date_title_and_people():
    [item] = read_crossref(json.dumps(WORK).encode(), "w")
    assert item.key == "doi:10.5555/garden.1" and item.evidence == "https://doi.org/10.5555/garden.1"
    assert item.time == datetime(2024, 3, 1, tzinfo=timezone.utc)
    assert item.summary == "Watering the garden & more"
    assert [(p.identity, p.name) for p in item.people] == [
        ("orcid:0000-0002-1825-0097", "Ada Lovelace"), ("name:Charles Babbage", "Charles Babbage")]


def test_credit_roles_make_one_item_per_role_with_that_kind():
    work = json.loads(json.dumps(WORK))
    work["author"][0]["role"] = [{"role": "author", "vocabulary": "crossref"},
                                 {"role": "Writing – original draft", "vocabulary": "credit"},
                                 {"role": "https://credit.niso.org/contributor-roles/software/"}]
    work["author"][1]["role"] = [{"role": "software", "vocabulary": "CRediT"},
                                 {"role": "conceptualisation", "vocabulary": "credit"}]
    work["author"].append({"given": "Mary", "family": "Somerville"})
    items = read_crossref(json.dumps(work).encode(), "w")
    assert [(i.key, i.kind, [p.name for p in i.people]) for i in items] == [
        ("doi:10.5555/garden.1", None, ["Mary Somerville"]),
        ("doi:10.5555/garden.1#conceptualization", "conceptualization", ["Charles Babbage"]),
        ("doi:10.5555/garden.1#software", "software", ["Ada Lovelace", "Charles Babbage"]),
        ("doi:10.5555/garden.1#writing_original_draft", "writing_original_draft", ["Ada Lovelace"]),
    ]
    assert all(p.role == i.kind for i in items[1:] for p in i.people)
    assert all(i.kind in credit.KINDS for i in items[1:])


def test_a_cursor_resumes_after_the_works_read_and_a_changed_file_starts_again(tmp_path):
    lines = [json.dumps(w) for w in records()]
    path = crossref_file(tmp_path, "\n".join(lines[:5]) + "\n", "works.jsonl")
    first = list(CrossrefSource(path).read(None))
    path.write_text("\n".join(lines) + "\n")  # ten more works appended
    rest = list(CrossrefSource(path).read(first[-1].cursor))
    assert [r.item.key for r in first + rest] == [r.item.key for r in CrossrefSource(path).read(None)]
    assert len(rest) == 10
    path.write_text("\n".join(lines[1:]) + "\n")  # the first work removed: no longer the same start
    assert len(list(CrossrefSource(path).read(first[-1].cursor))) == 14


@pytest.mark.parametrize("content, says", [
    (json.dumps(WORK) + "\n{not json\n", "line 2: not JSON"),
    ("<html>rate limited</html>", "line 1: not JSON"),
    ("", "no Crossref work record in it"),
    ("[1, 2]", "[0] is a number, not a Crossref work record"),
    (json.dumps(WORK) + "\n" + json.dumps({"title": ["no doi"]}), "line 2: no DOI"),
    (json.dumps({**WORK, "DOI": "garden"}), "DOI: 'garden' is not a DOI"),
    (json.dumps({"status": "error", "message": [{"type": "validation-failure"}]}), "status 'error'"),
    (json.dumps({"status": "ok", "message": {"items": [WORK, {"DOI": 5}]}}), "message.items[1]: DOI: 5 is not a DOI"),
    (json.dumps({**WORK, "author": [{"given": "A", "ORCID": "https://orcid.org/0000-0002-1825-0098"}]}),
     "author[0].ORCID: 0000-0002-1825-0098 is not an ORCID iD: its check digit is wrong"),
    (json.dumps({**WORK, "author": [{"sequence": "first"}]}), "author[0]: no given, family or name"),
    (json.dumps({**WORK, "author": [{"given": "A", "role": [{"role": "gardening", "vocabulary": "credit"}]}]}),
     "author[0].role[0]: 'gardening' is not one of the 14 CRediT roles"),
    (json.dumps({**WORK, "published": {"date-parts": [[None]]}}), "no date (published, issued or created)"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"DOI": ' + "1" * 5000 + "}", "not JSON this reads"),
], ids=["second-line", "html", "empty", "array-of-numbers", "no-doi", "bad-doi", "status", "items",
        "check-digit", "nameless", "unknown-credit-role", "no-date", "deep", "huge-number"])
def test_a_bad_file_is_refused_in_one_line_naming_the_file_and_the_place(tmp_path, content, says):
    assert says in refused(crossref_file(tmp_path, content))


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    assert "line 1: not UTF-8" in refused(crossref_file(tmp_path, b'{"DOI": "\xff"}'))


def _only_bad_input(data: bytes) -> None:
    try:
        items = read_crossref(data, "fuzz.json")
    except BadInput as exc:
        assert str(exc).startswith("fuzz.json: ") and "\n" not in str(exc)
    else:
        assert all(i.key.startswith("doi:") and i.time.tzinfo for i in items)


@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
@settings(max_examples=300, deadline=None)
def test_no_bytes_crash_the_reader_with_anything_but_bad_input(data):
    _only_bad_input(data)


_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20) \
    | st.sampled_from(["10.5555/x", "https://orcid.org/0000-0002-1825-0097", "credit", "software"])
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.sampled_from(["date-parts", "role", "vocabulary", "given", "items"])
                                         | st.text(max_size=8), inner, max_size=4), max_leaves=12)
_FIELDS = st.sampled_from(["DOI", "title", "author", "published", "issued", "created", "status", "message"])


@given(st.dictionaries(_FIELDS, _VALUES, max_size=5), st.dictionaries(st.sampled_from(
    ["given", "family", "name", "ORCID", "role", "sequence"]), _VALUES, max_size=4))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_record_crashes_the_reader_with_anything_but_bad_input(changes, author):
    record = {**WORK, "author": WORK["author"] + [author], **changes}
    _only_bad_input(json.dumps(record).encode())


def test_what_the_sources_yield_is_what_a_contribution_accepts():
    """Summaries within the contribution's limit, evidence by its rule: the pipeline can
    record every item as it is."""
    assert citations.MAX_SUMMARY == MAX_SUMMARY
    work = {**WORK, "DOI": "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0", "title": ["x" * 900]}
    [item] = read_crossref(json.dumps(work).encode(), "w")
    check_fields(("care",), kind="care", summary=item.summary, evidence=[item.evidence])
