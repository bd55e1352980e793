"""A second implementation of the standing methods and the payout split, written from
docs/methods.md alone.

Plain Python (no numpy, nothing from fedcommons.standing or fedcommons.payout but
parameter validation): it reads log entries, applies the counting rules, the arithmetic
and the rounding as the spec words them, and gives the rows of a Standing; and it splits
a payout by the spec's policies, constraints and rounding. tests/test_method_vectors.py
holds it to every vector, which shows the spec is precise enough to reproduce them.

A few small readers (timestamps, references, the standingMethod check) come out close to
the node's own: that is the spec saying one thing, written twice on purpose. Importing
the node's versions would make this a test of the code against itself.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from fedcommons.errors import BadInput
from fedcommons.standing.parameters import read_parameters

_CONSTANTS = json.loads((Path(__file__).resolve().parent.parent / "docs" / "vectors" /
                         "half-power-constants.json").read_text())
_T = [float.fromhex(t) for t in _CONSTANTS["TABLE"]]
_C = [float.fromhex(c) for c in _CONSTANTS["COEFFICIENTS"]]
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_MISSING = object()


def instant(value) -> int | None:
    """Conventions: an ISO 8601 timestamp as integer microseconds, naive meaning UTC."""
    if type(value) is not str:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def ref(value) -> str | None:
    if type(value) is str:
        return value or None
    if type(value) is dict:
        ident = value.get("id")
        return ident if type(ident) is str and ident else None
    if type(value) is list and len(value) == 1:
        return ref(value[0])
    return None


def has_type(value, name: str) -> bool:
    return value == name or (type(value) is list and name in value)


def plain_decimal(value) -> Decimal | None:
    if type(value) is int:
        return Decimal(value)
    if type(value) is float:
        return Decimal(repr(value)) if math.isfinite(value) else None
    if type(value) is str and _DECIMAL.match(value):
        return Decimal(value)
    return None


@dataclass
class Facts:
    contributions: list  # (id, contributor, kind, minutes, time)
    records: list  # (published, order key, kind, actor, fields)
    decisions: list  # (object, actor, time, is_reject)
    likes: list  # (id or None, actor, object, millionths, time)
    undos: list  # (actor, time, like id or None, object or None)


def read(entries: list[dict], pool: str) -> Facts:
    """Reading a pool's log."""
    facts = Facts([], [], [], [], [])
    names = ("Create", "Update", "Accept", "Reject", "Like", "Undo")
    for entry in entries:
        kind = entry.get("type")
        if type(kind) is list:
            kind = next((k for k in kind if k in names), None)
        obj = entry.get("object")
        if kind == "Create" and type(obj) is dict and has_type(obj.get("type"), "Contribution"):
            _contribution(facts, entry, obj, pool)
        elif kind in ("Create", "Update") and type(obj) is dict and obj.get("id") == pool and (
                kind == "Update" or has_type(obj.get("type"), "CommonPool")):
            actor, published = ref(entry.get("actor")), instant(entry.get("published"))
            if actor and published is not None:
                fields = {k: obj[k] for k in ("stewards", "standingMethod") if k in obj}
                key = json.dumps({"kind": kind, "published": published, "actor": actor, **fields},
                                 sort_keys=True, separators=(",", ":"))
                facts.records.append((published, key, kind, actor, fields))
        elif kind in ("Accept", "Reject"):
            if type(obj) is dict and "type" in obj and not has_type(obj["type"], "Contribution"):
                continue
            target, actor, time = ref(obj), ref(entry.get("actor")), instant(entry.get("published"))
            if target and actor and time is not None:
                facts.decisions.append((target, actor, time, kind == "Reject"))
        elif kind == "Like":
            weight = entry.get("weight", _MISSING)
            units = 1_000_000 if weight is _MISSING else None
            amount = None if weight is _MISSING else plain_decimal(weight)
            if amount is not None and 0 < amount <= 10:
                units = round(Fraction(amount) * 1_000_000)  # half to even
                units = units if units >= 1 else None
            target, actor, time = ref(obj), ref(entry.get("actor")), instant(entry.get("published"))
            if target and actor and time is not None and units is not None:
                ident = entry.get("id")
                facts.likes.append((ident if type(ident) is str else None, actor, target, units, time))
        elif kind == "Undo":
            actor, time = ref(entry.get("actor")), instant(entry.get("published"))
            if not actor or time is None:
                continue
            if type(obj) is str:
                facts.undos.append((actor, time, obj, None))
            elif type(obj) is dict and ("type" not in obj or has_type(obj["type"], "Like")):
                if type(obj.get("id")) is str:
                    facts.undos.append((actor, time, obj["id"], None))
                elif ref(obj.get("object")):
                    facts.undos.append((actor, time, None, ref(obj.get("object"))))
    return facts


