"""The vocabulary: our context, its documentation and examples, and the pinned contexts.

Every ```json example in vocab/README.md is expanded offline with pyld through our loader,
and every term in README's tables must expand to the IRI documented there.
"""

import hashlib
import json
import re
import tomllib
from pathlib import Path

import pytest
from pyld import jsonld

from fedcommons.errors import FedcommonsError, UnknownContext
from fedcommons.ld import context as ctx
from fedcommons.ld.loader import document_loader, pinned_contexts
from fedcommons.services.governance.polls import MASTODON_TERMS

VOCAB = ctx.vocab_dir()
CONTEXTS = VOCAB / "contexts"
README = (VOCAB / "README.md").read_text()
REPO = Path(__file__).resolve().parent.parent

AS = "https://www.w3.org/ns/activitystreams#"
FC = "https://w3id.org/fedcommons#"
VF = "https://w3id.org/valueflows/ont/vf#"
OM2 = "http://www.ontology-of-units-of-measure.org/resource/om-2/"
XSD = "http://www.w3.org/2001/XMLSchema#"

# The terms other modules write, with the IRIs the design fixes for them. README's tables
# and the context must both agree with this.
SPECIFIED = {
    "Contribution": FC + "Contribution",
    "CommonPool": FC + "CommonPool",
    "Cooperative": FC + "Cooperative",
    "Standing": FC + "Standing",
    "Distribution": FC + "Distribution",
    "Measure": OM2 + "Measure",
    "provider": VF + "provider",
    "receiver": VF + "receiver",
    "action": VF + "action",
    "effortQuantity": VF + "effortQuantity",
    "hasUnit": OM2 + "hasUnit",
    "hasNumericalValue": OM2 + "hasNumericalValue",
    "kind": FC + "kind",
    "evidence": FC + "evidence",
    "stewards": FC + "steward",
    "license": "https://schema.org/license",
    "standingMethod": FC + "standingMethod",
    "method": FC + "method",
    "parameters": FC + "parameters",
    "weight": FC + "weight",
    "claim": FC + "claim",
    "importKey": FC + "importKey",
    "pool": FC + "pool",
    "asOf": FC + "asOf",
    "checkpoint": FC + "checkpoint",
    "origin": FC + "origin",
    "treeSize": FC + "treeSize",
    "rootHash": FC + "rootHash",
    "standings": FC + "standing",
    "contributor": FC + "contributor",
    "score": FC + "score",
    "share": FC + "share",
    "cooperative": FC + "cooperative",
    "sustains": FC + "sustains",
    "amount": FC + "amount",
    "currency": FC + "currency",
    "policy": FC + "policy",
    "constraints": FC + "constraints",
    "period": FC + "period",
    "inputs": FC + "input",
    "payouts": FC + "payout",
    "recipient": FC + "recipient",
    "logOrigin": FC + "logOrigin",
    "logVerifierKey": FC + "logVerifierKey",
    "logCheckpoint": FC + "logCheckpoint",
    "BookEntry": FC + "BookEntry",
    "Statement": FC + "Statement",
    "entryKind": FC + "entryKind",
    "counterpartyName": FC + "counterpartyName",
    "bookedOn": FC + "bookedOn",
    "category": FC + "category",
    "note": VF + "note",
    "corrects": VF + "corrects",
    "periodStart": FC + "periodStart",
    "periodEnd": FC + "periodEnd",
    "lines": FC + "line",
    "inclusionProof": FC + "inclusionProof",
    "Redaction": FC + "Redaction",
    "logIndex": FC + "logIndex",
    "leafHash": FC + "leafHash",
    "retained": FC + "retained",
    "Tally": FC + "Tally",
    "Delegate": FC + "Delegate",
    "governs": FC + "governs",
    "proposer": FC + "proposer",
    "change": FC + "change",
    "governance": FC + "governance",
    "members": FC + "member",
    "tally": FC + "tally",
    "proposal": FC + "proposal",
    "outcome": FC + "outcome",
    "winner": FC + "winner",
    "electorateWeight": FC + "electorateWeight",
    "participation": FC + "participation",
    "votes": FC + "vote",
    "elector": FC + "elector",
    "option": FC + "option",
    "path": FC + "path",
    "totals": FC + "total",
    "uncounted": FC + "uncounted",
    "voter": FC + "voter",
    "reason": FC + "reason",
}

# ActivityStreams terms we must never redefine at the top level of our context.
AS_TERMS_IN_USE = {"name", "content", "summary", "published", "to", "cc", "url", "tag", "origin",
                   "id", "type", "actor", "object", "attributedTo", "inbox", "outbox", "source"}

