"""The method vectors of docs/vectors: how each document is recomputed, and the cases.

A vector is one JSON file: the inputs (log entries in log order, or the Standing
documents and terms of a payout) and ``expected``, the signed document those inputs give.
:func:`standing_of` and :func:`distribution_of` recompute a document from a vector's
inputs with the project's code, exactly as the node does (services/standing and
services/payouts), except that the JSON-LD ``@context`` and the signing key come from
the vector: the vectors pin the method, not the vocabulary of the day.

Run ``PYTHONPATH=.:tests python tests/support_vectors.py`` from the repository root to
write the files (and SHA256SUMS) again from :func:`standing_cases` and
:func:`distribution_cases`: only when a case is added or a method gets a new version.
tests/test_method_vectors.py fails when an existing vector's output changes.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

from cryptography.hazmat.primitives import serialization

from fedcommons.ld.canonical import canonicalize
from fedcommons.ld.context import activity_context
from fedcommons.log.merkle import Frontier, leaf_hash
from fedcommons.payout import (
    PoolStanding, compute_payouts, constraints_from_json, currency, distribution_document,
    distribution_input, paid_totals, standing_input, standing_shares,
)
from fedcommons.services.payouts.payouts import PayoutOptions, distribution_content
from fedcommons.services.standing.standing import compute, parse_as_of
from fedcommons.sig.keys import ed25519_private_from_multibase, ed25519_private_multibase, ed25519_public_multibase
from fedcommons.sig.proof import create_proof_canonical
from fedcommons.standing import build_ledger

REPO = Path(__file__).resolve().parent.parent
VECTOR_DIR = REPO / "docs" / "vectors"
# Far after every asOf of the vectors: parse_as_of refuses a future asOf.
LATER = datetime(2100, 1, 1, tzinfo=timezone.utc)


# -- recomputing ------------------------------------------------------------------------


def checkpoint_of(entries: list[dict], origin: str, size: int) -> dict:
    """The checkpoint of a log whose first ``size`` entries are ``entries`` (their JCS bytes)."""
    frontier = Frontier.empty()
    for entry in entries[:size]:
        frontier.append(leaf_hash(canonicalize(entry)))
    return {"origin": origin, "treeSize": size, "rootHash": base64.b64encode(frontier.root()).decode("ascii")}


def _sign(document: dict, signer: dict, created: str) -> tuple[dict, bytes]:
    key = ed25519_private_from_multibase(signer["secretKeyMultibase"])
    return create_proof_canonical(document, key, signer["verificationMethod"], created=created)


def standing_of(vector: dict) -> tuple[dict, bytes]:
    """The signed Standing document (and its JCS bytes) a standing vector's inputs give."""
    entries = vector["entries"]
    size = vector.get("treeSize") or len(entries)
    checkpoint = checkpoint_of(entries, vector["origin"], size)
    ledger = build_ledger(copy.deepcopy(entries[:size]), vector["pool"])
    as_of = parse_as_of(vector["asOf"], now=LATER)
    context = vector["context"]
    # standing_document looks the context up at each call; pin it to the vector's.
    with mock.patch("fedcommons.ld.context.activity_context", lambda: copy.deepcopy(context)):
        document, result = compute(ledger, checkpoint, as_of, vector.get("method"), vector.get("parameters"))
    document["attributedTo"] = vector["signer"]["attributedTo"]
    return _sign(document, vector["signer"], result.as_of_text)


def distribution_of(vector: dict, load) -> tuple[dict, bytes]:
    """The signed Distribution a payout vector's inputs give; ``load(name)`` reads another vector."""
    unit = currency(vector["currency"], vector.get("decimals"))
    amount = int(vector["amountMinor"])
    constraints = constraints_from_json(vector["constraints"], unit)
    standings = [(load(s["vector"])["expected"], s["weight"]) for s in vector["standings"]]
    pools = [PoolStanding(doc["pool"], weight, standing_shares(doc)) for doc, weight in standings]
    previous = [load(name)["expected"] for name in vector.get("previous", [])]
    paid = paid_totals(previous, vector["cooperative"], unit) if vector["policy"] == "balanced" else None
    allocation = compute_payouts(vector["policy"], pools, amount, constraints, paid=paid, unit=unit)
    inputs = [standing_input(doc["id"], doc, weight) for doc, weight in standings]
    inputs += [distribution_input(d["id"]) for d in previous]
    core = distribution_document(vector["cooperative"], amount, unit.code, unit.exponent, vector["policy"],
                                 constraints, vector.get("period"), inputs, allocation.payouts,
                                 context=copy.deepcopy(vector["context"]))
    options = PayoutOptions(amount=None, currency=unit.code, policy=vector["policy"], period=vector.get("period"))
    document = {
        "@context": core.pop("@context"),
        "id": vector["id"],
        **core,
        "attributedTo": vector["cooperative"],
        "published": vector["published"],
        "content": distribution_content(vector["displayName"], unit, amount, options, allocation.payouts),
        "to": vector["to"],
        "cc": vector["cc"],
    }
    return _sign(document, vector["signer"], vector["published"])


