"""The offline JSON-LD loader: pinned answers, refusals that name the URL, no network ever."""

import json
import socket
import urllib.request
from pathlib import Path

import pytest
from pyld import jsonld

from fedcommons.errors import BadInput, UnknownContext
from fedcommons.ld import loader
from fedcommons.ld.context import (
    AS,
    DATA_INTEGRITY_V2,
    FC_CONTEXT_URL,
    activity_context,
    fc_context,
    vocab_dir,
)
from fedcommons.ld.loader import compact, document_loader, expand, pinned_contexts

UNKNOWN = "https://contexts.invalid/never-pinned/v1"
FC = "https://w3id.org/fedcommons#"
VF = "https://w3id.org/valueflows/ont/vf#"
OM2 = "http://www.ontology-of-units-of-measure.org/resource/om-2/"


@pytest.fixture
def no_network(monkeypatch):
    """Fail loudly on any attempt to open a socket or resolve a name; return the attempts."""
    attempts = []

    def refuse(name):
        def call(*args, **kwargs):
            attempts.append((name, args))
            raise AssertionError(f"network access attempted: socket.{name}{args}")

        return call

    monkeypatch.setattr(socket, "socket", refuse("socket"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return attempts


def contribution() -> dict:
    return {
        "@context": activity_context(),
        "id": "https://node.example/activities/1",
        "type": "Create",
        "actor": "https://node.example/users/alice",
        "object": {
            "id": "https://node.example/contributions/1",
            "type": ["Note", "Contribution"],
            "provider": "https://node.example/users/alice",
            "receiver": "https://node.example/pools/garden",
            "action": "work",
            "kind": "code",
            "effortQuantity": {"type": "Measure", "hasUnit": "minute", "hasNumericalValue": 150},
            "evidence": ["https://git.example/garden/commit/abc"],
        },
    }


def test_pinned_context_comes_back_in_pyld_format():
    remote = document_loader(AS)
    assert remote["contextUrl"] is None
    assert remote["documentUrl"] == AS
    on_disk = json.loads((vocab_dir() / "contexts" / "activitystreams.jsonld").read_bytes())
    assert remote["document"] == on_disk
    assert remote["document"]["@context"]["Note"] == "as:Note"


def test_our_context_is_served_under_its_canonical_url():
    remote = document_loader(FC_CONTEXT_URL)
    assert remote["documentUrl"] == FC_CONTEXT_URL
    assert remote["document"]["@context"] == fc_context()


def test_every_indexed_url_loads():
    for url in pinned_contexts():
        assert isinstance(document_loader(url)["document"]["@context"], dict), url


def test_unknown_url_is_refused_with_the_url_in_the_message():
    with pytest.raises(UnknownContext) as info:
        document_loader(UNKNOWN, {})
    assert UNKNOWN in str(info.value)


def test_network_guard_catches_an_ordinary_http_client(no_network):
    # The guard below proves loader tests offline only if it really intercepts clients.
    with pytest.raises(AssertionError, match="network access attempted"):
        urllib.request.urlopen("http://127.0.0.1:9/", timeout=1)
    assert no_network


def test_expanding_with_an_unknown_context_raises_and_never_touches_the_network(no_network):
    doc = {"@context": [AS, UNKNOWN], "type": "Note", "content": "hello"}
    with pytest.raises(UnknownContext) as info:
        expand(doc)
    assert UNKNOWN in str(info.value)
    assert not isinstance(info.value, jsonld.JsonLdError)
    assert no_network == []


def test_compacting_with_an_unknown_context_raises_and_never_touches_the_network(no_network):
    with pytest.raises(UnknownContext, match=UNKNOWN):
        compact({"@context": UNKNOWN, "name": "x"}, activity_context())
    with pytest.raises(UnknownContext, match=UNKNOWN):
        compact(contribution(), UNKNOWN)
    assert no_network == []


def test_pinned_contexts_expand_with_the_network_blocked(no_network):
    expanded = expand(contribution())
    assert expanded[0]["@type"] == ["https://www.w3.org/ns/activitystreams#Create"]
    assert no_network == []


def test_contexts_cached_by_other_pyld_callers_are_not_served(no_network):
    # pyld's default cache is process-wide and keyed by URL: another caller's loader
    # must not be able to answer for ours.
    def permissive(url, options=None):
        return {"contextUrl": None, "documentUrl": url, "document": {"@context": {"x": "https://x.example/"}}}

    jsonld.expand({"@context": UNKNOWN, "x": 1}, {"documentLoader": permissive})
    with pytest.raises(UnknownContext, match=UNKNOWN):
        expand({"@context": UNKNOWN, "x": 1})


def test_parsed_documents_are_cached(monkeypatch):
    document_loader(DATA_INTEGRITY_V2)

    def no_reading(self):
        raise AssertionError(f"{self} read again")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    assert document_loader(DATA_INTEGRITY_V2)["document"]["@context"]["@protected"] is True


def test_callers_cannot_corrupt_the_cache():
    first = document_loader(AS)
    first["document"]["@context"]["Note"] = "https://evil.example/Note"
    first["document"]["@context"].clear()
    assert document_loader(AS)["document"]["@context"]["Note"] == "as:Note"


def test_expand_gives_our_iris():
    obj = expand(contribution())[0]["https://www.w3.org/ns/activitystreams#object"][0]
    assert obj["@type"] == ["https://www.w3.org/ns/activitystreams#Note", FC + "Contribution"]
    assert obj[VF + "action"] == [{"@id": VF + "work"}]
    effort = obj[VF + "effortQuantity"][0]
    assert effort["@type"] == [OM2 + "Measure"]
    assert effort[OM2 + "hasUnit"] == [{"@id": OM2 + "minute-Time"}]
    assert effort[OM2 + "hasNumericalValue"] == [{"@value": 150}]
    assert obj[FC + "evidence"] == [{"@id": "https://git.example/garden/commit/abc"}]


def test_compact_round_trips_our_terms():
    original = contribution()
    again = compact(expand(original), activity_context())
    assert again["object"] == original["object"]
    assert again["type"] == "Create"


def test_invalid_json_ld_is_bad_input():
    with pytest.raises(BadInput, match="not valid JSON-LD"):
        expand({"@context": {"a": {"@id": "@type"}}, "a": 1})


def test_redefining_a_protected_security_term_is_bad_input():
    doc = {"@context": [AS, DATA_INTEGRITY_V2, {"proof": "https://evil.example/proof"}], "proof": "x"}
    with pytest.raises(BadInput, match="protected term redefinition"):
        expand(doc)


def test_pinned_credentials_contexts_reproduce_the_eddsa_rdfc_2022_vector(vectors):
    # The W3C vector's canonical N-Quads were produced from the published credentials
    # v2 and examples v2 contexts; reproducing them byte for byte checks our copies.
    base = vectors / "data-integrity"
    rdfc = base / "eddsa-rdfc-2022"
    options = {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": document_loader}
    unsigned = json.loads((base / "unsigned.json").read_bytes())
    assert jsonld.normalize(unsigned, options) == (rdfc / "canonDocDataInt.txt").read_text()
    config = json.loads((rdfc / "proofConfigDataInt.json").read_bytes())
    assert jsonld.normalize(config, options) == (rdfc / "proofCanonDataInt.txt").read_text()


def test_loader_module_names_no_fetching_library():
    # The loader must not even have a way to fetch.
    source = Path(loader.__file__).read_text()
    for name in ("aiohttp", "requests", "urllib", "http.client", "socket"):
        assert f"import {name}" not in source and f"from {name}" not in source
