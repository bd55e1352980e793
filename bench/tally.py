"""Benchmark: the tally of one proposal on a large synthetic pool.

Streams a pool's log as activity dicts (default: 10,000 contributors each with two
validated contributions, one proposal, 4,000 direct votes of which a quarter are changed
later, 5,000 delegations in chains, some taken back, and a few cycles) and times
``tally_log`` over the stream (reading the pool and the governance records, fixing the
electorate, following every chain, deciding), the same work `fedcommons tally` and
`governance verify` do once the log's bytes are parsed. Prints the median of ``--runs``
runs, the counted votes and the peak RSS. Run from the repository root:

    python bench/tally.py
    python bench/tally.py --people 2000 --runs 3
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, peak_rss_mb  # noqa: E402
from fedcommons.governance.tally import tally_log  # noqa: E402
from fedcommons.standing.clock import parse_micros  # noqa: E402

NODE = "https://bench.example"
POOL = f"{NODE}/pools/commons"
STEWARD = f"{NODE}/users/steward"
QUESTION = f"{POOL}/proposals/0123456789abcdef"


def person(n: int) -> str:
    return f"{NODE}/users/p{n}"


def stamp(day: int, second: int = 0) -> str:
    return f"2026-01-{day:02d}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z"


def stream(people: int, votes: int, delegations: int, seed: int = 7) -> Iterator[dict]:
    """The pool's activities, generated as they are read (the order does not matter)."""
    rng = random.Random(seed)
    yield {"id": f"{POOL}#create", "type": "Create", "actor": POOL, "published": stamp(1),
           "object": {"id": POOL, "type": ["Group", "CommonPool"], "stewards": [STEWARD]}}
    yield {"id": f"{POOL}#adopt", "type": "Update", "actor": STEWARD, "published": stamp(1, 1),
           "object": {"id": POOL, "type": ["Group", "CommonPool"], "governance": {}}}
    for n in range(people):
        for k in range(2):
            cid = f"{person(n)}/c{k}"
            yield {"id": f"{cid}#create", "type": "Create", "actor": person(n), "published": stamp(2 + k, n % 86400),
                   "object": {"id": cid, "type": ["Note", "Contribution"], "provider": person(n), "receiver": POOL,
                              "effortQuantity": {"type": "Measure", "hasUnit": "hour", "hasNumericalValue": 1},
                              "kind": "code", "published": stamp(2 + k, n % 86400)}}
            yield {"id": f"{cid}#accept", "type": "Accept", "actor": STEWARD, "object": cid,
                   "published": stamp(4, n % 86400)}
    yield {"id": f"{QUESTION}#create", "type": "Create", "actor": POOL, "published": stamp(10),
           "object": {"id": QUESTION, "type": "Question", "attributedTo": POOL, "governs": POOL,
                      "oneOf": [{"type": "Note", "name": "yes", "change": {"license": "CC0-1.0"}},
                                {"type": "Note", "name": "no"}], "endTime": stamp(17), "published": stamp(10)}}
    for i in range(votes):
        who = person(rng.randrange(people))
        yield {"id": f"{who}/votes/{i}", "type": "Create", "actor": who, "published": stamp(11 + i % 5, i % 86400),
               "object": {"type": "Note", "name": rng.choice(["yes", "no"]), "inReplyTo": QUESTION,
                          "attributedTo": who}}
    for i in range(delegations):
        who, to = rng.randrange(people), rng.randrange(people)
        if who == to:
            continue
        did = f"{person(who)}/delegations/{i}"
        yield {"id": did, "type": ["Activity", "Delegate"], "actor": person(who), "object": person(to),
               "target": POOL, "published": stamp(10, i % 86400)}
        if i % 10 == 0:
            yield {"id": f"{did}#undo", "type": "Undo", "actor": person(who), "object": did,
                   "published": stamp(12, i % 86400)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000, help="contributors (each has a vote)")
    parser.add_argument("--votes", type=int, default=4_000, help="direct votes (some by the same person)")
    parser.add_argument("--delegations", type=int, default=5_000, help="Delegate activities")
    parser.add_argument("--runs", type=int, default=5, help="runs; the median is reported")
    args = parser.parse_args()
    print(machine())
    after = parse_micros(stamp(20))
    times, result = [], None
    for _ in range(args.runs):
        started = time.perf_counter()
        result = tally_log(stream(args.people, args.votes, args.delegations), POOL, QUESTION, after)
        times.append(time.perf_counter() - started)
    entries = sum(1 for _ in stream(args.people, args.votes, args.delegations))
    delegated = sum(1 for v in result.counted if len(v.path) > 1)
    print(f"{entries:,} activities, electorate {len(result.electorate):,}: {len(result.counted):,} votes counted "
          f"({delegated:,} through delegations), {len(result.uncounted):,} not counted, outcome {result.outcome}")
    print(f"tally_log over the stream: median {statistics.median(times):.2f} s of {args.runs} "
          f"(min {min(times):.2f}, max {max(times):.2f}); peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