def recompute(vector: dict, load) -> tuple[dict, bytes]:
    """The document a vector's inputs give, whatever its kind."""
    if vector["kind"] == "standing":
        return standing_of(vector)
    return distribution_of(vector, load)


def read_vector(name: str) -> dict:
    """A vector file of docs/vectors by name (without .json)."""
    return json.loads((VECTOR_DIR / f"{name}.json").read_text("utf-8"))


# -- the cases ---------------------------------------------------------------------------

NODE = "https://node.example"
POOL = f"{NODE}/pools/garden"
LIBRARY = f"{NODE}/pools/library"
ORIGIN = "node.example/log"
STEWARD, STEWARD2 = f"{NODE}/users/sam", f"{NODE}/users/tess"
ALICE, BOB, CAROL, DAVE = (f"{NODE}/users/{n}" for n in ("alice", "bob", "carol", "dave"))
COOP = f"{NODE}/coops/bakery"


def _key(index: int) -> str:
    pem = (REPO / "tests" / "keys" / f"ed25519-{index}.pem").read_bytes()
    return ed25519_private_multibase(serialization.load_pem_private_key(pem, password=None))


def _signer(index: int, actor: str, key_id: str) -> dict:
    secret = _key(index)
    public = ed25519_public_multibase(ed25519_private_from_multibase(secret).public_key())
    return {"attributedTo": actor, "verificationMethod": key_id, "secretKeyMultibase": secret,
            "publicKeyMultibase": public}


def _at(day: int, time: str = "12:00:00") -> str:
    return f"2024-01-{day:02d}T{time}Z" if day <= 31 else f"2024-02-{day - 31:02d}T{time}Z"


def pool_create(day: int = 1, stewards=(STEWARD,), method: dict | None = None) -> dict:
    obj = {"id": POOL, "type": ["Group", "CommonPool"], "name": "Garden", "stewards": list(stewards)}
    if method is not None:
        obj["standingMethod"] = method
    return {"id": f"{POOL}/activities/create", "type": "Create", "actor": STEWARD, "published": _at(day),
            "object": obj}


def pool_update(tag: str, day: int, actor: str = STEWARD, *, stewards=None, method=None) -> dict:
    obj = {"id": POOL, "type": ["Group", "CommonPool"]}
    if stewards is not None:
        obj["stewards"] = list(stewards)
    if method is not None:
        obj["standingMethod"] = method
    return {"id": f"{POOL}/activities/update-{tag}", "type": "Update", "actor": actor, "published": _at(day),
            "object": obj}


def contribution(cid: str, who: str, day: int, minutes: int | None = 60, *, kind: str = "code",
                 unit: str = "minute", time: str = "12:00:00") -> dict:
    obj = {"id": f"{POOL}/contributions/{cid}", "type": "Contribution", "attributedTo": who, "provider": who,
           "receiver": POOL, "action": "work", "kind": kind, "published": _at(day, time)}
    if minutes is not None:
        obj["effortQuantity"] = {"type": "Measure", "hasUnit": unit, "hasNumericalValue": minutes}
    return {"id": f"{POOL}/contributions/{cid}/create", "type": "Create", "actor": who,
            "published": _at(day, time), "object": obj}


def decide(cid: str, day: int, actor: str = STEWARD, *, verdict: str = "Accept", time: str = "12:00:00") -> dict:
    return {"id": f"{NODE}/activities/{verdict.lower()}-{cid}-{day}-{actor.rsplit('/', 1)[-1]}",
            "type": verdict, "actor": actor, "object": f"{POOL}/contributions/{cid}", "published": _at(day, time)}