PREFIXES = {"@version", "fc", "vf", "om2"}

TERM_SECTIONS = {"Types", "Properties", "Borrowed terms"}


# ---- helpers -----------------------------------------------------------------------------

def documented_terms() -> dict[str, tuple[str, str]]:
    """README's term tables (Types, Properties, Borrowed terms): term -> (IRI, example)."""
    rows = {}
    section = None
    for line in README.splitlines():
        if line.startswith("#"):
            section = line.lstrip("#").strip()
            continue
        if section not in TERM_SECTIONS or not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 4, f"README row should have 4 cells: {line}"
        term = re.match(r"`([^`]+)`", cells[0]).group(1)
        iri = re.fullmatch(r"`([^`]+)`", cells[1]).group(1)
        example = re.fullmatch(r"`([^`]*)`", cells[3])
        rows[term] = (iri, example.group(1) if example else "")
    return rows


def readme_examples() -> list[dict]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", README, re.S)]


def expand_strict(doc: dict) -> list:
    """Expand through our loader and fail on anything of the document that expansion lost.

    Undefined terms are dropped by expansion, or, under ActivityStreams' `"@vocab": "_:"`,
    turned into `_:term` IRIs that RDF tools then discard. Both count as lost.
    """
    dropped = []
    expanded = jsonld.expand(doc, {"documentLoader": document_loader}, on_property_dropped=dropped.append)
    assert not dropped, f"expansion dropped {dropped}"
    lost = sorted({s for s in strings(expanded) if s.startswith("_:")})
    assert not lost, f"terms with no definition became blank-node IRIs: {lost}"
    return expanded


