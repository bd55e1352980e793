"""Witnessing between real nodes on 127.0.0.1 (c2sp.org/tlog-witness, tlog-cosignature)."""

import asyncio
import base64
import json

import aiohttp
import pytest
from support_cli import invoke, run
from support_nodes import RunningNode, with_client

from fedcommons.errors import FetchError
from fedcommons.federation.witnessing import request_cosignature
from fedcommons.home import open_node
from fedcommons.log.checkpoint import Checkpoint, format_checkpoint
from fedcommons.log.fork import verify_evidence
from fedcommons.log.merkle import consistency_proof
from fedcommons.log.witness import SIZE_CONTENT_TYPE, format_add_checkpoint
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.contributions.contributions import contribute
from fedcommons.services.log.log_writer import lookup
from fedcommons.services.replication.sync import sync_peer
from fedcommons.sig.cosignature import parse_cosigner_key, verify_cosignature
from fedcommons.sig.keys import generate_ed25519
from fedcommons.sig.note import NoteSigner, open_note, parse_verifier_key
from fedcommons.store import log as log_store
from fedcommons.store import mirrors as mirror_store
from fedcommons.store import witness as witness_store


def add(node, count: int, tag: str = "c") -> None:
    for i in range(count):
        contribute(node, pool="garden", person="alice", effort="1h", kind="care", summary=f"{tag}{i}")


@pytest.fixture
async def pair(tmp_path):
    """A (a log with a pool) and B (its witness, once it mirrors A)."""
    a, b = RunningNode.create(tmp_path, "a"), RunningNode.create(tmp_path, "b")
    node = open_node(a.home)
    create_actor(node, "person", "alice")
    create_pool(node, "garden", name="Garden", stewards=["alice"])
    add(node, 5)
    node.close()
    await a.start()
    await b.start()
    yield a, b
    await a.stop()
    await b.stop()


async def post(url: str, body: bytes) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as http, http.post(f"{url}/witness/add-checkpoint", data=body) as response:
        return response.status, response.content_type, await response.text()


def latest(node) -> tuple[int, bytes, str]:
    return log_store.latest_checkpoint(node.db)