def like(cid: str, who: str, day: int, weight=None, *, tag: str = "") -> dict:
    activity = {"id": f"{who}/likes/{cid}{tag}", "type": "Like", "actor": who,
                "object": f"{POOL}/contributions/{cid}", "published": _at(day)}
    if weight is not None:
        activity["weight"] = weight
    return activity


def undo(liked: dict, day: int, *, embed_id: bool = True, actor: str | None = None) -> dict:
    inner = {"type": "Like", "actor": liked["actor"], "object": liked["object"]}
    if embed_id:
        inner["id"] = liked["id"]
    return {"id": f"{liked['id']}/undo-{day}", "type": "Undo", "actor": actor or liked["actor"],
            "published": _at(day), "object": inner}


def _standing(name: str, description: str, entries: list[dict], as_of: str, pool: str = POOL,
              **inputs) -> tuple[str, dict]:
    if pool != POOL:  # the same facts in another pool of the node
        entries = json.loads(json.dumps(entries).replace(POOL, pool))
    vector = {"description": description, "kind": "standing", "pool": pool, "origin": ORIGIN,
              "asOf": as_of, "method": None, "parameters": None, "treeSize": None, **inputs,
              "entries": entries}
    return name, vector


def standing_cases() -> list[tuple[str, dict]]:
    """Every standing vector (name, inputs)."""
    care = {"method": "effort/1", "parameters": {"kindWeights": {"care": 1.5}}}
    basic = [
        pool_create(method=care),
        contribution("a1", ALICE, 2, 150),
        contribution("b1", BOB, 3, 90, kind="care"),
        contribution("c1", CAROL, 4, 60),
        decide("a1", 5), decide("b1", 5),
    ]
    ties = [pool_create()] + [e for who, c in ((ALICE, "a"), (BOB, "b"), (CAROL, "c"))
                              for e in (contribution(c, who, 2), decide(c, 3))]
    peers = [
        pool_create(method={"method": "peer-rank/1"}),
        contribution("a1", ALICE, 2, 120), contribution("b1", BOB, 2, 60), contribution("c1", CAROL, 3, 30),
        decide("a1", 4), decide("b1", 4), decide("c1", 4),
        like("b1", ALICE, 5), like("a1", CAROL, 5, "2.5"), like("a1", BOB, 6), like("c1", BOB, 6, 0.5),
    ]
    liked_by_id = like("b1", CAROL, 5)
    liked_embedded = like("c1", ALICE, 5, 2)
    redone = like("a1", BOB, 7, tag="-again")
    undone_first = like("a1", BOB, 5)
    cases = [
        _standing("effort-basic", "effort/1 with a kind weight set in the pool's Create: two validated "
                  "contributions count, a pending one does not; asOf a date means the end of that day.",
                  basic, "2024-01-31"),
        _standing("effort-arrival-order", "The entries of effort-basic in reverse log order (Accepts before "
                  "the Creates they decide, the pool's Create last) give the same standings.",
                  list(reversed(basic)), "2024-01-31"),
        _standing("effort-tree-size", "treeSize 4: only the first four entries of effort-basic are read, so "
                  "no contribution is validated yet and the standings are empty.", basic, "2024-01-31",
                  treeSize=4),
        _standing("effort-decisions", "Decisions: alice's work accepted then rejected later (rejected); "
                  "bob's rejected then accepted (validated); carol's accepted and rejected at the same "
                  "instant (Reject wins); dave's accepted by a non-steward (pending).",
                  [pool_create(),
                   contribution("a1", ALICE, 2), contribution("b1", BOB, 2, 90), contribution("c1", CAROL, 2),
                   contribution("d1", DAVE, 2, 45),
                   decide("a1", 3), decide("a1", 8, verdict="Reject"),
                   decide("b1", 3, verdict="Reject"), decide("b1", 8),
                   decide("c1", 3), decide("c1", 3, verdict="Reject"),
                   decide("d1", 3, ALICE)],
                  "2024-01-20T00:00:00Z"),
        _standing("effort-self-validation", "A steward's Accept of their own work counts for nothing; a "
                  "second steward's does. An Accept published before the contribution counts. A steward "
                  "removed by an Update no longer validates after it.",
                  [pool_create(stewards=(STEWARD, STEWARD2)),
                   contribution("s1", STEWARD, 2, 120), decide("s1", 3, STEWARD),
                   contribution("s2", STEWARD, 2, 30), decide("s2", 3, STEWARD), decide("s2", 4, STEWARD2),
                   decide("a1", 2, STEWARD2, time="08:00:00"), contribution("a1", ALICE, 2, 60, time="09:00:00"),
                   pool_update("stewards", 5, stewards=(STEWARD,)),
                   contribution("b1", BOB, 6, 60), decide("b1", 7, STEWARD2)],
                  "2024-01-20"),
        _standing("effort-withdrawal", "A Delete of a contribution (its author withdrawing it) is not read "
                  "by effort/1: the contribution stays pending and counts once a steward accepts it.",
                  [pool_create(), contribution("a1", ALICE, 2, 60), contribution("b1", BOB, 2, 60),
                   {"id": f"{ALICE}/activities/delete-a1", "type": "Delete", "actor": ALICE,
                    "object": f"{POOL}/contributions/a1", "published": _at(3)},
                   decide("a1", 4), decide("b1", 4)],
                  "2024-01-20"),
        _standing("effort-reading", "Which Creates are contributions: a claim the pool recorded (actor is "
                  "the pool) counts; more than a week of effort, an action other than work, an actor who is "
                  "neither contributor nor pool, and provider and attributedTo disagreeing are skipped; of "
                  "two Creates of one id the earlier counts.",
                  [pool_create(), _as_pool(contribution("a1", ALICE, 2, 90)), contribution("b1", BOB, 2, 10081),
                   _with(contribution("c1", CAROL, 2), action="review"), _by(contribution("d1", DAVE, 2), ALICE),
                   _with(contribution("e1", ALICE, 2), attributedTo=BOB),
                   contribution("f1", BOB, 3, 45), contribution("f1", BOB, 2, 30, time="11:00:00"),
                   *(decide(c, 4) for c in ("a1", "b1", "c1", "d1", "e1", "f1"))],
                  "2024-01-10"),
        _standing("effort-ties", "Three equal scores: rows by contributor URL; the one share unit left "
                  "over goes to the smallest URL.", ties, "2024-01-10"),
        _standing("effort-empty-pool", "A pool with only a pending contribution and a zero-effort one: "
                  "nobody has a positive rounded score, so there are no rows.",
                  [pool_create(), contribution("a1", ALICE, 2), contribution("b1", BOB, 2, None), decide("b1", 3)],
                  "2024-01-10"),
        _standing("effort-method-change-before", "The pool switches to kind weights and a half-life on "
                  "day 10 (a non-steward's Update on day 8 is ignored); asOf day 9: the old method.",
                  _method_change(), "2024-01-09T23:00:00Z"),
        _standing("effort-method-change-after", "The same log asOf day 20: the new method applies to the "
                  "whole history, not only to work after the change.",
                  _method_change(), "2024-01-20T06:30:00.250000Z"),
        _standing("effort-decay", "effort/1 asked for by name with halfLifeDays 30 (as the recent policy "
                  "does): work counts half after 30 days; ages are whole seconds.",
                  [pool_create(), contribution("a1", ALICE, 1, 120), contribution("b1", BOB, 31, 90),
                   contribution("c1", CAROL, 46, 60, unit="minute"),
                   decide("a1", 2), decide("b1", 32), decide("c1", 47)],
                  "2024-03-01T12:00:00Z", method="effort/1", parameters={"halfLifeDays": 30}),
        _standing("effort-period", "effort/1 restricted to January 2024, [periodStart, periodEnd), as the "
                  "immediate policy asks for it; hours given as a decimal string.",
                  [pool_create(), contribution("a1", ALICE, 31, "1.25", unit="hour", time="23:59:59"),
                   contribution("a2", ALICE, 32, 600, time="00:00:00"), contribution("b1", BOB, 10, 45),
                   contribution("c1", CAROL, 12, 20), decide("a1", 33), decide("a2", 33), decide("b1", 33),
                   decide("c1", 33)],
                  "2024-02-05", method="effort/1",
                  parameters={"periodStart": "2024-01-01", "periodEnd": "2024-02-01"}),
        _standing("peer-rank-basic", "peer-rank/1 with default parameters: endorsements with weights 1, "
                  "\"2.5\" and 0.5 move standing between the three contributors (in the pool library).", peers, "2024-01-31",
                  pool=LIBRARY),
        _standing("peer-rank-no-endorsements", "peer-rank/1 on effort-basic's log (asked for by name, so "
                  "with its defaults): without endorsements it equals effort/1 with default weights.",
                  basic, "2024-01-31", method="peer-rank/1"),
        _standing("peer-rank-undo", "Undo: by an embedded Like with its id, by an embedded Like without "
                  "id (undoes the actor's Likes of that object published up to the Undo), a Like sent "
                  "again after its Undo counts, and an Undo by someone else is ignored.",
                  peers[:8] + [liked_by_id, undo(liked_by_id, 6), liked_embedded, undo(liked_embedded, 6, embed_id=False),
                               undone_first, undo(undone_first, 6), redone,
                               like("c1", BOB, 5), undo(like("c1", BOB, 5), 6, actor=CAROL)],
                  "2024-01-31"),
        _standing("peer-rank-self-and-outsiders", "Ignored endorsements: alice's Like of her own work, "
                  "dave's (no validated work, so outside the graph), a Like of a pending contribution, "
                  "weights 0 and 11; the one that counts is carol's latest Like of b1 (weight 3).",
                  peers[:8] + [like("a1", ALICE, 5), like("b1", DAVE, 5, 10), contribution("d1", DAVE, 5),
                               like("d1", ALICE, 6), like("b1", CAROL, 5, 0, tag="-0"),
                               like("b1", CAROL, 5, 11, tag="-11"), like("b1", CAROL, 6, 1, tag="-1"),
                               like("b1", CAROL, 7, 3, tag="-3")],
                  "2024-01-31"),
        _standing("peer-rank-ties", "Two contributors with equal work endorse each other: equal scores, "
                  "rows by URL; decayed with halfLifeDays 10 and tolerance 1e-9.",
                  [pool_create(method={"method": "peer-rank/1",
                                       "parameters": {"halfLifeDays": 10, "tolerance": 1e-9}}),
                   contribution("a1", ALICE, 2), contribution("b1", BOB, 2), decide("a1", 3), decide("b1", 3),
                   contribution("c1", CAROL, 4, 30), decide("c1", 5),
                   like("b1", ALICE, 6), like("a1", BOB, 6)],
                  "2024-01-31"),
    ]
    return cases