def _contribution(facts: Facts, entry: dict, obj: dict, pool: str) -> None:
    cid = obj.get("id")
    if obj.get("receiver") != pool or type(cid) is not str or not cid:
        return
    provider, attributed = ref(obj.get("provider")), ref(obj.get("attributedTo"))
    if provider and attributed and provider != attributed:
        return
    who = provider or attributed
    if not who or ref(entry.get("actor")) not in (who, pool):
        return
    if obj.get("action") is not None and obj["action"] != "work":
        return
    time = instant(obj["published"] if obj.get("published") is not None else entry.get("published"))
    if time is None:
        return
    minutes = Decimal(0)
    quantity = obj.get("effortQuantity")
    if quantity is not None:
        unit = quantity.get("hasUnit") if type(quantity) is dict else None
        scale = {"minute": 1, "hour": 60}.get(unit) if type(unit) is str else None
        value = plain_decimal(quantity.get("hasNumericalValue")) if scale else None
        if value is None or not 0 <= value * scale <= 10080:
            return
        minutes = value * scale
    kind = obj.get("kind")
    facts.contributions.append((cid, who, kind if type(kind) is str else "", float(minutes), time))


def _method(value):
    """(method, normalised parameters) of a valid standingMethod, or None."""
    if value is None:
        return "effort/1", read_parameters("effort/1", None).normalized
    if type(value) is not dict:
        return None
    try:
        params = read_parameters(value.get("method"), value.get("parameters"))
    except BadInput:
        return None
    return params.method, params.normalized


def _stewards(value):
    ok = type(value) is list and value and all(type(s) is str and s for s in value)
    return frozenset(value) if ok else None


def states(facts: Facts) -> list[tuple[int, frozenset, tuple]]:
    """The pool's history: (since, stewards, (method, parameters)), oldest first."""
    records = sorted(facts.records, key=lambda r: (r[0], r[1]))
    creates = [r for r in records if r[2] == "Create"]
    if not creates:
        return []
    published, _, _, actor, fields = creates[0]
    method = _method(fields["standingMethod"]) if "standingMethod" in fields else None
    history = [(published, _stewards(fields.get("stewards")) or frozenset([actor]),
                method or _method(None))]
    for when, _, kind, actor, fields in records:
        since, stewards, method = history[-1]
        if kind != "Update" or when < published or actor not in stewards:
            continue
        new_stewards = _stewards(fields.get("stewards")) or stewards
        new_method = (_method(fields["standingMethod"]) if "standingMethod" in fields else None) or method
        if (new_stewards, new_method) != (stewards, method):
            history.append((when, new_stewards, new_method))
    return history


def in_force(history, when: int):
    """The last state that began at or before ``when``, or None."""
    found = None
    for state in history:
        if state[0] <= when:
            found = state
    return found


def counted(facts: Facts, history, as_of: int):
    """What counts at the cut-off: {id: (contributor, kind, minutes, time, validated)} and
    the live endorsements {(endorser, contribution id): millionths}."""
    chosen = {}
    for cid, who, kind, minutes, time in facts.contributions:
        if time <= as_of:
            candidate = (time, who, kind, minutes)
            chosen[cid] = min(chosen.get(cid, candidate), candidate)
    decided = {}
    for target, actor, time, reject in facts.decisions:
        state = in_force(history, time)
        if time > as_of or target not in chosen or state is None:
            continue
        if actor in state[1] and actor != chosen[target][1]:
            decided[target] = max(decided.get(target, (time, reject)), (time, reject))
    validated = {cid for cid, (_, reject) in decided.items() if not reject}
    latest_undo = {}
    for actor, time, like_id, target in facts.undos:
        if time <= as_of and target is not None:
            latest_undo[(actor, target)] = max(latest_undo.get((actor, target), time), time)
    undone_ids = {(actor, like_id) for actor, time, like_id, _ in facts.undos if time <= as_of and like_id}
    live = {}
    for like_id, actor, target, units, time in facts.likes:
        if time > as_of or target not in validated or actor == chosen[target][1]:
            continue
        if (actor, like_id) in undone_ids or time <= latest_undo.get((actor, target), -1 << 62):
            continue
        live[(actor, target)] = max(live.get((actor, target), (time, units)), (time, units))
    rows = {cid: (who, kind, minutes, time, cid in validated) for cid, (time, who, kind, minutes) in chosen.items()}
    return rows, {pair: units for pair, (_, units) in live.items()}