def strings(value):
    """Every key and string value in an expanded document, JSON literals included."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


def nodes(value):
    """Every node object in an expanded document (skipping JSON literals)."""
    if isinstance(value, dict):
        if value.get("@type") == "@json":
            return
        if "@value" not in value:
            yield value
        for item in value.values():
            yield from nodes(item)
    elif isinstance(value, list):
        for item in value:
            yield from nodes(item)


def node_of_type(expanded: list, *types: str) -> dict:
    found = [n for n in nodes(expanded) if set(types) <= set(n.get("@type", []))]
    assert len(found) == 1, f"expected one node of types {types}, found {len(found)}"
    return found[0]


def examples_with(*types: str) -> list[list]:
    matches = []
    for doc in readme_examples():
        expanded = expand_strict(doc)
        if any(set(types) <= set(n.get("@type", [])) for n in nodes(expanded)):
            matches.append(expanded)
    return matches


# ---- pinned contexts -----------------------------------------------------------------------

def test_every_indexed_context_file_exists_and_is_a_context_document():
    index = json.loads((CONTEXTS / "index.json").read_bytes())
    assert index, "index.json lists no contexts"
    for url, name in index.items():
        assert url.startswith("https://") or url.startswith("http://"), url
        path = CONTEXTS / name
        assert path.is_file(), f"{url}: {name} is missing"
        document = json.loads(path.read_bytes())
        assert isinstance(document.get("@context"), dict), f"{name} has no @context object"


def test_every_context_file_is_indexed():
    indexed = set(json.loads((CONTEXTS / "index.json").read_bytes()).values())
    on_disk = {p.name for p in CONTEXTS.glob("*.jsonld")}
    assert on_disk == indexed


def test_the_contexts_the_node_reads_and_writes_are_pinned():
    needed = {ctx.AS, ctx.SECURITY_V1, ctx.DATA_INTEGRITY_V2, ctx.MULTIKEY_V1,
              "https://w3id.org/identity/v1", "https://gotosocial.org/ns", ctx.FC_CONTEXT_URL}
    assert needed <= set(pinned_contexts())


def test_pinned_files_still_have_the_hashes_recorded_in_sources():
    sources = (CONTEXTS / "SOURCES.md").read_text()
    recorded = dict(re.findall(r"^\| `([^`]+\.jsonld)` \| \S+ \| `([0-9a-f]{64})` \|$", sources, re.M))
    index = json.loads((CONTEXTS / "index.json").read_bytes())
    assert set(recorded) == set(index.values())
    for name, digest in recorded.items():
        assert hashlib.sha256((CONTEXTS / name).read_bytes()).hexdigest() == digest, f"{name} changed"


def test_sources_table_names_the_url_each_file_answers():
    sources = (CONTEXTS / "SOURCES.md").read_text()
    rows = dict(re.findall(r"^\| `([^`]+\.jsonld)` \| (\S+) \|", sources, re.M))
    index = json.loads((CONTEXTS / "index.json").read_bytes())
    assert {name: url for url, name in index.items()} == rows


def test_loader_refuses_unknown_urls_naming_them():
    for url in ("https://www.w3.org/ns/activitystreams/v2", "https://w3id.org/fedcommons/v2",
                "https://w3id.org/security/data-integrity/v1"):
        with pytest.raises(UnknownContext, match=re.escape(url)):
            document_loader(url)


# ---- our context ---------------------------------------------------------------------------

def test_context_file_is_a_context_document_and_fc_context_is_its_inner_object():
    document = json.loads((VOCAB / "fedcommons.jsonld").read_bytes())
    assert list(document) == ["@context"]
    assert ctx.fc_context() == document["@context"]
    assert ctx.fc_context()["fc"] == ctx.FC_NS


def test_context_defines_every_specified_term():
    defined = set(ctx.fc_context()) - PREFIXES
    assert set(SPECIFIED) - {"origin"} <= defined


def test_our_terms_do_not_clash_with_the_contexts_we_send_them_with():
    ours = set(ctx.fc_context()) - {"@version"}
    for url in (ctx.AS, ctx.SECURITY_V1, ctx.DATA_INTEGRITY_V2, ctx.MULTIKEY_V1):
        theirs = set(document_loader(url)["document"]["@context"])
        assert not ours & theirs, f"{url} already defines {sorted(ours & theirs)}"
    assert not ours & AS_TERMS_IN_USE


@pytest.mark.parametrize("make", [ctx.activity_context, ctx.actor_context])
def test_combined_contexts_process_without_protected_term_errors(make):
    # Data-integrity v2 and multikey v1 protect their terms: a clash is an error here.
    expanded = expand_strict({"@context": make(), "id": "https://node.example/x", "type": "Note"})
    assert expanded[0]["@type"] == [AS + "Note"]


def test_activity_and_actor_contexts_have_the_specified_shape():
    assert ctx.activity_context() == [ctx.AS, ctx.DATA_INTEGRITY_V2, ctx.fc_context()]
    assert ctx.actor_context() == [ctx.AS, ctx.SECURITY_V1, ctx.MULTIKEY_V1, ctx.fc_context()]


def test_context_lists_are_fresh_but_share_the_parsed_terms():
    first, second = ctx.activity_context(), ctx.activity_context()
    assert first is not second
    assert first[2] is second[2] is ctx.fc_context()
    first.append("https://example.org/extra")
    assert len(ctx.activity_context()) == 3


def test_scoped_values_expand_to_their_iris():
    doc = {
        "@context": ctx.activity_context(),
        "id": "https://node.example/contributions/1",
        "action": "work",
        "effortQuantity": [
            {"type": "Measure", "hasUnit": "minute", "hasNumericalValue": 1},
            {"type": "Measure", "hasUnit": "hour", "hasNumericalValue": 2},
        ],
        "checkpoint": {"origin": "node.example/log", "treeSize": 3, "rootHash": "AAAA"},
        "origin": "https://node.example/elsewhere",
    }
    node = expand_strict(doc)[0]
    assert node[VF + "action"] == [{"@id": VF + "work"}]
    units = sorted(m[OM2 + "hasUnit"][0]["@id"] for m in node[VF + "effortQuantity"])
    assert units == [OM2 + "hour", OM2 + "minute-Time"]
    checkpoint = node[FC + "checkpoint"][0]
    assert checkpoint[FC + "origin"] == [{"@value": "node.example/log"}]
    assert checkpoint[FC + "treeSize"] == [{"@type": XSD + "integer", "@value": 3}]
    # Outside a checkpoint, `origin` keeps its ActivityStreams meaning.
    assert node[AS + "origin"] == [{"@id": "https://node.example/elsewhere"}]


def test_json_literal_terms_keep_their_value_verbatim():
    params = {"kindWeights": {"care": 1.5}, "halfLifeDays": None, "nested": [1, "two"]}
    doc = {"@context": ctx.activity_context(), "id": "https://node.example/pools/garden",
           "standingMethod": {"method": "effort/1", "parameters": params},
           "constraints": {"maxRatio": "8"}}
    node = expand_strict(doc)[0]
    method = node[FC + "standingMethod"][0]
    assert method[FC + "parameters"] == [{"@type": "@json", "@value": params}]
    assert node[FC + "constraints"] == [{"@type": "@json", "@value": {"maxRatio": "8"}}]


# ---- the documentation ---------------------------------------------------------------------

def test_readme_documents_every_term_of_the_context():
    documented = documented_terms()
    defined = set(ctx.fc_context()) - PREFIXES
    assert defined | {"origin"} == set(documented)


def test_readme_iris_agree_with_the_design():
    documented = documented_terms()
    for term, iri in SPECIFIED.items():
        assert documented[term][0] == iri, term


@pytest.mark.parametrize("term", sorted(documented_terms()))
def test_each_documented_term_expands_to_its_documented_iri(term):
    iri, example = documented_terms()[term]
    assert example, f"{term} has no example in README"
    fragment = json.loads(example if example.startswith("{") else "{" + example + "}")
    if term == "origin":
        fragment = {"checkpoint": fragment}
    for make in (ctx.activity_context, ctx.actor_context):
        expanded = expand_strict({"@context": make(), "id": "https://node.example/x", **fragment})
        found = set(strings(expanded))
        assert iri in found, f"{term}: {iri} not in the expansion of {example}"


def test_readme_examples_expand_without_losing_anything():
    examples = readme_examples()
    assert len(examples) >= 8
    for doc in examples:
        expand_strict(doc)


def test_readme_examples_use_every_documented_iri():
    used = set()
    for doc in readme_examples():
        used |= set(strings(expand_strict(doc)))
    missing = {term: iri for term, (iri, _) in documented_terms().items() if iri not in used}
    assert not missing


def test_inline_contexts_in_readme_copy_our_definitions_exactly():
    inline = [c for doc in readme_examples() for c in doc["@context"] if isinstance(c, dict)]
    assert inline, "README shows no example with the inline (wire) form"
    for context in inline:
        if context == MASTODON_TERMS:  # Mastodon's own term for a poll's count, as Mastodon defines it
            continue
        for term, definition in context.items():
            assert ctx.fc_context()[term] == definition, term


def test_readme_examples_cover_what_the_design_requires():
    (redaction,) = examples_with(FC + "Redaction")
    notice = node_of_type(redaction, AS + "Delete", FC + "Redaction")
    assert notice[FC + "logIndex"] == [{"@value": 17, "@type": XSD + "integer"}]
    retained = node_of_type(redaction, FC + "Contribution")  # the figures, and no text
    assert VF + "effortQuantity" in retained and not {AS + "name", AS + "content"} & set(retained)
    contributions = [e for e in examples_with(AS + "Note", FC + "Contribution") if e is not redaction
                     and not any(FC + "Redaction" in n.get("@type", []) for n in nodes(e))]
    (create,) = [e for e in contributions
                 if not {FC + "claim", FC + "importKey", FC + "sourceKey"} & set(node_of_type(e, FC + "Contribution"))]
    contribution = node_of_type(create, FC + "Contribution")
    assert node_of_type(create, AS + "Create")[AS + "object"][0]["@id"] == contribution["@id"]
    assert contribution[VF + "action"] == [{"@id": VF + "work"}]
    effort = contribution[VF + "effortQuantity"][0]
    assert effort["@type"] == [OM2 + "Measure"]
    assert effort[OM2 + "hasUnit"] == [{"@id": OM2 + "minute-Time"}]
    assert effort[OM2 + "hasNumericalValue"] == [{"@value": 150}]

    (imported,) = [e for e in contributions if FC + "importKey" in node_of_type(e, FC + "Contribution")]
    (key,) = node_of_type(imported, FC + "Contribution")[FC + "importKey"]
    assert key["@value"].startswith("sha256:")

    (read,) = [e for e in contributions if FC + "sourceKey" in node_of_type(e, FC + "Contribution")]
    node = node_of_type(read, FC + "Contribution")
    assert node[FC + "sourceKey"][0]["@value"].startswith("git:")
    assert node_of_type(read, AS + "Create")[AS + "actor"] == [{"@id": node[VF + "receiver"][0]["@id"]}]
    rule = node[FC + "effortRule"][0]
    assert rule[FC + "method"] == [{"@value": "sessions/1"}]
    assert rule[FC + "parameters"][0]["@type"] == "@json"

    (accept,) = examples_with(AS + "Accept")
    accepted = node_of_type(accept, AS + "Accept")[AS + "object"]
    assert accepted == [{"@id": "https://node.example/contributions/1"}]
    (reject,) = examples_with(AS + "Reject")
    assert AS + "content" in node_of_type(reject, AS + "Reject")
    (like,) = examples_with(AS + "Like")
    assert FC + "weight" in node_of_type(like, AS + "Like")

    # The pool's own description; the other example is the Update applying a proposal.
    pool, applied = sorted(examples_with(AS + "Group", FC + "CommonPool"), key=lambda e: FC + "tally" in str(e))
    assert FC + "tally" in str(applied) and FC + "tally" not in str(pool)
    assert {FC + "steward", "https://schema.org/license", FC + "standingMethod"} <= set(pool[0])
    # The cooperative's own description; the other example is its Update stating its defaults.
    coop, defaults = sorted(examples_with(AS + "Organization", FC + "Cooperative"),
                            key=lambda e: FC + "payoutConstraints" in str(e))
    assert len(coop[0][FC + "sustains"]) == 2
    stated = node_of_type(defaults, AS + "Update")[AS + "object"][0][FC + "payoutConstraints"][0]
    assert stated["@type"] == "@json" and stated["@value"]["maxRatio"] == "4"
    (live,) = [e for e in examples_with(AS + "Question") if "joinmastodon.org/ns#votersCount" in str(e)]
    assert node_of_type(live, AS + "Question")["http://joinmastodon.org/ns#votersCount"] == [{"@value": 4}]
    assert node_of_type(live, AS + "Update")[AS + "actor"] == [{"@id": "https://node.example/pools/garden"}]

    (standing,) = examples_with(FC + "Standing")
    node = node_of_type(standing, FC + "Standing")
    entries = node[FC + "standing"][0]["@list"]
    shares = sum(float(e[FC + "share"][0]["@value"]) for e in entries)
    assert shares == pytest.approx(1)
    assert {FC + "pool", FC + "asOf", FC + "checkpoint", FC + "standingMethod"} <= set(node)

    (distribution,) = examples_with(FC + "Distribution")
    node = node_of_type(distribution, FC + "Distribution")
    payouts = node[FC + "payout"][0]["@list"]
    total = sum(float(p[FC + "amount"][0]["@value"]) for p in payouts)
    assert total == float(node[FC + "amount"][0]["@value"])


def test_the_strict_check_catches_undefined_terms_and_types():
    # The checks above are only worth something if a typo in a term or type fails them.
    doc = readme_examples()[1]
    misspelt_term = json.loads(json.dumps(doc))
    misspelt_term["object"]["kinds"] = "care"
    with pytest.raises(AssertionError, match="_:kinds"):
        expand_strict(misspelt_term)
    misspelt_type = json.loads(json.dumps(doc))
    misspelt_type["object"]["type"] = ["Note", "Contributon"]
    with pytest.raises(AssertionError, match="_:Contributon"):
        expand_strict(misspelt_type)
    unknown_unit = json.loads(json.dumps(doc))
    unknown_unit["object"]["effortQuantity"]["hasUnit"] = "fortnight"
    with pytest.raises(AssertionError, match="_:fortnight"):
        expand_strict(unknown_unit)
    no_vocab = {"@context": {"kind": "https://w3id.org/fedcommons#kind"}, "kind": "x", "kindd": "y"}
    with pytest.raises(AssertionError, match="dropped"):
        expand_strict(no_vocab)


# ---- where the vocab files are found -------------------------------------------------------

def _vocab_at(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "fedcommons.jsonld").write_text('{"@context": {}}')
    return folder


def test_installed_wheel_layout_is_preferred(tmp_path):
    package = tmp_path / "site-packages" / "fedcommons"
    packaged = _vocab_at(package / ctx.PACKAGED_VOCAB)
    _vocab_at(tmp_path / "site-packages" / "vocab")
    assert ctx.find_vocab(package) == packaged


def test_source_checkout_falls_back_to_the_repository_vocab(tmp_path):
    package = tmp_path / "repo" / "fedcommons"
    package.mkdir(parents=True)
    checkout = _vocab_at(tmp_path / "repo" / "vocab")
    assert ctx.find_vocab(package) == checkout


def test_missing_vocab_is_a_clear_error(tmp_path):
    package = tmp_path / "fedcommons"
    package.mkdir()
    with pytest.raises(FedcommonsError, match="vocabulary files are missing"):
        ctx.find_vocab(package)


def test_this_checkout_finds_its_vocab():
    assert ctx.vocab_dir() == REPO / "vocab" or ctx.vocab_dir().name == ctx.PACKAGED_VOCAB


def test_wheel_ships_vocab_where_the_code_looks_for_it():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    force_include = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert force_include["vocab"] == f"fedcommons/{ctx.PACKAGED_VOCAB}"