def _as_pool(entry: dict) -> dict:
    return {**entry, "actor": POOL}


def _by(entry: dict, actor: str) -> dict:
    return {**entry, "actor": actor}


def _with(entry: dict, **fields) -> dict:
    return {**entry, "object": {**entry["object"], **fields}}


def _method_change() -> list[dict]:
    new = {"method": "effort/1", "parameters": {"kindWeights": {"care": 2, "code": 1}, "halfLifeDays": 7,
                                                "defaultWeight": 0.5}}
    return [pool_create(), contribution("a1", ALICE, 2, 60), contribution("b1", BOB, 3, 60, kind="care"),
            contribution("c1", CAROL, 4, 60, kind="design"), decide("a1", 5), decide("b1", 5), decide("c1", 5),
            pool_update("ignored", 8, ALICE, method={"method": "peer-rank/1"}),
            pool_update("method", 10, method=new), contribution("a2", ALICE, 12, 30), decide("a2", 13)]


def _distribution(name: str, description: str, **inputs) -> tuple[str, dict]:
    vector = {"description": description, "kind": "distribution", "cooperative": COOP,
              "displayName": "Bakery Co-op", "currency": "EUR", "decimals": None, "period": None,
              "id": f"{COOP}/distributions/{name}", "to": ["https://www.w3.org/ns/activitystreams#Public"],
              "cc": [f"{COOP}/followers", f"{POOL}/followers", f"{LIBRARY}/followers"], **inputs}
    return name, vector


