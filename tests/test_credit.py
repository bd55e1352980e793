"""The 14 CRediT roles as kinds: their names, term URIs, lookups and where kinds live."""

import re

import pytest

from fedcommons import credit
from fedcommons.claims import read_claim
from fedcommons.config import DEFAULT_KINDS
from fedcommons.errors import BadInput
from fedcommons.services.contributions.contributions import check_fields
from support_citations import REPO

# ANSI/NISO Z39.104-2022, as the standard writes them.
LABELS = [
    "Conceptualization", "Data curation", "Formal analysis", "Funding acquisition", "Investigation",
    "Methodology", "Project administration", "Resources", "Software", "Supervision", "Validation",
    "Visualization", "Writing – original draft", "Writing – review & editing",
]


def test_the_fourteen_roles_with_their_term_uris():
    assert [r.label for r in credit.ROLES] == LABELS
    assert credit.role_for("Data curation").uri == "https://credit.niso.org/contributor-roles/data-curation/"
    assert credit.role_for("Writing – review & editing").uri == \
        "https://credit.niso.org/contributor-roles/writing-review-editing/"
    for role in credit.ROLES:
        slug = re.sub(r"[^a-z]+", "-", role.label.lower().replace("&", "")).strip("-")
        assert role.uri == f"https://credit.niso.org/contributor-roles/{slug}/"


@pytest.mark.parametrize("written, kind", [
    ("Conceptualisation", "conceptualization"),
    ("writing: review and editing", "writing_review_editing"),
    ("Writing - original draft", "writing_original_draft"),
    ("http://credit.niso.org/contributor-roles/formal-analysis", "formal_analysis"),
    ("project-administration", "project_administration"),
    ("data_curation", "data_curation"),
])
def test_a_role_is_found_however_it_is_written(written, kind):
    assert credit.role_for(written).kind == kind


@pytest.mark.parametrize("written", ["author", "editor", "", "https://credit.niso.org/contributor-roles/author/",
                                     "https://example.org/contributor-roles/software/", "writing"])
def test_anything_else_is_no_role(written):
    assert credit.role_for(written) is None


def test_a_new_node_accepts_every_credit_kind_and_each_works_as_a_hashtag():
    assert set(credit.KINDS) <= set(DEFAULT_KINDS) and len(set(DEFAULT_KINDS)) == len(DEFAULT_KINDS)
    for kind in credit.KINDS:
        check_fields(DEFAULT_KINDS, kind=kind, summary="curated the garden's records", evidence=[])
        note = {"type": "Note", "content": f"<p>@garden 2h on the records #{kind}</p>"}
        assert read_claim(note, DEFAULT_KINDS).kind == kind
    with pytest.raises(BadInput):
        check_fields(DEFAULT_KINDS, kind="data-curation", summary="x", evidence=[])


def test_the_vocabulary_documents_each_kind_with_its_term_uri():
    readme = (REPO / "vocab" / "README.md").read_text()
    section = readme.split("### Kinds from CRediT", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| `([^`]+)` \|$", section, re.M)
    assert rows == [(r.kind, r.label, r.uri) for r in credit.ROLES]
