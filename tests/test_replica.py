"""Checking pages of another node's log: keys the log publishes, and pages that must fail."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fedcommons.errors import IntegrityError
from fedcommons.ld.canonical import canonicalize
from fedcommons.log.merkle import Frontier, leaf_hash
from fedcommons.log.replica import ReplicaChecker
from fedcommons.sig.keys import ed25519_public_multibase
from fedcommons.sig.proof import create_proof

PEER = "http://peer.example"
NODE = f"{PEER}/actor"
ALICE = f"{PEER}/users/alice"
STRANGER = "http://other.example/users/x"
WHEN = "2025-01-01T00:00:00Z"
KEYS = {name: Ed25519PrivateKey.from_private_bytes(bytes([n]) * 32)
        for n, name in enumerate(["node", "alice", "stranger", "mallory"], start=1)}


def describe(actor_id: str, key) -> dict:
    return {"id": actor_id, "type": "Person", "assertionMethod": [{
        "id": f"{actor_id}#ed25519-key", "type": "Multikey", "controller": actor_id,
        "publicKeyMultibase": ed25519_public_multibase(key.public_key())}]}


def signed(activity: dict, key, method: str) -> dict:
    return create_proof(activity, key, method, created=WHEN)


def create(n: int, actor: str, obj: dict, key_name: str, method: str) -> dict:
    return signed({"id": f"{PEER}/activities/{n}", "type": "Create", "actor": actor, "object": obj},
                  KEYS[key_name], method)


def note(n: int, actor: str, key_name: str, method: str) -> dict:
    return signed({"id": f"{actor}/notes/{n}", "type": "Like", "actor": actor, "object": f"{PEER}/x/{n}"},
                  KEYS[key_name], method)


def page(activities, start=0) -> dict:
    return {"hashEncoding": "base64", "entries": [
        {"index": start + i, "leafHash": base64.b64encode(leaf_hash(canonicalize(a))).decode(), "activity": a}
        for i, a in enumerate(activities)]}


def log() -> list[dict]:
    return [
        create(0, NODE, describe(NODE, KEYS["node"]), "node", f"{NODE}#ed25519-key"),
        create(1, NODE, describe(ALICE, KEYS["alice"]), "node", f"{NODE}#ed25519-key"),
        note(2, ALICE, "alice", f"{ALICE}#ed25519-key"),
        note(3, STRANGER, "stranger", f"{STRANGER}#ed25519-key"),
        # The peer cannot vouch for another server's key: it is not learnt...
        create(4, NODE, describe(STRANGER, KEYS["mallory"]), "node", f"{NODE}#ed25519-key"),
        # ...so this entry, "signed" with it, stays unchecked rather than trusted.
        note(5, STRANGER, "mallory", f"{STRANGER}#ed25519-key"),
    ]


def checker() -> ReplicaChecker:
    return ReplicaChecker.start(PEER, NODE, KEYS["node"].public_key())


def test_keys_published_in_the_log_verify_later_entries_even_within_one_page():
    check = checker()
    entries = log()
    checked = check.check_page(page(entries), 0, len(entries))
    assert (checked.proofs, checked.unchecked) == (4, 2)
    assert [key_id for _, key_id, _ in checked.keys] == [f"{NODE}#ed25519-key", f"{ALICE}#ed25519-key"]
    check.accept(checked)
    assert check.frontier.size == len(entries)


def test_a_page_that_fails_leaves_the_checker_as_it_was():
    check = checker()
    entries = log()
    check.accept(check.check_page(page(entries[:2]), 0, 2))
    before = (check.frontier, dict(check.keys))
    forged = note(6, ALICE, "mallory", f"{ALICE}#ed25519-key")
    with pytest.raises(IntegrityError, match="does not verify"):
        check.check_page(page(entries[2:4] + [forged], 2), 2, 3)
    assert (check.frontier, check.keys) == before


@pytest.mark.parametrize("make, message", [
    (lambda e: note(2, ALICE, "alice", f"{ALICE}#other-key"), "never published"),
    (lambda e: {k: v for k, v in note(2, ALICE, "alice", f"{ALICE}#ed25519-key").items() if k != "proof"},
     "without a Data Integrity proof"),
    (lambda e: "not an object", "neither an object nor null"),
])
def test_entries_of_the_peers_own_actors_must_be_signed_with_published_keys(make, message):
    check = checker()
    check.accept(check.check_page(page(log()[:2]), 0, 2))
    bad = page([log()[2]], 2)
    bad["entries"][0]["activity"] = make(None)
    if isinstance(bad["entries"][0]["activity"], dict):
        bad["entries"][0]["leafHash"] = base64.b64encode(leaf_hash(canonicalize(make(None)))).decode()
    with pytest.raises(IntegrityError, match=message):
        check.check_page(bad, 2, 1)


def test_page_shape_is_checked():
    entries = log()[:3]
    check = checker()
    with pytest.raises(IntegrityError, match="expected 4"):
        check.check_page(page(entries), 0, 4)
    with pytest.raises(IntegrityError, match="2 were asked"):
        check.check_page(page(entries), 0, 2)
    with pytest.raises(IntegrityError, match="skipped or repeated"):
        check.check_page(page(entries, start=1), 0, 3)
    with pytest.raises(IntegrityError, match="base64"):
        check.check_page({**page(entries), "hashEncoding": "hex"}, 0, 3)
    broken = page(entries)
    broken["entries"][1]["leafHash"] = "AAAA"
    with pytest.raises(IntegrityError, match="32"):
        check.check_page(broken, 0, 3)


def test_a_redacted_entry_adds_its_leaf_hash_alone():
    check = checker()
    entries = log()[:3]
    served = page(entries)
    served["entries"][2]["activity"] = None
    checked = check.check_page(served, 0, 3)
    assert checked.redacted == 1 and checked.entries[2][2] is None
    expected = Frontier.empty()
    for activity in entries:
        expected.append(leaf_hash(canonicalize(activity)))
    assert checked.frontier == expected


def test_stored_bytes_are_checked_the_same_way():
    check = checker()
    entries = log()
    stored = [(i, leaf_hash(canonicalize(a)), canonicalize(a)) for i, a in enumerate(entries)]
    assert check.check_entries(stored, 0).proofs == 4
    stored[2] = (2, stored[2][1], stored[2][2].replace(b"Like", b"Bike"))
    with pytest.raises(IntegrityError, match="leaf hash"):
        check.check_entries(stored, 0)


def test_a_context_equal_to_a_shared_one_but_spelled_differently_still_round_trips():
    # Python finds 1 == True, JCS does not: the shared copy must not change the bytes.
    first = {"@context": [{"flag": True}], "id": f"{STRANGER}/1", "type": "Note", "actor": STRANGER}
    second = {"@context": [{"flag": 1}], "id": f"{STRANGER}/2", "type": "Note", "actor": STRANGER}
    checked = checker().check_page(page([first, second]), 0, 2)
    assert checked.entries[1][2] == canonicalize(second) and b'"flag":1' in checked.entries[1][2]


def test_pages_examined_elsewhere_with_older_keys_are_settled_in_order():
    import json

    from fedcommons.log.replica import examine_page

    check = checker()
    entries = log()
    known = check.key_material()  # taken before the first page taught alice's key
    first = examine_page(json.dumps(page(entries[:2])).encode(), 0, 2, PEER, known)
    second = examine_page(json.dumps(page(entries[2:4], 2)).encode(), 2, 2, PEER, known)
    assert second[0].pending == f"{ALICE}#ed25519-key" and not second[0].verified
    check.accept(check.settle(first, 0))
    checked = check.settle(second, 2)
    assert (checked.proofs, checked.unchecked) == (1, 1)
    forged = note(2, ALICE, "mallory", f"{ALICE}#ed25519-key")
    late = examine_page(json.dumps(page([forged], 2)).encode(), 2, 1, PEER, known)
    with pytest.raises(IntegrityError, match="does not verify"):
        check.settle(late, 2)
    with pytest.raises(IntegrityError, match="not valid JSON"):
        examine_page(b'{"entries": [', 2, 1, PEER, known)
