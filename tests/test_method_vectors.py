"""docs/vectors: every Standing and Distribution recomputed byte for byte, and the spec's
arithmetic (docs/methods.md) re-done independently of the numpy code.

A vector's expected document must equal, byte for byte in JCS, what the project's code
computes from the vector's inputs; the files must match docs/vectors/SHA256SUMS, so an
edited vector fails too. A change in what a method computes needs a new method id.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
from fractions import Fraction

import pytest

from fedcommons.ld.canonical import canonicalize
from fedcommons.services.standing.standing import parse_as_of
from fedcommons.sig.keys import ed25519_public_from_multibase
from fedcommons.sig.proof import verify_proof
from fedcommons.standing import build_ledger, numeric
from fedcommons.standing.clock import micros_of
from fedcommons.standing.parameters import read_parameters
from fedcommons.standing.view import VALIDATED, resolve
from support_vectors import LATER, VECTOR_DIR, manifest, read_vector, recompute, standing_of

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


# -- the arithmetic of docs/methods.md, in plain Python floats ---------------------------
#
# Counting (which contributions are validated, which endorsements live) comes from the
# project's view; everything after it is re-done here from the spec's text alone: minted
# values, half_power from the published constants, the peer-rank/1 iteration, rounding
# and shares. Agreement on every vector shows the spec fixes the bits.

_CONSTANTS = json.loads((VECTOR_DIR / "half-power-constants.json").read_text())
_T = [float.fromhex(t) for t in _CONSTANTS["TABLE"]]
_C = [float.fromhex(c) for c in _CONSTANTS["COEFFICIENTS"]]


def _half_power(x: float) -> float:
    x = min(max(x, 0.0), 1100.0)
    n = math.floor(x)
    s = (x - n) * 64
    j = math.floor(s)
    r = (s - j) / 64
    p = _C[7]
    for k in range(6, -1, -1):
        p = p * r + _C[k]
    return math.ldexp(_T[j] * p, -n)


def _spec_scores(vector: dict) -> dict[str, float]:
    expected = vector["expected"]
    params = read_parameters(expected["method"], expected["parameters"])
    ledger = build_ledger(vector["entries"][: vector.get("treeSize") or None], vector["pool"])
    view = resolve(ledger, micros_of(parse_as_of(vector["asOf"], now=LATER)))
    names = view.names
    minted: dict[str, list[float]] = {}
    counting = set()
    for row in range(len(view.contribution)):
        time = int(view.published[row])
        if view.status[row] != VALIDATED:
            continue
        if params.period_start is not None and time < params.period_start:
            continue
        if params.period_end is not None and time >= params.period_end:
            continue
        counting.add(row)
        hours = float(view.minutes[row]) / 60
        weight = params.kind_weights.get(names[view.kind[row]], params.default_weight)
        value = weight * hours
        if params.half_life_days is not None:
            ref = view.as_of if params.period_end is None else min(view.as_of, params.period_end)
            age = max(ref - time, 0) // 10**6
            value = value * _half_power(float(age) / (params.half_life_days * 86400))
        minted.setdefault(names[view.provider[row]], []).append(value)
    seed = {who: math.fsum(values) for who, values in minted.items()}
    if expected["method"] == "effort/1":
        return seed
    members = sorted(seed)
    total = math.fsum(seed[m] for m in members)
    if not members or total <= 0:
        return {}
    index = {m: i for i, m in enumerate(members)}
    s = [seed[m] / total for m in members]
    pair: dict[tuple[int, int], int] = {}
    for endorser, row, weight in zip(view.endorser.tolist(), view.endorsed.tolist(), view.weight.tolist()):
        u = index.get(names[endorser])
        if row in counting and u is not None:
            key = (u, index[names[view.provider[row]]])
            pair[key] = pair.get(key, 0) + weight
    out = [0] * len(members)
    for (u, _), w in pair.items():
        out[u] += w
    share, alpha = params.endorsement_share, params.alpha
    rows: list[dict[int, float]] = [{} for _ in members]
    for (u, v), w in pair.items():
        rows[v][u] = share * (float(w) / float(out[u]))
    for u in range(len(members)):
        rows[u][u] = 1 - share if out[u] > 0 else 1.0
    restart, follow = alpha * (1 - alpha), alpha * alpha
    mass = [x * (alpha / (1 + alpha)) for x in s]
    for _ in range(params.max_iterations):
        new = []
        for v in range(len(members)):
            moved = 0.0
            for u in sorted(rows[v]):
                moved += rows[v][u] * mass[u]
            new.append(restart * s[v] + follow * moved)
        change = max(abs(a - b) for a, b in zip(new, mass))
        mass = new
        if change <= params.tolerance * max(new):
            break
    total_mass = math.fsum(mass)
    return {m: (mass[i] / total_mass) * total for i, m in enumerate(members)}


def _spec_rows(scores: dict[str, float]) -> list[dict[str, str]]:
    # round() of a Fraction is exact and rounds half to even.
    units = {w: round(Fraction(s) * 10**6) for w, s in scores.items()}
    ranked = sorted((w for w, u in units.items() if u > 0), key=lambda w: (-units[w], w))
    total = sum(units[w] for w in ranked)
    parts = {w: divmod(units[w] * 10**9, total) for w in ranked}
    shares = {w: q for w, (q, _) in parts.items()}
    left = 10**9 - sum(shares.values())
    for w in sorted(ranked, key=lambda w: (-parts[w][1], w))[:left]:
        shares[w] += 1
    return [{"contributor": w, "score": f"{units[w] // 10**6}.{units[w] % 10**6:06d}",
             "share": f"{shares[w] // 10**9}.{shares[w] % 10**9:09d}"} for w in ranked]


@pytest.mark.parametrize("name", STANDINGS)
def test_spec_arithmetic_reproduces_the_rows(name):
    vector = read_vector(name)
    assert _spec_rows(_spec_scores(vector)) == vector["expected"]["standings"]
