"""docs/vectors: every Standing and Distribution recomputed byte for byte, and every
Standing recomputed again by a second implementation written from docs/methods.md.

A vector's expected document must equal, byte for byte in JCS, what the project's code
computes from the vector's inputs; the files must match docs/vectors/SHA256SUMS, so an
edited vector fails too. A change in what a method computes needs a new method id.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
from fractions import Fraction

import pytest

from fedcommons.ld.canonical import canonicalize
from fedcommons.payout import currency
from fedcommons.services.standing.standing import compute, parse_as_of
from fedcommons.sig.keys import ed25519_public_from_multibase
from fedcommons.sig.proof import verify_proof
from fedcommons.standing import build_ledger, numeric
from fedcommons.standing.clock import EPOCH, ONE_MICROSECOND, micros_of
import support_spec
from support_vectors import (
    ALICE, BOB, CAROL, LATER, ORIGIN, POOL, STEWARD, STEWARD2, VECTOR_DIR, contribution, decide, like, manifest,
    pool_create, pool_update, read_vector, recompute, standing_of, undo,
)

NAMES = sorted(path.stem for path in VECTOR_DIR.glob("*.json") if path.stem != "half-power-constants")
STANDINGS = [name for name in NAMES if read_vector(name)["kind"] == "standing"]


def test_there_are_vectors_for_each_method_and_policy():
    kinds = {read_vector(n)["expected"].get("method") or read_vector(n)["expected"]["policy"] for n in NAMES}
    assert kinds == {"effort/1", "peer-rank/1", "immediate", "balanced", "recent"}


def test_files_match_their_recorded_hashes():
    """Editing a vector by hand (or regenerating it) shows up here."""
    assert (VECTOR_DIR / "SHA256SUMS").read_text() == manifest()


@pytest.mark.parametrize("name", NAMES)
def test_vector_recomputes_byte_for_byte(name):
    vector = read_vector(name)
    document, body = recompute(vector, read_vector)
    assert body == canonicalize(vector["expected"])
    assert hashlib.sha256(body).hexdigest() == vector["expectedSha256"]


@pytest.mark.parametrize("name", NAMES)
def test_vector_proof_verifies_and_a_tampered_figure_does_not(name):
    vector = read_vector(name)
    key = ed25519_public_from_multibase(vector["signer"]["publicKeyMultibase"])
    expected = vector["expected"]
    assert verify_proof(expected, key).ok
    tampered = copy.deepcopy(expected)
    rows = tampered.get("standings") or tampered.get("payouts") or []
    if rows:
        field = "share" if "share" in rows[0] else "amount"
        rows[0][field] = rows[0][field][:-1] + ("1" if rows[0][field][-1] != "1" else "2")
    else:
        tampered["asOf"] = "2024-01-01T00:00:00Z"
    assert not verify_proof(tampered, key).ok


def test_an_edited_input_changes_the_output():
    vector = read_vector("effort-basic")
    vector["entries"][1]["object"]["effortQuantity"]["hasNumericalValue"] = 151
    _, body = standing_of(vector)
    assert body != canonicalize(vector["expected"])


@pytest.mark.parametrize("seed", range(5))
def test_any_arrival_order_gives_the_same_standings(seed):
    vector = read_vector("peer-rank-undo")
    random.Random(seed).shuffle(vector["entries"])
    document, _ = standing_of(vector)
    assert document["standings"] == read_vector("peer-rank-undo")["expected"]["standings"]


def test_half_power_constants_are_the_codes():
    constants = json.loads((VECTOR_DIR / "half-power-constants.json").read_text())
    assert [float.fromhex(t) for t in constants["TABLE"]] == numeric._TABLE.tolist()
    assert [float.fromhex(c) for c in constants["COEFFICIENTS"]] == list(numeric._COEFFICIENTS)


# -- a second implementation, from the spec's text ----------------------------------------


@pytest.mark.parametrize("name", STANDINGS)
def test_the_spec_alone_reproduces_each_standing(name):
    """support_spec reads the entries and computes the rows as docs/methods.md words it."""
    vector = read_vector(name)
    expected = vector["expected"]
    entries = vector["entries"][: vector.get("treeSize") or None]
    as_of = micros_of(parse_as_of(vector["asOf"], now=LATER))
    method, parameters, scores = support_spec.scores(entries, vector["pool"], as_of, vector.get("method"),
                                                     vector.get("parameters"))
    assert (method, parameters) == (expected["method"], expected["parameters"])
    assert support_spec.standing_rows(scores) == expected["standings"]


def _random_log(rng: random.Random) -> list[dict]:
    """A small pool log with every kind of fact, in random order: decisions by stewards and
    others, Likes with odd weights and without ids, Undos by id, by object and by others,
    a steward or method change."""
    people = [ALICE, BOB, CAROL, STEWARD, STEWARD2]
    methods = [None, {"method": "peer-rank/1"}, {"method": "effort/1", "parameters": {"halfLifeDays": 5}}]
    entries = [pool_create(day=rng.choice([1, 2]), stewards=rng.choice([(STEWARD,), (STEWARD, STEWARD2)]),
                           method=rng.choice(methods))]
    cids = [f"c{i}" for i in range(rng.randint(1, 6))]
    for cid in cids:
        entries.append(contribution(cid, rng.choice(people), rng.randint(1, 10), rng.choice([30, 60, 90, None, "1.5"]),
                                    kind=rng.choice(["code", "care"]), unit=rng.choice(["minute", "hour"])))
    for _ in range(rng.randint(0, 9)):
        entries.append(decide(rng.choice(cids + ["missing"]), rng.randint(1, 12),
                              rng.choice([STEWARD, STEWARD, STEWARD2, ALICE]),
                              verdict=rng.choice(["Accept", "Accept", "Reject"]),
                              time=rng.choice(["12:00:00", "13:00:00"])))
    for _ in range(rng.randint(0, 8)):
        liked = like(rng.choice(cids), rng.choice(people), rng.randint(1, 12), rng.choice([None, 2, "0.5", 0, 11]),
                     tag=str(rng.randint(0, 2)))
        if rng.random() < 0.3:
            del liked["id"]
        entries.append(liked)
        if rng.random() < 0.3:
            entries.append(undo({"id": "none", **liked}, rng.randint(1, 12),
                                embed_id="id" in liked and rng.random() < 0.5,
                                actor=rng.choice([liked["actor"], liked["actor"], BOB])))
    if rng.random() < 0.5:
        entries.append(pool_update("u", rng.randint(2, 12), rng.choice([STEWARD, ALICE]),
                                   stewards=rng.choice([None, (STEWARD2,), (STEWARD, ALICE)]),
                                   method=rng.choice([None, {"method": "peer-rank/1",
                                                             "parameters": {"endorsementShare": 0.5}}])))
    rng.shuffle(entries)
    return entries


@pytest.mark.parametrize("chunk", range(4))
def test_the_spec_and_the_code_agree_on_random_logs(chunk):
    """Beyond the vectors: 100 random logs per chunk, each under the pool's method and
    under peer-rank/1, give the same method, parameters and rows from both."""
    for seed in range(chunk * 100, chunk * 100 + 100):
        rng = random.Random(seed)
        entries = _random_log(rng)
        as_of = micros_of(parse_as_of(f"2024-01-{rng.randint(3, 14):02d}T{rng.choice(['06', '18'])}:00:00Z",
                                      now=LATER))
        ledger = build_ledger(entries, POOL)
        for method in (None, "peer-rank/1"):
            document, _ = compute(ledger, {"origin": ORIGIN, "treeSize": 1, "rootHash": "-"},
                                  EPOCH + as_of * ONE_MICROSECOND, method)
            spec_method, parameters, scores = support_spec.scores(entries, POOL, as_of, method, None)
            assert (spec_method, parameters, support_spec.standing_rows(scores)) == (
                document["method"], document["parameters"], document["standings"]), (seed, method)


@pytest.mark.parametrize("name", [n for n in NAMES if n not in STANDINGS])
def test_the_spec_alone_reproduces_each_payout(name):
    """support_spec's split (a search over breakpoints, not the node's bracketing) pays the
    same amounts as each distribution vector."""
    vector = read_vector(name)
    unit = currency(vector["currency"], vector.get("decimals"))
    pools = [(read_vector(s["vector"])["expected"], Fraction(s["weight"])) for s in vector["standings"]]
    paid: dict[str, int] = {}
    for earlier in vector.get("previous", []):
        for row in read_vector(earlier)["expected"]["payouts"]:
            paid[row["recipient"]] = paid.get(row["recipient"], 0) + int(Fraction(row["amount"]) * 10**unit.exponent)
    weights = support_spec.payout_weights(vector["policy"], pools, vector["amountMinor"], paid)
    payouts = support_spec.split(weights, vector["amountMinor"], vector["constraints"], unit.exponent)
    expected = {row["recipient"]: row["amount"] for row in vector["expected"]["payouts"]}
    assert {who: unit.to_string(minor) for who, minor in payouts.items()} == expected