async def test_a_node_cosigns_the_log_it_mirrors_and_the_log_serves_the_cosignature(pair):
    a, b = pair
    # B does not witness a log it does not follow.
    with pytest.raises(FetchError, match="404"):
        await with_client(a.home, lambda n, c: request_cosignature(n, c, b.url))
    await with_client(b.home, lambda n, c: sync_peer(n, c, a.url))

    size = await with_client(a.home, lambda n, c: request_cosignature(n, c, b.url))
    assert size == latest(a.node)[0]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{b.url}/witness") as response:
            info = await response.json()
        async with http.get(f"{a.url}/log/checkpoint") as response:
            assert response.content_type == "text/plain" and response.charset == "utf-8"
            served = await response.text()
    witness = parse_cosigner_key(info["verifierKey"])
    assert info["name"] == witness.name == f"{b.node.config.origin}/witness"
    assert info["logs"] == [a.node.config.origin]
    text, _, signatures = served.partition("\n\n")
    cosignature_lines = [line for line in signatures.splitlines() if line.startswith(f"\u2014 {witness.name} ")]
    assert len(cosignature_lines) == 1
    cosig = verify_cosignature(cosignature_lines[0], text + "\n", witness)
    assert cosig.timestamp > 1_600_000_000
    # The log's own signature still verifies; the cosignature is simply an extra line.
    vkey = parse_verifier_key(a.node.note_signer.verifier_key())
    assert open_note(served, [vkey]).unverified == [(witness.name, witness.key_id)]
    # B recorded what it cosigned, and its witness key is not its checkpoint key.
    state = witness_store.witnessed(b.node.db, a.node.config.origin)
    assert state.size == size
    assert info["verifierKey"] != b.node.note_signer.verifier_key()
    assert run(b.home, "witness", "key").stdout.strip() == info["verifierKey"]

    # The log grows; the next request carries a consistency proof from the cosigned size.
    add(a.node, 3, "more")
    result = await asyncio.to_thread(invoke, a.home, "witness", "request", b.url, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["size"] == size + 3
    assert witness_store.witnessed(b.node.db, a.node.config.origin).size == size + 3


async def test_add_checkpoint_answers_as_the_spec_says(pair, tmp_path):
    a, b = pair
    await with_client(b.home, lambda n, c: sync_peer(n, c, a.url))
    size, root, note = latest(a.node)

    # 400: malformed, or an old size beyond the checkpoint.
    assert (await post(b.url, b"old x\n\n" + note.encode()))[0] == 400
    assert (await post(b.url, format_add_checkpoint(size + 1, [], note)))[0] == 400
    # 404: an origin B does not mirror.
    stranger = NoteSigner("elsewhere.example", generate_ed25519())
    alien = stranger.sign(format_checkpoint(Checkpoint("elsewhere.example", 3, bytes(32))))
    assert (await post(b.url, format_add_checkpoint(0, [], alien)))[0] == 404
    # 403: A's origin, but not signed by A's pinned key.
    impostor = NoteSigner(a.node.config.origin, generate_ed25519())
    forged = impostor.sign(format_checkpoint(Checkpoint(a.node.config.origin, size, root)))
    assert (await post(b.url, format_add_checkpoint(0, [], forged)))[0] == 403
    # 200: the first checkpoint, from old size 0.
    status, _, lines = await post(b.url, format_add_checkpoint(0, [], note))
    assert status == 200 and lines.startswith("\u2014 ")
    # 409 with the size held, when the old size is not what B cosigned last.
    add(a.node, 4, "grow")
    new_size, _, new_note = latest(a.node)
    proof = consistency_proof(size, new_size, lookup(a.node))
    status, content_type, text = await post(b.url, format_add_checkpoint(size - 1, proof, new_note))
    assert (status, content_type, text) == (409, SIZE_CONTENT_TYPE, f"{size}\n")
    # 422: a consistency proof that does not verify.
    bad = [bytes(32)] * len(proof)
    assert (await post(b.url, format_add_checkpoint(size, bad, new_note)))[0] == 422
    # 200 with the right proof; the same checkpoint again is fine too.
    assert (await post(b.url, format_add_checkpoint(size, proof, new_note)))[0] == 200
    assert (await post(b.url, format_add_checkpoint(new_size, [], new_note)))[0] == 200

    # A second root for a size it cosigned: 409, and B keeps the two notes as fork evidence.
    other = a.node.note_signer.sign(format_checkpoint(Checkpoint(a.node.config.origin, new_size, bytes(32))))
    status, content_type, text = await post(b.url, format_add_checkpoint(new_size, [], other))
    assert (status, content_type, text) == (409, SIZE_CONTENT_TYPE, f"{new_size}\n")
    [fork] = mirror_store.forks(b.node.db, a.node.config.origin)
    assert fork.kind == "same-size" and verify_evidence(fork.evidence).conclusive
    assert mirror_store.mirror(b.node.db, a.node.config.origin).forked
    # A forked log is not cosigned any more.
    assert (await post(b.url, format_add_checkpoint(new_size, [], new_note)))[0] == 409


async def test_a_checkpoint_older_than_the_mirror_must_match_its_entries(pair):
    a, b = pair
    await with_client(b.home, lambda n, c: sync_peer(n, c, a.url))
    held = mirror_store.mirror(b.node.db, a.node.config.origin)
    # Signed by A's real key, for a size B holds entries for, with a root they do not give.
    lie = a.node.note_signer.sign(format_checkpoint(Checkpoint(a.node.config.origin, held.size - 2, bytes(32))))
    status, _, _ = await post(b.url, format_add_checkpoint(0, [], lie))
    assert status == 409
    [fork] = mirror_store.forks(b.node.db, a.node.config.origin)
    assert fork.kind == "prefix"
    verdict = verify_evidence(fork.evidence)
    assert verdict.proven and verdict.conclusive, verdict.reason
    assert base64.b64decode(fork.evidence["impliedRoot"]) != bytes(32)
