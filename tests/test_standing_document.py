"""The unsigned fc:Standing document: shape, consistency checks, byte-identical output."""

import random
import sys
import types

import pytest
import rfc8785

from fedcommons.errors import BadInput
from fedcommons.ld import loader
from fedcommons.standing import build_ledger, compute_standing, standing_document
from support_standing import POOL, accept, contribution, like, person, pool_create, when

ALICE, BOB, STEWARD = person("alice"), person("bob"), person("steward")
CHECKPOINT = {"origin": "node.example/log", "treeSize": 42, "rootHash": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}
STUB_CONTEXT = ["https://www.w3.org/ns/activitystreams", {"Standing": "https://w3id.org/fedcommons#Standing"}]


@pytest.fixture
def stub_context(monkeypatch):
    """Pin the @context so these tests check this package, not the vocabulary module."""
    module = types.ModuleType("fedcommons.ld.context")
    module.activity_context = lambda: list(STUB_CONTEXT)
    monkeypatch.setitem(sys.modules, "fedcommons.ld.context", module)


def activities():
    return [pool_create([STEWARD]), contribution("a", ALICE, minutes=90), accept("a", STEWARD),
            contribution("b", BOB, minutes=30), accept("b", STEWARD), like("b", ALICE)]


def document(acts, method="peer-rank/1", parameters=None):
    result = compute_standing(build_ledger(acts, POOL), method, parameters, when(30))
    return standing_document(POOL, method, parameters, when(30), CHECKPOINT, result)


def test_document_shape(stub_context):
    doc = document(activities(), "effort/1", {"halfLifeDays": 365})
    assert doc["@context"] == STUB_CONTEXT
    assert doc["type"] == ["Document", "Standing"]
    assert (doc["pool"], doc["method"], doc["asOf"]) == (POOL, "effort/1", "2024-01-31T00:00:00Z")
    assert doc["parameters"]["halfLifeDays"] == 365 and doc["parameters"]["defaultWeight"] == 1
    assert doc["checkpoint"] == CHECKPOINT and doc["checkpoint"] is not CHECKPOINT
    assert [s["contributor"] for s in doc["standings"]] == [ALICE, BOB]
    assert all(set(s) == {"contributor", "score", "share"} for s in doc["standings"])
    assert "id" not in doc and "proof" not in doc


def test_document_bytes_do_not_depend_on_entry_order(stub_context):
    acts = activities()
    expected = rfc8785.dumps(document(acts))
    for seed in range(5):
        random.Random(seed).shuffle(acts)
        assert rfc8785.dumps(document(acts)) == expected


def test_result_must_match_the_named_method_parameters_and_time(stub_context):
    ledger = build_ledger(activities(), POOL)
    result = compute_standing(ledger, "effort/1", {"halfLifeDays": 30}, when(30))
    with pytest.raises(BadInput, match="recompute"):
        standing_document(POOL, "peer-rank/1", None, when(30), CHECKPOINT, result)
    with pytest.raises(BadInput, match="recompute"):
        standing_document(POOL, "effort/1", {"halfLifeDays": 31}, when(30), CHECKPOINT, result)
    with pytest.raises(BadInput, match="recompute"):
        standing_document(POOL, "effort/1", {"halfLifeDays": 30}, when(31), CHECKPOINT, result)
    assert standing_document(POOL, "effort/1", {"halfLifeDays": 30}, when(30), CHECKPOINT, result)


@pytest.mark.parametrize("checkpoint", [
    None, {}, {**CHECKPOINT, "treeSize": -1}, {**CHECKPOINT, "treeSize": "42"}, {**CHECKPOINT, "treeSize": True},
    {**CHECKPOINT, "rootHash": ""}, {**CHECKPOINT, "origin": 5},
])
def test_bad_checkpoint_is_bad_input(stub_context, checkpoint):
    ledger = build_ledger(activities(), POOL)
    result = compute_standing(ledger, "effort/1", None, when(30))
    with pytest.raises(BadInput, match="checkpoint"):
        standing_document(POOL, "effort/1", None, when(30), checkpoint, result)


def test_document_expands_to_our_vocabulary():
    [expanded] = loader.expand(document(activities()))
    fc = "https://w3id.org/fedcommons#"
    assert set(expanded["@type"]) == {"https://www.w3.org/ns/activitystreams#Document", fc + "Standing"}
    [rows] = expanded[fc + "standing"]
    first = rows["@list"][0]
    assert first[fc + "contributor"] == [{"@id": ALICE}]
    assert first[fc + "score"][0]["@type"] == "http://www.w3.org/2001/XMLSchema#decimal"
    assert expanded[fc + "pool"] == [{"@id": POOL}]