def half_power(x: float) -> float:
    x = min(max(x, 0.0), 1100.0)
    n = math.floor(x)
    s = (x - n) * 64
    j = math.floor(s)
    r = (s - j) / 64
    p = _C[7]
    for k in range(6, -1, -1):
        p = p * r + _C[k]
    return math.ldexp(_T[j] * p, -n)


def scores(entries: list[dict], pool: str, as_of: int, method: str | None, parameters) -> tuple[str, dict, dict]:
    """(method, normalised parameters, score per contributor) for a Standing."""
    facts = read(entries, pool)
    history = states(facts)
    own = in_force(history, as_of)
    if method is None:
        method, parameters = own[2]
    elif parameters is None and method == own[2][0]:
        parameters = own[2][1]
    params = read_parameters(method, parameters)
    rows, endorsements = counted(facts, history, as_of)
    minted: dict[str, list[float]] = {}
    counting = set()
    for cid, (who, kind, minutes, time, validated) in rows.items():
        if not validated or (params.period_start is not None and time < params.period_start) or (
                params.period_end is not None and time >= params.period_end):
            continue
        counting.add(cid)
        value = params.kind_weights.get(kind, params.default_weight) * (minutes / 60)
        if params.half_life_days is not None:
            ref_time = as_of if params.period_end is None else min(as_of, params.period_end)
            age = max(ref_time - time, 0) // 1_000_000
            value = value * half_power(float(age) / (params.half_life_days * 86400))
        minted.setdefault(who, []).append(value)
    seed = {who: math.fsum(values) for who, values in minted.items()}
    if method == "effort/1":
        return method, params.normalized, seed
    return method, params.normalized, _peer_rank(seed, rows, counting, endorsements, params)


def _peer_rank(seed, rows, counting, endorsements, params) -> dict:
    members = sorted(seed)
    total = math.fsum(seed.values())
    if not members or total <= 0:
        return {}
    index = {m: i for i, m in enumerate(members)}
    s = [seed[m] / total for m in members]
    pair: dict[tuple[int, int], int] = {}
    for (endorser, cid), units in endorsements.items():
        if cid in counting and endorser in index:
            key = (index[endorser], index[rows[cid][0]])
            pair[key] = pair.get(key, 0) + units
    out = [0] * len(members)
    for (u, _), w in pair.items():
        out[u] += w
    share, alpha = params.endorsement_share, params.alpha
    matrix: list[dict[int, float]] = [{} for _ in members]
    for (u, v), w in pair.items():
        matrix[v][u] = share * (float(w) / float(out[u]))
    for u in range(len(members)):
        matrix[u][u] = 1 - share if out[u] > 0 else 1.0
    restart, follow = alpha * (1 - alpha), alpha * alpha
    mass = [x * (alpha / (1 + alpha)) for x in s]
    for _ in range(params.max_iterations):
        new = []
        for v in range(len(members)):
            moved = 0.0
            for u in sorted(matrix[v]):
                moved += matrix[v][u] * mass[u]
            new.append(restart * s[v] + follow * moved)
        change = max(abs(a - b) for a, b in zip(new, mass))
        mass = new
        if change <= params.tolerance * max(new):
            break
    total_mass = math.fsum(mass)
    return {m: (mass[i] / total_mass) * total for i, m in enumerate(members)}


def standing_rows(score: dict[str, float]) -> list[dict[str, str]]:
    """From scores to rows: round half to even, drop zeros, order, largest-remainder shares."""
    units = {who: round(Fraction(value) * 10**6) for who, value in score.items()}
    ranked = sorted((w for w, u in units.items() if u > 0), key=lambda w: (-units[w], w))
    total = sum(units[w] for w in ranked)
    parts = {w: divmod(units[w] * 10**9, total) for w in ranked}
    shares = {w: q for w, (q, _) in parts.items()}
    for w in sorted(ranked, key=lambda w: (-parts[w][1], w))[:10**9 - sum(shares.values())]:
        shares[w] += 1
    return [{"contributor": w, "score": f"{units[w] // 10**6}.{units[w] % 10**6:06d}",
             "share": f"{shares[w] // 10**9}.{shares[w] % 10**9:09d}"} for w in ranked]


# -- payouts ------------------------------------------------------------------------------


