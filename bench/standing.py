"""Benchmark: contributor standing on a large synthetic pool.

Streams a synthetic pool (default: 1,000,000 contributions by 10,000 contributors,
about 1,000,000 validations, 300,000 endorsements, some undos) as activity dicts from a
generator, never holding them all, and times:

- generating the stream alone (the cost of making the dicts, for reference);
- ``build_ledger`` over the stream (includes generating it);
- ``compute_standing`` with ``effort/1`` and with ``peer-rank/1`` on the built ledger
  (each includes resolving statuses and endorsements at ``asOf``, not the extraction).

Reports medians of ``--runs`` runs (ledger extraction once unless ``--build-runs``)
and the process's peak RSS. Run from the repository root:

    python bench/standing.py                      # full size
    python bench/standing.py --contributions 100000 --contributors 2000 --endorsements 30000
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fedcommons.standing import build_ledger, compute_standing  # noqa: E402

NODE = "https://bench.example"
POOL = f"{NODE}/pools/commons"
STEWARDS = [f"{NODE}/people/steward-{i}" for i in range(3)]
START = datetime(2022, 1, 1, tzinfo=timezone.utc)
SPAN_DAYS = 3 * 365
KINDS = ["code", "docs", "design", "review", "care", "translation"]


def _stamp(day: float) -> str:
    return (START + timedelta(days=float(day))).strftime("%Y-%m-%dT%H:%M:%SZ")


def synthetic_pool(contributions: int, contributors: int, endorsements: int,
                   seed: int = 7) -> Iterator[dict]:
    """Yield the pool's activities in chunks, validations often before what they validate."""
    rng = np.random.default_rng(seed)
    # A few prolific contributors and a long tail, as in real projects.
    who = np.minimum(rng.zipf(1.3, contributions) - 1, contributors - 1)
    who = rng.permutation(contributors)[who]
    day = np.sort(rng.uniform(0, SPAN_DAYS, contributions))
    minutes = rng.integers(15, 481, contributions)
    kind = rng.integers(0, len(KINDS), contributions)
    verdict = rng.choice(3, contributions, p=[0.90, 0.05, 0.05])  # accept, reject, pending
    liked = rng.integers(0, contributions, endorsements)
    liker = rng.integers(0, contributions, endorsements)  # endorse as the author of a random contribution
    people = [f"{NODE}/people/p{i}" for i in range(contributors)]

    yield {
        "type": "Create", "id": f"{POOL}/create", "actor": f"{NODE}/actor", "published": _stamp(0),
        "object": {"id": POOL, "type": ["Group", "CommonPool"], "name": "Commons", "stewards": STEWARDS,
                   "license": "MIT", "standingMethod": {"method": "effort/1", "parameters": {}}},
    }
    chunk = 10_000
    like_order = np.argsort(liked, kind="stable")
    like_at = 0
    for lo in range(0, contributions, chunk):
        hi = min(lo + chunk, contributions)
        for i in range(lo, hi):  # validations first: order must not matter
            if verdict[i] == 2:
                continue
            yield {"type": "Reject" if verdict[i] else "Accept", "id": f"{POOL}/decisions/{i}",
                   "actor": STEWARDS[i % 3], "object": f"{POOL}/c/{i}", "published": _stamp(day[i] + 1)}
        for i in range(lo, hi):
            author = people[who[i]]
            yield {
                "type": "Create", "id": f"{POOL}/c/{i}/create", "actor": author, "published": _stamp(day[i]),
                "object": {
                    "id": f"{POOL}/c/{i}", "type": ["Note", "Contribution"], "attributedTo": author,
                    "provider": author, "receiver": POOL, "action": "work", "kind": KINDS[kind[i]],
                    "effortQuantity": {"type": "Measure", "hasUnit": "minute",
                                       "hasNumericalValue": int(minutes[i])},
                    "published": _stamp(day[i]),
                },
            }
        while like_at < endorsements and liked[like_order[like_at]] < hi:
            j = int(like_order[like_at])
            c = int(liked[j])
            endorser = people[who[liker[j]]]
            like = {"type": "Like", "id": f"{POOL}/likes/{j}", "actor": endorser, "object": f"{POOL}/c/{c}",
                    "published": _stamp(day[c] + 2)}
            if j % 5 == 0:
                like["weight"] = 0.5 + (j % 4)
            yield like
            if j % 100 == 0:
                yield {"type": "Undo", "id": f"{POOL}/likes/{j}/undo", "actor": endorser,
                       "published": _stamp(day[c] + 3),
                       "object": {"type": "Like", "id": f"{POOL}/likes/{j}"}}
            like_at += 1