def distribution_cases() -> list[tuple[str, dict]]:
    """Every distribution vector (name, inputs); they cite standing vectors by name."""
    return [
        _distribution("payout-immediate", "immediate: 1000.00 EUR for January 2024 by effort-period's "
                      "standing, within the default max ratio 8.",
                      policy="immediate", period="2024-01", amountMinor=100000, constraints={"maxRatio": "8"},
                      standings=[{"vector": "effort-period", "weight": "1"}], published="2024-02-05T09:00:00Z"),
        _distribution("payout-recent", "recent: 500.00 EUR by effort-decay's decayed standing, no ratio.",
                      policy="recent", amountMinor=50000, constraints={},
                      standings=[{"vector": "effort-decay", "weight": "1"}], published="2024-03-01T13:00:00Z"),
        _distribution("payout-balanced", "balanced: 300.00 EUR by effort-basic's lifetime standing, after "
                      "payout-immediate paid alice and bob; max ratio 8.",
                      policy="balanced", amountMinor=30000, constraints={"maxRatio": "8"},
                      standings=[{"vector": "effort-basic", "weight": "1"}], previous=["payout-immediate"],
                      published="2024-02-06T09:00:00Z"),
        _distribution("payout-ratio-floor-share", "Two pools with sustain weights 2 and 1, a basic share "
                      "0.1, a floor of 150.00 and max ratio 3: the floor and the ratio bind.",
                      policy="immediate", period="2024-01", amountMinor=100000,
                      constraints={"maxRatio": "3", "floor": "150.00", "basicShare": "0.1"},
                      standings=[{"vector": "effort-basic", "weight": "2"}, {"vector": "peer-rank-basic", "weight": "1"}],
                      published="2024-02-07T09:00:00Z"),
        _distribution("payout-ratio-rounding", "100.01 EUR among three with max ratio 1.5: the ratio binds, "
                      "and rounding the exact split would break it, so the whole-unit re-solve runs.",
                      policy="immediate", period="2024-01", amountMinor=10001, constraints={"maxRatio": "1.5"},
                      standings=[{"vector": "peer-rank-basic", "weight": "1"}], published="2024-02-08T09:00:00Z"),
        _distribution("payout-cap", "A cap of 35.00 binds: the excess goes to the one below it.",
                      policy="immediate", period="2024-01", amountMinor=10001,
                      constraints={"maxRatio": "1.5", "cap": "35.00"},
                      standings=[{"vector": "peer-rank-basic", "weight": "1"}], published="2024-02-08T10:00:00Z"),
        _distribution("payout-yen", "A currency without minor unit (JPY): 10000 yen by effort-ties' equal "
                      "standing, largest remainder to the smallest URL.",
                      policy="immediate", period="2024-01", amountMinor=10000, currency="JPY",
                      constraints={"maxRatio": "8"},
                      standings=[{"vector": "effort-ties", "weight": "1"}], published="2024-02-09T09:00:00Z"),
    ]