def payout_weights(policy: str, pools: list[tuple[dict, Fraction]], amount: int,
                   paid: dict[str, int]) -> dict[str, Fraction]:
    """Combining pools and the policies: per-person weights from (Standing, sustain weight)."""
    parts = []
    for standing, weight in pools:
        values = {row["contributor"]: Fraction(row["share"]) for row in standing["standings"]}
        total = sum(values.values())
        if weight > 0 and total > 0:
            parts.append((weight, {who: v / total for who, v in values.items() if v > 0}))
    weights_total = sum(weight for weight, _ in parts)
    combined: dict[str, Fraction] = {}
    for weight, shares in parts:
        for who, share in shares.items():
            combined[who] = combined.get(who, Fraction(0)) + share * weight / weights_total
    total = sum(combined.values())
    shares = {who: c / total for who, c in combined.items()}
    if policy != "balanced":
        return shares
    grand = sum(paid.values()) + amount
    owed = {who: share * grand - paid.get(who, 0) for who, share in shares.items()}
    return {who: w for who, w in owed.items() if w > 0}


def _clamp(value: Fraction, lo: Fraction, hi: Fraction | None) -> Fraction:
    value = max(lo, value)
    return value if hi is None else min(hi, value)


def _solve(f, breakpoints: list[Fraction], amount: int) -> Fraction:
    """An x with f(x) == amount for a non-decreasing piecewise-linear f whose slope
    changes only at ``breakpoints``: find the bracketing breakpoints, then solve the line."""
    points = sorted(set(breakpoints))
    below = Fraction(0)
    for point in points:
        if f(point) >= amount:
            if f(point) == amount:
                return point
            break
        below = point
    else:
        # Past the last breakpoint f grows linearly without bound: double until it passes.
        point = below + 1
        for _ in range(4096):
            if f(point) >= amount:
                break
            point = point * 2
    # f is linear on [below, point]: interpolate.
    return below + (amount - f(below)) * (point - below) / (f(point) - f(below))


def box(targets: list[Fraction], amount: int, lo: Fraction, hi: Fraction | None) -> list[Fraction]:
    """clamp(t_i × s, lo, hi) with the one s that pays ``amount``."""
    n = len(targets)
    if n * lo == amount or (hi is not None and lo == hi):
        return [lo] * n
    if hi is not None and n * hi == amount:
        return [hi] * n
    breakpoints = [lo / t for t in targets] + ([hi / t for t in targets] if hi is not None else [])
    scale = _solve(lambda s: sum(_clamp(t * s, lo, hi) for t in targets), breakpoints, amount)
    return [_clamp(t * scale, lo, hi) for t in targets]


def split(weights: dict[str, Fraction], amount: int, constraints: dict, exponent: int) -> dict[str, int]:
    """The exact split and its rounding to minor units, as docs/methods.md words them."""
    ids = sorted(weights, key=lambda who: (weights[who], who))
    n = len(ids)
    total = sum(weights.values())
    b = Fraction(constraints.get("basicShare", "0"))
    targets = [amount * (b / n + (1 - b) * weights[who] / total) for who in ids]
    minor = 10**exponent
    floor = Fraction(constraints["floor"]) * minor if "floor" in constraints else Fraction(0)
    cap = Fraction(constraints["cap"]) * minor if "cap" in constraints else None
    ratio = Fraction(constraints["maxRatio"]) if "maxRatio" in constraints else None
    exact = box(targets, amount, floor, cap)
    if ratio is not None and max(exact) > ratio * min(exact):
        level = _solve(lambda x: sum(_clamp(t, x, ratio * x) for t in targets),
                       [t for t in targets] + [t / ratio for t in targets], amount)
        if level < floor:
            exact = box(targets, amount, floor, ratio * floor)
        elif cap is not None and ratio * level > cap:
            exact = box(targets, amount, cap / ratio, cap)
        else:
            exact = [_clamp(t, level, ratio * level) for t in targets]
    payouts = _round(exact, targets, ids, amount)
    if ratio is not None and max(payouts) > ratio * min(payouts):
        m = math.ceil(exact[0])
        level = min(max(m, math.ceil(Fraction(-(-amount // n)) / ratio)), amount // n)
        hi = math.floor(ratio * level)
        if cap is not None:
            hi = min(hi, cap)
        payouts = _round(box(targets, amount, Fraction(max(floor, level)), Fraction(hi)), targets, ids, amount)
    return dict(zip(ids, payouts))


def _round(exact: list[Fraction], targets: list[Fraction], ids: list[str], amount: int) -> list[int]:
    floors = [math.floor(p) for p in exact]
    order = sorted(range(len(ids)), key=lambda i: (-(exact[i] - floors[i]), -targets[i], ids[i]))
    for i in order[: amount - sum(floors)]:
        floors[i] += 1
    return floors
