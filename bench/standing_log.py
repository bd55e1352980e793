"""Benchmark: `fedcommons standing` end to end on a node whose log holds a large pool.

Builds a node through the import path (``bench/common.py`` ``write_contributions`` and
``services.importing.importing.import_contributions``), then a steward validates them in bulk
(signed Accepts, about 5 % Rejects, appended 1,000 per batch through the log writer) and
peers endorse one in ten. Then it times, on that log:

- streaming the entries out of SQLite alone, and with ``json.loads`` or ``orjson.loads`` of each;
- reading them into the pool's ledger (``services.standing.pool_state.read_ledger``);
- the methods on the built ledger (what ``bench/standing.py`` measures on generated dicts);
- ``services.standing.standing.local_pool_standing`` (everything, proof included);
- ``fedcommons standing garden --format csv`` in a fresh process (plus start-up).

Run from the repository root:

    python bench/standing_log.py                      # 100,000 contributions
    python bench/standing_log.py --contributions 20000 --people 50
    python bench/standing_log.py --home /tmp/fedcommons-bench-XXXX/home   # reuse a built node

The node is left in a temporary directory whose path is printed (about 0.7 GB at the
default size), to be timed again with ``--home``; delete it when done.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fresh_node, machine, peak_rss_mb, write_contributions

from fedcommons import activities, urls
from fedcommons.home import open_node
from fedcommons.node import now
from fedcommons.services.actors.actors import require
from fedcommons.services.actors.signing import sign_as
from fedcommons.services.importing.importing import import_contributions
from fedcommons.services.log import log_writer
from fedcommons.services.standing import pool_state
from fedcommons.services.standing import standing as service
from fedcommons.standing import compute_standing
from fedcommons.store import log as log_store
from fedcommons.store.db import transaction

BATCH = 1000


def build(contributions: int, people: int):
    """A node with ``contributions`` imported, validated and partly endorsed; returns (node, seconds)."""
    begin = time.perf_counter()
    node = fresh_node(people)
    path = node.config.home / "contributions.jsonl"
    write_contributions(path, contributions, people)
    ids = import_contributions(node, path).ids
    imported = time.perf_counter()
    steward = require(node, "p0", "person")
    pool = require(node, "garden", "pool")
    peers = [require(node, f"p{i}", "person") for i in range(1, people)]
    with transaction(node.db):
        for start in range(0, len(ids), BATCH):
            batch = []
            for i, cid in enumerate(ids[start:start + BATCH], start=start):
                contributor = peers[i % (people - 1)]
                decision = activities.decision(
                    activity_id=urls.new_activity(node.url), steward=steward.id, contribution_id=cid,
                    contributor=contributor.id, accept=i % 20 != 0, published=now(),
                    reason=None if i % 20 else "out of scope", followers=f"{pool.id}/followers",
                )
                batch.append(sign_as(node, steward, decision))
                if i % 10 == 0:
                    endorser = peers[(i + 3) % (people - 1)]
                    like = activities.endorsement(
                        activity_id=urls.new_activity(node.url), actor=endorser.id, contribution_id=cid,
                        contributor=contributor.id, published=now(), followers=f"{pool.id}/followers",
                    )
                    batch.append(sign_as(node, endorser, like))
            log_writer.append(node, batch)
    return node, imported - begin, time.perf_counter() - imported


def timed(fn, runs: int):
    """(median wall seconds, median CPU seconds, last value). CPU time is what to compare
    when other work shares the machine: wall time then counts the waiting too."""
    walls, cpus, value = [], [], None
    for _ in range(runs):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        value = fn()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls), statistics.median(cpus), value


def timed_process(command: list[str], env: dict, runs: int) -> tuple[float, float]:
    """(median wall seconds, median CPU seconds) of running ``command`` to completion."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - wall)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contributions", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--home", type=Path, help="time a node an earlier run built instead of building one")
    args = parser.parse_args()

    print(machine())
    if args.home:
        node = open_node(args.home)
    else:
        node, import_s, validate_s = build(args.contributions, args.people)
        print(f"built                 {node.config.home}: {args.contributions:,} contributions by "
              f"{args.people - 1} people; import {import_s:.1f} s, validate and endorse {validate_s:.1f} s")
    size = log_store.log_size(node.db)
    pool = require(node, "garden", "pool").id
    print(f"log                   {size:,} entries")

    def fetch():
        return sum(1 for _ in log_store.iter_entries(node.db, 0, size))

    def loads():
        for row in log_store.iter_entries(node.db, 0, size):
            json.loads(row.body)

    def orjson_loads():
        for row in log_store.iter_entries(node.db, 0, size):
            orjson.loads(row.body)

    rows = [("SQLite rows only", *timed(fetch, args.runs)[:2], ""),
            ("  + json.loads", *timed(loads, args.runs)[:2], ""),
            ("  + orjson.loads", *timed(orjson_loads, args.runs)[:2], "what read_ledger parses with")]
    wall, cpu, ledger = timed(lambda: pool_state.read_ledger(log_store.iter_entries(node.db, 0, size), pool),
                              args.runs)
    rows.append(("  + PoolLedger.add", wall, cpu, f"read_ledger: {ledger.counts}"))
    as_of = service.parse_as_of(None)
    for method in ("effort/1", "peer-rank/1"):
        wall, cpu, result = timed(lambda method=method: compute_standing(ledger, method, None, as_of), args.runs)
        rows.append((method, wall, cpu, f"on the built ledger, {len(result.rows)} rows"))
    wall, cpu, standing = timed(lambda: service.local_pool_standing(node, "garden"), args.runs)
    rows.append(("standing (service)", wall, cpu, "read + effort/1 + document + proof"))
    env = {**os.environ, "FEDCOMMONS_HOME": str(node.config.home)}
    python = [sys.executable, "-m", "fedcommons"]
    rows.append(("fedcommons standing", *timed_process(python + ["standing", "garden", "--format", "csv"], env,
                                                       args.runs), "a new process, csv"))
    rows.append(("  start-up alone", *timed_process(python + ["--help"], env, args.runs), "fedcommons --help"))
    print(f"{'':<22}{'wall s':>8}{'CPU s':>8}")
    for name, wall, cpu, note in rows:
        print(f"{name:<22}{wall:8.2f}{cpu:8.2f}   {note}")
    print(f"top                   {standing.result.rows[0].contributor} {standing.result.rows[0].score}")
    print(f"peak RSS              {peak_rss_mb():7.0f} MB (this process, including the build)")


if __name__ == "__main__":
    main()