def _peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


def _time(fn) -> tuple[float, object]:
    gc.collect()
    begin = time.perf_counter()
    value = fn()
    return time.perf_counter() - begin, value


def main() -> None:
    """Parse flags, run the benchmark and print the figures (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contributions", type=int, default=1_000_000)
    parser.add_argument("--contributors", type=int, default=10_000)
    parser.add_argument("--endorsements", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3, help="runs per method (median reported)")
    parser.add_argument("--build-runs", type=int, default=1,
                        help="stream generations and ledger extractions (median reported)")
    parser.add_argument("--skip-generate", action="store_true", help="do not time generation alone")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()
    sizes = (args.contributions, args.contributors, args.endorsements)
    as_of = START + timedelta(days=SPAN_DAYS + 30)
    figures: dict[str, object] = {
        "contributions": args.contributions, "contributors": args.contributors,
        "endorsements": args.endorsements, "python": platform.python_version(),
        "machine": platform.machine(),
    }

    if not args.skip_generate:
        count = [0]

        def generate() -> None:
            count[0] = 0
            for _ in synthetic_pool(*sizes):
                count[0] += 1

        seconds = statistics.median(_time(generate)[0] for _ in range(args.build_runs))
        figures["activities"] = count[0]
        figures["generate_s"] = round(seconds, 2)
        print(f"generate only        {seconds:7.2f} s   ({count[0]:,} activities; median of {args.build_runs})")

    builds = []
    ledger = None
    for _ in range(args.build_runs):
        ledger = None
        gc.collect()
        seconds, ledger = _time(lambda: build_ledger(synthetic_pool(*sizes), POOL))
        builds.append(seconds)
    figures["build_ledger_s"] = round(statistics.median(builds), 2)
    figures["ledger"] = ledger.counts
    figures["rss_after_build_mb"] = round(_peak_rss_mb())
    print(f"build_ledger         {figures['build_ledger_s']:7.2f} s   (includes generating the stream; "
          f"median of {len(builds)})")
    print(f"  rows               {ledger.counts}")

    for method, params in (("effort/1", {"halfLifeDays": 365, "kindWeights": {"care": 1.5}}),
                           ("peer-rank/1", {"halfLifeDays": 365, "kindWeights": {"care": 1.5}})):
        times = []
        result = None
        for _ in range(args.runs):
            seconds, result = _time(lambda: compute_standing(ledger, method, params, as_of))
            times.append(seconds)
        key = method.split("/")[0].replace("-", "_")
        figures[f"{key}_s"] = round(statistics.median(times), 2)
        figures[f"{key}_rows"] = len(result.rows)
        extra = f", {result.iterations} iterations" if result.iterations else ""
        print(f"{method:<20} {figures[f'{key}_s']:7.2f} s   (median of {len(times)}, "
              f"excludes extraction; {len(result.rows):,} rows{extra})")
        if result.rows:
            top = result.rows[0]
            print(f"  top                {top.contributor} score {top.score} share {top.share}")

    figures["peak_rss_mb"] = round(_peak_rss_mb())
    print(f"peak RSS             {figures['peak_rss_mb']:7d} MB")
    if args.json:
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
