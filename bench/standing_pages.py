"""Benchmark: a pool's page and its standing document on a node with a million log entries.

    python bench/standing_pages.py [--entries 1000000] [--pools 10] [--clients 10] [--seconds 20]

Builds (once; kept at ``--cache``, default /tmp/fedcommons-bench-pages, and reused while
its size and pools match) a node whose log holds ``--entries`` entries in ``--pools`` pools,
the first (garden) holding half of them: signed contributions through the import path,
then a steward's signed Accepts (one in twenty a Reject) and one endorsement in ten,
appended 5,000 to a transaction through the log writer, with every after-append step (the
per-pool index and stored ledgers included): every entry signed by its author, as
`import contributions`, `validate` and `endorse` would write it.

Then, with `fedcommons serve` in its own process:

- the first request for the garden's page and standing after the server starts (the
  server reads the pool's stored ledger and the entries filed since);
- ``--clients`` concurrent clients, each asking in turn for the garden's page (HTML) and
  its Standing document (JSON-LD), for ``--seconds``: requests, p50 and p99 latency;
- ``fedcommons standing garden`` end to end in a new process (median of three), and its
  start-up alone (``fedcommons --help``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, wait_until_serving  # noqa: E402

from fedcommons import activities, urls  # noqa: E402
from fedcommons.home import init_node, open_node  # noqa: E402
from fedcommons.node import now  # noqa: E402
from fedcommons.services.actors.actors import create_actor, require  # noqa: E402
from fedcommons.services.actors.pools import create_pool  # noqa: E402
from fedcommons.services.actors.signing import sign_as  # noqa: E402
from fedcommons.services.importing.importing import import_contributions  # noqa: E402
from fedcommons.services.log import log_writer  # noqa: E402
from fedcommons.store import log as log_store  # noqa: E402

PEOPLE = 100
BATCH = 5000
PORT = 18731


def pool_slugs(pools: int) -> list[str]:
    return ["garden", *(f"pool{i}" for i in range(1, pools))]


def build(home: Path, entries: int, pools: int) -> None:
    """The node described in the module docstring, at ``home``."""
    started = time.perf_counter()
    node = init_node(home, f"http://127.0.0.1:{PORT}", allow_private_addresses=True)
    for i in range(PEOPLE):
        create_actor(node, "person", f"p{i}")
    slugs = pool_slugs(pools)
    for slug in slugs:
        create_pool(node, slug, name=slug.title(), stewards=["p0"], license="MIT")
    # Each contribution brings 2.1 entries (itself, a decision, a tenth of a Like).
    contributions = int((entries - log_store.log_size(node.db)) / 2.1)
    garden = contributions // 2
    others = [(contributions - garden) // (pools - 1)] * (pools - 1) if pools > 1 else []
    counts = [garden, *others]
    counts[0] += contributions - sum(counts)
    path = home / "contributions.jsonl"
    kinds = ["code", "docs", "care", "review", "design"]
    order = []
    with open(path, "w") as out:
        remaining = list(counts)
        i = 0
        while any(remaining):
            for p, left in enumerate(remaining):
                if left:
                    remaining[p] -= 1
                    order.append(p)
                    out.write(json.dumps({"pool": slugs[p], "as": f"p{1 + i % (PEOPLE - 1)}",
                                          "effort": f"{1 + i % 5}h", "kind": kinds[i % 5],
                                          "summary": f"contribution number {i}"}) + "\n")
                    i += 1
    ids = import_contributions(node, path).ids
    path.unlink()
    imported = time.perf_counter()
    print(f"build: {len(ids):,} contributions imported in {imported - started:.0f} s", flush=True)
    steward = require(node, "p0", "person")
    people = [require(node, f"p{i}", "person") for i in range(1, PEOPLE)]
    followers = {p: f"{require(node, slug, 'pool').id}/followers" for p, slug in enumerate(slugs)}
    batch = []
    for i, (cid, p) in enumerate(zip(ids, order)):
        contributor = people[i % (PEOPLE - 1)]
        batch.append(sign_as(node, steward, activities.decision(
            activity_id=urls.new_activity(node.url), steward=steward.id, contribution_id=cid,
            contributor=contributor.id, accept=i % 20 != 0, published=now(),
            reason=None if i % 20 else "out of scope", followers=followers[p])))
        if i % 10 == 0:
            endorser = people[(i + 3) % (PEOPLE - 1)]
            batch.append(sign_as(node, endorser, activities.endorsement(
                activity_id=urls.new_activity(node.url), actor=endorser.id, contribution_id=cid,
                contributor=contributor.id, published=now(), followers=followers[p])))
        if len(batch) >= BATCH:
            log_writer.append(node, batch)
            batch = []
    if batch:
        log_writer.append(node, batch)
    print(f"build: decisions and endorsements appended in {time.perf_counter() - imported:.0f} s; "
          f"{log_store.log_size(node.db):,} entries", flush=True)
    node.db.conn.execute("DELETE FROM deliveries")  # nobody to deliver to: keep the server idle
    node.close()


def cached_node(cache: Path, entries: int, pools: int) -> Path:
    """The node home at ``cache``, built first unless one with the same shape is there."""
    home, shape = cache / "home", cache / "shape.json"
    wanted = {"entries": entries, "pools": pools, "port": PORT}
    if shape.exists() and json.loads(shape.read_text()) == wanted and home.exists():
        return home
    if cache.exists():
        subprocess.run(["rm", "-rf", str(cache)], check=True)
    cache.mkdir(parents=True)
    build(home, entries, pools)
    shape.write_text(json.dumps(wanted))
    return home


async def first_and_load(base: str, clients: int, seconds: float) -> dict:
    """The first page and document after start-up, then the load."""
    page, document = f"{base}/pools/garden", f"{base}/pools/garden/standing"
    as_html, as_json = {"Accept": "text/html"}, {"Accept": "application/activity+json"}
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        await wait_until_serving(http, base, tries=600)
        first = {}
        for name, url, headers in (("page", page, as_html), ("document", document, as_json)):
            started = time.perf_counter()
            async with http.get(url, headers=headers) as response:
                body = await response.read()
                assert response.status == 200, (response.status, body[:300])
            first[name] = time.perf_counter() - started
        standing = json.loads(body)

        latencies: dict[str, list[float]] = {"page": [], "document": []}
        errors = 0
        deadline = time.perf_counter() + seconds

        async def client(k: int) -> None:
            nonlocal errors
            turn = k
            while time.perf_counter() < deadline:
                name, url, headers = (("page", page, as_html), ("document", document, as_json))[turn % 2]
                turn += 1
                started = time.perf_counter()
                async with http.get(url, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies[name].append(time.perf_counter() - started)

        await asyncio.gather(*(client(k) for k in range(clients)))
    return {"first": first, "latencies": latencies, "errors": errors, "standing": standing}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * fraction + 0.5) - 1))]


def timed_process(command: list[str], env: dict, runs: int) -> float:
    """Median wall seconds of running ``command`` to completion."""
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
    return statistics.median(walls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--pools", type=int, default=10)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fedcommons-bench-pages"))
    args = parser.parse_args()

    print(f"machine: {machine()}")
    home = cached_node(args.cache, args.entries, args.pools)
    node = open_node(home)
    size = log_store.log_size(node.db)
    garden = node.db.conn.execute("SELECT count(*) FROM pool_index_entries p JOIN pool_index_pools k"
                                  " ON k.key = p.pool WHERE k.url = ?", (f"{node.url}/pools/garden",)).fetchone()[0]
    base = node.url
    node.close()
    print(f"node: {home}, {size:,} entries, {garden:,} of them filed under garden")

    env = {**os.environ, "FEDCOMMONS_HOME": str(home)}
    python = [sys.executable, "-m", "fedcommons"]
    server = subprocess.Popen(python + ["serve", "--port", str(urlsplit(base).port), "--log-level", "warning"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        figures = asyncio.run(first_and_load(base, args.clients, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows = figures["standing"]["standings"]
    print(f"first after start-up: page {figures['first']['page'] * 1000:.0f} ms, "
          f"document {figures['first']['document'] * 1000:.0f} ms ({len(rows)} contributors)")
    everything = [t for values in figures["latencies"].values() for t in values]
    print(f"load: {args.clients} clients for {args.seconds:.0f} s, {len(everything):,} requests "
          f"({len(everything) / args.seconds:,.0f}/s), {figures['errors']} errors")
    for name, values in (*figures["latencies"].items(), ("all", everything)):
        print(f"  {name:<9} {len(values):>7,} requests  p50 {percentile(values, 0.5) * 1000:6.1f} ms  "
              f"p99 {percentile(values, 0.99) * 1000:6.1f} ms  max {max(values) * 1000:6.1f} ms (target p99 < 100 ms)")
    cli = timed_process(python + ["standing", "garden", "--format", "csv"], env, 3)
    start_up = timed_process(python + ["--help"], env, 3)
    print(f"fedcommons standing garden: {cli:.2f} s end to end, median of 3 (target < 1 s); "
          f"start-up alone {start_up:.2f} s")


if __name__ == "__main__":
    main()
