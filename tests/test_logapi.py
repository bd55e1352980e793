"""The log served over HTTP: checkpoint, pages of entries, proofs, and what is refused."""

import base64

import pytest
from support_nodes import served_node

from fedcommons.ld.canonical import canonicalize
from fedcommons.log.checkpoint import parse_checkpoint
from fedcommons.log.merkle import leaf_hash, verify_consistency, verify_inclusion
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.contributions.contributions import contribute
from fedcommons.sig.note import open_note, parse_verifier_key
from fedcommons.store import log as log_store
from fedcommons.store.db import transaction

AP = "application/activity+json"


def b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


@pytest.fixture
async def served(tmp_path):
    async with served_node(tmp_path) as running:
        node = running.node
        create_actor(node, "person", "alice")
        create_pool(node, "garden", name="Garden", stewards=["alice"])
        for i in range(12):
            contribute(node, pool="garden", person="alice", effort="30m", kind="docs", summary=f"page {i}")
        yield running


async def get_json(http, url, status=200):
    async with http.get(url, headers={"Accept": "application/json"}) as response:
        assert response.status == status, await response.text()
        return response, await response.json(content_type=None)


async def test_checkpoint_is_a_signed_note_with_the_published_key(served, http):
    async with http.get(f"{served.url}/actor", headers={"Accept": AP}) as response:
        actor = await response.json(content_type=None)
    async with http.get(actor["logCheckpoint"]) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert "public" in response.headers["Cache-Control"]
        note = await response.text()
    opened = open_note(note, [parse_verifier_key(actor["logVerifierKey"])])
    checkpoint = parse_checkpoint(opened.text)
    assert checkpoint.origin == actor["logOrigin"]
    assert checkpoint.size == log_store.log_size(served.node.db)


async def test_entries_come_in_order_with_leaf_hashes_of_their_canonical_bytes(served, http):
    size = log_store.log_size(served.node.db)
    _, page = await get_json(http, f"{served.url}/log/entries?start=2&limit=5")
    assert page["hashEncoding"] == "base64" and page["origin"] == served.node.config.origin
    assert [e["index"] for e in page["entries"]] == [2, 3, 4, 5, 6]
    for entry in page["entries"]:
        assert b64(entry["leafHash"]) == leaf_hash(canonicalize(entry["activity"]))
    assert page["next"].endswith("/log/entries?start=7&limit=5")
    _, rest = await get_json(http, f"{served.url}/log/entries?start={size - 2}")
    assert [e["index"] for e in rest["entries"]] == [size - 2, size - 1] and "next" not in rest
    _, past = await get_json(http, f"{served.url}/log/entries?start={size + 50}&limit=3")
    assert past["entries"] == []
    _, capped = await get_json(http, f"{served.url}/log/entries?limit=999999")
    assert capped["limit"] == 1000 and len(capped["entries"]) == size


async def test_a_redacted_entry_keeps_its_leaf_hash_and_loses_its_activity(served, http):
    node = served.node
    kept = log_store.entry(node.db, 5).leaf_hash
    with transaction(node.db):
        node.db.conn.execute("UPDATE log_entries SET body = NULL WHERE idx = 5")
    _, page = await get_json(http, f"{served.url}/log/entries?start=4&limit=3")
    entry = page["entries"][1]
    assert entry["index"] == 5 and entry["activity"] is None and b64(entry["leafHash"]) == kept


async def test_proofs_verify_against_signed_checkpoints(served, http):
    node = served.node
    old_size, old_root, _ = log_store.latest_checkpoint(node.db)
    contribute(node, pool="garden", person="alice", effort="1h", kind="docs", summary="one more")
    new_size, new_root, _ = log_store.latest_checkpoint(node.db)
    _, doc = await get_json(http, f"{served.url}/log/proof/consistency?from={old_size}&to={new_size}")
    assert b64(doc["root1"]) == old_root and b64(doc["root2"]) == new_root
    verify_consistency(old_size, new_size, old_root, new_root, [b64(h) for h in doc["proof"]])
    _, same = await get_json(http, f"{served.url}/log/proof/consistency?from={new_size}&to={new_size}")
    assert same["proof"] == []
    for index in (0, 7, new_size - 1):
        _, doc = await get_json(http, f"{served.url}/log/proof/inclusion?index={index}&size={new_size}")
        leaf = log_store.entry(node.db, index).leaf_hash
        assert b64(doc["leafHash"]) == leaf
        verify_inclusion(index, new_size, leaf, [b64(h) for h in doc["proof"]], new_root)
    _, older = await get_json(http, f"{served.url}/log/proof/inclusion?index=3&size={old_size}")
    verify_inclusion(3, old_size, log_store.entry(node.db, 3).leaf_hash, [b64(h) for h in older["proof"]], old_root)


@pytest.mark.parametrize("query", [
    "entries?start=-1", "entries?start=abc", "entries?limit=0", "entries?start=1e3",
    "proof/inclusion", "proof/inclusion?index=0&size=999999", "proof/inclusion?index=40&size=10",
    "proof/consistency?from=0&to=3", "proof/consistency?from=5&to=3", "proof/consistency?from=1&to=999999",
    "proof/consistency?to=3",
])
async def test_bad_parameters_are_problem_details(served, http, query):
    async with http.get(f"{served.url}/log/{query}") as response:
        assert response.status == 400
        assert response.content_type == "application/problem+json"
        problem = await response.json(content_type=None)
    assert problem["status"] == 400 and problem["detail"]


async def test_mirrors_lists_what_the_node_holds_of_other_logs(served, http):
    _, doc = await get_json(http, f"{served.url}/log/mirrors")
    assert doc == {"origin": served.node.config.origin, "mirrors": []}
