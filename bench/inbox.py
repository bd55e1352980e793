"""Signed deliveries accepted per second by one node over loopback, load from a separate process.

    python bench/inbox.py [--requests 5000] [--concurrency 32] [--senders 20]
                          [--postgresql postgresql://127.0.0.1:5432 [--rounds 3]]

The node runs `fedcommons serve` in its own process. This process is the load: it signs
every request beforehand (draft-cavage, RSA-2048, as Mastodon sends them), then POSTs them
to the shared inbox with a fixed number in flight, and reports accepted/s and latency
percentiles. The senders' keys are already in the node's actor cache, as they are for
peers a node talks to every day. Each request is a distinct Create of a Note, which the
node verifies, deduplicates, persists durably (202 only after the commit), and then
processes in the background. Target: at least 1,000/s with p99 under 50 ms.

With `--postgresql SERVER`, the same load in alternating rounds against three nodes made
alike: on SQLite with one process, on PostgreSQL (a new database on SERVER, dropped after)
with one process, and with `serve --workers 2`; the medians side by side.
"""

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (add_senders, drop_database, free_port, fresh_node, machine, signed_notes,  # noqa: E402
                    wait_until_serving)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--postgresql", metavar="SERVER",
                        help="compare SQLite with PostgreSQL at this server (postgresql://USER@HOST:PORT), "
                             "with one and with two worker processes")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of the comparison")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    if args.postgresql:
        side_by_side(args)
        return
    figures = run_once(args, server=None, workers=1)
    print(f"inbox: {describe(figures, args)} (target >= 1,000/s, p99 < 50 ms)")
    other = {k: v for k, v in figures["statuses"].items() if k != 202}
    if other:
        print(f"other answers: {other}")


def run_once(args, *, server: str | None, workers: int) -> dict:
    """The load against a new node (on SQLite, or in a new database on `server`)."""
    port = free_port()
    node = fresh_node(people=2, url=f"http://127.0.0.1:{port}", server=server)
    senders = add_senders(node, args.senders)
    home, database = node.config.home, node.config.database
    node.close()

    inbox = f"http://127.0.0.1:{port}/inbox"
    requests = [(body, headers) for _, body, headers in signed_notes(inbox, senders, args.requests)]
    command = [sys.executable, "-m", "fedcommons", "--home", str(home), "serve", "--port", str(port),
               "--log-level", "warning"]
    if workers > 1:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        figures = asyncio.run(load(inbox, port, requests, args.concurrency))
    finally:
        process.terminate()
        process.wait(timeout=30)
        if server is not None:
            drop_database(database)
    latencies = sorted(figures["latencies"])
    figures["p50"] = latencies[len(latencies) // 2] * 1000
    figures["p99"] = latencies[int(len(latencies) * 0.99) - 1] * 1000
    figures["max"] = latencies[-1] * 1000
    figures["rate"] = figures["accepted"] / figures["seconds"]
    return figures


def describe(figures: dict, args) -> str:
    return (f"{figures['accepted']}/{args.requests} accepted (202) in {figures['seconds']:.2f} s = "
            f"{figures['rate']:,.0f}/s with {args.concurrency} in flight; latency p50 {figures['p50']:.1f} ms, "
            f"p99 {figures['p99']:.1f} ms, max {figures['max']:.1f} ms")


def side_by_side(args) -> None:
    kinds = {"SQLite, 1 process": (None, 1), "PostgreSQL, 1 process": (args.postgresql, 1),
             "PostgreSQL, 2 worker processes": (args.postgresql, 2)}
    results: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for round_ in range(args.rounds):
        order = list(kinds) if round_ % 2 == 0 else list(reversed(kinds))
        for kind in order:
            server, workers = kinds[kind]
            figures = run_once(args, server=server, workers=workers)
            results[kind].append(figures)
            print(f"round {round_ + 1}, {kind}: {describe(figures, args)}")
    print("medians:")
    for kind, runs in results.items():
        print(f"  {kind}: {statistics.median(r['rate'] for r in runs):,.0f} requests/s, "
              f"p99 {statistics.median(r['p99'] for r in runs):.1f} ms")


async def load(inbox: str, port: int, requests: list, concurrency: int) -> dict:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        await wait_until_serving(http, f"http://127.0.0.1:{port}", tries=100)
        queue = iter(requests)
        latencies, statuses = [], {}

        async def worker():
            for body, headers in queue:
                started = time.perf_counter()
                async with http.post(inbox, data=body, headers=headers) as r:
                    await r.read()
                latencies.append(time.perf_counter() - started)
                statuses[r.status] = statuses.get(r.status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return {"latencies": latencies, "statuses": statuses, "accepted": statuses.get(202, 0), "seconds": seconds}


if __name__ == "__main__":
    main()