def half_power_constants() -> dict:
    """The constants of 0.5 ** x (numeric.half_power) as hexadecimal floats, exact."""
    from fedcommons.standing import numeric  # private constants, read for the record only

    return {
        "description": "effort/1 decay: TABLE[j] is 2**(-j/64) and COEFFICIENTS[k] is (-ln 2)**k / k!, "
                       "each computed at 40 significant decimal digits and rounded to the nearest double, "
                       "written as C99 hexadecimal floats (Python: float.fromhex).",
        "TABLE": [float(t).hex() for t in numeric._TABLE],
        "COEFFICIENTS": [float(c).hex() for c in numeric._COEFFICIENTS],
    }


def write_all() -> list[str]:
    """Write every vector file with its expected output; returns the names written."""
    context = activity_context()
    node_signer = _signer(0, f"{NODE}/actor", f"{NODE}/actor#ed25519-key")
    coop_signer = _signer(1, COOP, f"{COOP}#ed25519-key")
    VECTOR_DIR.mkdir(parents=True, exist_ok=True)
    (VECTOR_DIR / "half-power-constants.json").write_text(json.dumps(half_power_constants(), indent=2) + "\n")
    written: dict[str, dict] = {}
    for name, vector in standing_cases() + distribution_cases():
        vector["context"] = context
        vector["signer"] = node_signer if vector["kind"] == "standing" else coop_signer
        document, body = recompute(vector, lambda other: written[other])
        vector["expected"] = document
        vector["expectedSha256"] = hashlib.sha256(body).hexdigest()
        written[name] = vector
        (VECTOR_DIR / f"{name}.json").write_text(json.dumps(vector, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (VECTOR_DIR / "SHA256SUMS").write_text(manifest())
    return list(written)


def manifest() -> str:
    """``sha256sum``-style lines for every JSON file of docs/vectors, sorted by name."""
    lines = [f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n"
             for path in sorted(VECTOR_DIR.glob("*.json"))]
    return "".join(lines)


if __name__ == "__main__":
    names = write_all()
    print(f"wrote {len(names)} vectors to {VECTOR_DIR}", file=sys.stderr)
