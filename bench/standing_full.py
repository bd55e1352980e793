"""Benchmark: recomputing a pool's standing from the whole log, as checking a document does.

    python bench/standing_full.py [--contributions 1000000] [--validations 950000] [--endorsements 300000]

The timed run is a new process that opens the node and computes the garden's signed
Standing from every entry of the log (``pool_standing(..., full=True)``, the path of
``standing verify`` and ``payout verify``), then reads the log again rehashing every entry
into a Merkle frontier as ``verify_standing`` does; it reports wall and CPU seconds and its
peak RSS, summed with that of the process it starts to read part of the log
(``fedcommons.services.standing.parallel``). Target: under 20 s end to end, peak RSS under 1 GB.

The log is built in bulk (once; kept at ``--cache``, default /tmp/fedcommons-bench-full):
one real signed contribution, Accept and Like made through the services are the templates,
and each entry is a copy with its own ids, people, times and effort, written as JCS bytes
with its leaf hash and Merkle nodes and one signed checkpoint at the end. The copies keep
the template's proof, which does not sign their bytes: this log is for timing the
recomputation (which reads proofs as the log's bytes, and checks none), not for
`log verify`. Signing 2.25 million entries would take most of an hour on a small machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fresh_node, machine  # noqa: E402

from fedcommons.home import open_node  # noqa: E402
from fedcommons.ld.canonical import canonicalize  # noqa: E402
from fedcommons.log.merkle import Frontier, leaf_hash  # noqa: E402
from fedcommons.services.contributions import contributions as contribution_service  # noqa: E402
from fedcommons.services.log.log_writer import lookup, sign_checkpoint  # noqa: E402
from fedcommons.store import log as log_store  # noqa: E402
from fedcommons.store.db import transaction  # noqa: E402

PEOPLE = 1000
BATCH = 20_000


def build(home_parent: Path, contributions: int, validations: int, endorsements: int) -> Path:
    """The node described in the module docstring; returns its home."""
    node = fresh_node(people=3)
    cid = contribution_service.contribute(node, pool="garden", person="p1", effort="2h", kind="code",
                                          summary="template")
    contribution_service.decide(node, cid, "p0")
    contribution_service.endorse(node, cid, "p2")
    size = log_store.log_size(node.db)
    templates = [orjson.loads(log_store.entry(node.db, size - k).body) for k in (3, 2, 1)]
    create, accept, like = templates
    base = node.url
    started = time.perf_counter()
    frontier = Frontier.from_lookup(size, lookup(node))
    # Everything at the template's time: after the pool's Create, before any asOf that follows.
    when = create["published"]

    def person(i: int) -> str:
        return f"{base}/users/b{i % PEOPLE}"

    def contribution(i: int) -> dict:
        who = person(i)
        obj = {**create["object"], "id": f"{base}/contributions/b{i}", "attributedTo": who, "provider": who,
               "published": when, "effortQuantity": {"hasNumericalValue": 15 + i % 240, "hasUnit": "minute",
                                                     "type": "Measure"},
               "content": f"<p>b{i % PEOPLE} put some work into Garden: bulk contribution {i}</p>",
               "name": f"bulk contribution {i}"}
        return {**create, "id": f"{base}/activities/bc{i}", "actor": who, "published": when, "object": obj}

    def decision(i: int) -> dict:
        kind = "Reject" if i % 25 == 0 else "Accept"
        return {**accept, "type": kind, "id": f"{base}/activities/bv{i}", "object": f"{base}/contributions/b{i}",
                "to": [person(i)], "published": when}

    def endorsement(i: int) -> dict:
        target = (i * 7919) % contributions
        return {**like, "id": f"{base}/activities/bl{i}", "actor": person(target + 1 + i % 5),
                "object": f"{base}/contributions/b{target}", "to": [person(target)],
                "published": when}

    def entries():
        liked = 0
        for i in range(contributions):
            yield contribution(i)
            if i < validations:
                yield decision(i)
            # Spread the endorsements evenly over the log.
            while liked < endorsements and liked * contributions < (i + 1) * endorsements:
                yield endorsement(liked)
                liked += 1

    batch, idx = [], size
    for activity in entries():
        body = canonicalize(activity)
        leaf = leaf_hash(body)
        batch.append((log_store.EntryRow(idx, leaf, body, activity["id"], activity["type"], activity["actor"],
                                         activity["object"] if isinstance(activity["object"], str)
                                         else activity["object"]["id"], "local", None, "2026-01-01T00:00:00Z"),
                      frontier.append(leaf)))
        idx += 1
        if len(batch) == BATCH:
            _write(node, batch)
            batch = []
            print(f"  built {idx:,} entries, {time.perf_counter() - started:.0f} s", end="\r", file=sys.stderr)
    _write(node, batch)
    with transaction(node.db):
        sign_checkpoint(node, frontier.size, frontier.root())
    print(f"build: {idx:,} entries in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    home = node.config.home
    node.close()
    return home


def _write(node, batch) -> None:
    with transaction(node.db):
        log_store.insert_entries(node.db, [row for row, _ in batch])
        log_store.insert_nodes(node.db, [n for _, nodes in batch for n in nodes])


def measure(home: Path) -> None:
    """The timed part, in this (new) process: what ``verify_standing`` does with the log
    (read every entry once, rehashing it into a Merkle frontier and feeding the pool's
    ledger; compare the root; recompute the document). Prints one JSON line of figures."""
    started = time.perf_counter()
    # Imported here, after the clock starts: loading them is part of end to end.
    from fedcommons.services.standing import standing as service

    node = open_node(home)
    pool = f"{node.url}/pools/garden"
    log = service.local_log(node)
    checkpoint = log.checkpoint()
    frontier = Frontier.empty()
    ledger = service.log_ledger(log, checkpoint["treeSize"], pool, frontier)
    root_ok = frontier.root() == log_store.latest_checkpoint(node.db)[1]
    document, result = service.compute(ledger, checkpoint, service.parse_as_of(None))
    print(json.dumps({
        "seconds": time.perf_counter() - started, "cpu_s": time.process_time(),
        # Both processes: this one's peak and the log reader's (fedcommons.services.standing.parallel).
        "rss_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                   + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024,
        "counts": ledger.counts, "rows": len(result.rows), "root_ok": root_ok, "top": document["standings"][0],
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contributions", type=int, default=1_000_000)
    parser.add_argument("--validations", type=int, default=950_000)
    parser.add_argument("--endorsements", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fedcommons-bench-full"))
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the timed child process
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    print(f"machine: {machine()}")
    shape = {"contributions": args.contributions, "validations": args.validations,
             "endorsements": args.endorsements}
    marker = args.cache / "shape.json"
    kept = json.loads(marker.read_text()) if marker.exists() else None
    # The log lives in a temporary directory the marker names: built again if it is gone.
    if kept is not None and kept["shape"] == shape and Path(kept["home"]).is_dir():
        home = Path(kept["home"])
    else:
        args.cache.mkdir(parents=True, exist_ok=True)
        home = build(args.cache, **shape)
        marker.write_text(json.dumps({"shape": shape, "home": str(home)}))
    figures = []
    for _ in range(args.runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        out = subprocess.run([sys.executable, __file__, "--measure", str(home)], check=True,
                             capture_output=True, text=True).stdout
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        figures.append({**json.loads(out), "wall_s": wall,
                        "child_cpu_s": after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime})
    figures.sort(key=lambda f: f["wall_s"])
    median = figures[len(figures) // 2]
    print(f"log: {home}, ledger {median['counts']}, {median['rows']:,} contributors, root matches the "
          f"checkpoint: {median['root_ok']}")
    print(f"full recomputation, end to end in a new process (median of {args.runs}): "
          f"{median['wall_s']:.1f} s wall, {median['child_cpu_s']:.1f} s CPU (target < 20 s); "
          f"peak RSS {median['rss_mb']:.0f} MB, both processes summed (target < 1 GB); top {median['top']}")
    walls = ", ".join(f"{f['wall_s']:.1f}" for f in figures)
    print(f"all runs, wall s: {walls}")


if __name__ == "__main__":
    main()
