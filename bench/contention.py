"""Reads and deliveries while a bulk import writes: does the server stay responsive, and is
every accepted delivery durable?

    python bench/contention.py [--rows 200000] [--rate 50] [--probe-every 0.02]

A node runs `fedcommons serve` in its own process. A second process runs
`fedcommons import contributions` of ``--rows`` rows into the same database. Meanwhile this
process asks `/health` and `/log/checkpoint` in turn every ``--probe-every`` seconds and
POSTs signed deliveries to the shared inbox at ``--rate`` per second, and records every
latency and answer. When the import has finished, the server is killed with SIGKILL, and
every activity the server answered 202 for is looked up in the database.

Target: `/health` and `/log/checkpoint` p99 under 50 ms during the import, and every 202
still in the database after the kill.
"""

import argparse
import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    add_senders, free_port, fresh_node, machine, signed_notes, wait_until_serving, write_contributions,
)

MAX_SECONDS = 1800  # the whole run is bounded, whatever the machine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rate", type=float, default=50.0, help="inbox deliveries per second")
    parser.add_argument("--probe-every", type=float, default=0.02, help="seconds between read probes")
    parser.add_argument("--debug-loop", action="store_true", help="log the server's slow event-loop steps")
    args = parser.parse_args()

    port = free_port()
    node = fresh_node(people=10, url=f"http://127.0.0.1:{port}")
    senders = add_senders(node, 20)
    home, database = node.config.home, node.config.database
    node.close()
    inbox = f"http://127.0.0.1:{port}/inbox"
    rows = Path(tempfile.mkdtemp(prefix="fedcommons-contention-")) / "work.jsonl"
    write_contributions(rows, args.rows)

    command = [sys.executable, "-m", "fedcommons", "--home", str(home)]
    # --debug-loop: asyncio's debug mode, which logs every step of the event loop that took
    # over 100 ms to the server's log (beside the node home), to see what held it.
    env = {**os.environ, "PYTHONASYNCIODEBUG": "1"} if args.debug_loop else None
    server_log = home.parent / "server.log"
    with open(server_log, "w") as log_file:
        server = subprocess.Popen(command + ["serve", "--port", str(port), "--log-level", "warning"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=log_file)
    try:
        figures = asyncio.run(run(command, rows, port, inbox, senders, args))
    finally:
        server.send_signal(signal.SIGKILL)  # as a crash would: no shutdown, no last commit
        server.wait(timeout=30)

    accepted = figures["accepted"]
    db = sqlite3.connect(database)
    stored = sum(db.execute("SELECT count(*) FROM inbox_items WHERE activity_id = ?", (activity_id,)).fetchone()[0]
                 for activity_id in accepted)
    entries = db.execute("SELECT count(*) FROM log_entries").fetchone()[0]
    db.close()

    print(f"machine: {machine()}")
    print(f"import: {args.rows:,} rows in {figures['import_seconds']:.1f} s (exit status {figures['import_status']}); "
          f"the log holds {entries:,} entries")
    for path in ("/health", "/log/checkpoint"):
        print(f"GET {path} during the import: {_percentiles(figures['probes'][path])}; "
              f"answers {figures['probe_statuses'][path]}")
    print(f"inbox during the import: {len(figures['inbox_latencies'])} POSTs, answers {figures['inbox_statuses']}; "
          f"{_percentiles(figures['inbox_latencies'])}")
    print(f"durable after SIGKILL: {stored} of {len(accepted)} accepted (202) deliveries are in the database")
    print("target: GET p99 < 50 ms; every 202 durable")
    print(f"server log: {server_log}")


def _percentiles(latencies: list[float]) -> str:
    if not latencies:
        return "no answers"
    ordered = sorted(latencies)
    p50 = ordered[len(ordered) // 2] * 1000
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000
    return f"{len(ordered)} requests, p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {ordered[-1] * 1000:.1f} ms"


async def run(command: list[str], rows: Path, port: int, inbox: str, senders: list, args) -> dict:
    base = f"http://127.0.0.1:{port}"
    timeout = aiohttp.ClientTimeout(total=120)
    # Two sessions: deliveries that wait must not hold the connections the probes need.
    async with aiohttp.ClientSession(timeout=timeout) as http, \
            aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as senders_http:
        await wait_until_serving(http, base)

        importer = await asyncio.create_subprocess_exec(
            *command, "import", "contributions", str(rows),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, env=dict(os.environ))
        started = time.perf_counter()
        done = asyncio.Event()
        probes = {"/health": [], "/log/checkpoint": []}
        probe_statuses = {path: {} for path in probes}
        inbox_latencies: list[float] = []
        inbox_statuses: dict[int, int] = {}
        accepted: list[str] = []

        async def probe() -> None:
            paths = list(probes)
            n = 0
            while not done.is_set():
                path = paths[n % len(paths)]
                n += 1
                t = time.perf_counter()
                async with http.get(base + path) as r:
                    await r.read()
                probes[path].append(time.perf_counter() - t)
                probe_statuses[path][r.status] = probe_statuses[path].get(r.status, 0) + 1
                await asyncio.sleep(args.probe_every)

        async def deliver(activity_id: str, body: bytes, headers: dict) -> None:
            t = time.perf_counter()
            async with senders_http.post(inbox, data=body, headers=headers) as r:
                await r.read()
            inbox_latencies.append(time.perf_counter() - t)
            inbox_statuses[r.status] = inbox_statuses.get(r.status, 0) + 1
            if r.status == 202:
                accepted.append(activity_id)

        async def load() -> None:
            sent: set[asyncio.Task] = set()
            n = 0
            while not done.is_set():
                # Signed as they are sent (a few ms each): the run's length is not known beforehand.
                [(activity_id, body, headers)] = signed_notes(inbox, senders[n % len(senders):][:1], 1, tag=f"{n}-")
                n += 1
                task = asyncio.create_task(deliver(activity_id, body, headers))
                sent.add(task)
                task.add_done_callback(sent.discard)
                await asyncio.sleep(1 / args.rate)
            await asyncio.gather(*sent)

        workers = [asyncio.create_task(probe()), asyncio.create_task(load())]
        try:
            status = await asyncio.wait_for(importer.wait(), MAX_SECONDS)
        finally:
            done.set()
            await asyncio.gather(*workers)
        return {"import_seconds": time.perf_counter() - started, "import_status": status, "probes": probes,
                "probe_statuses": probe_statuses, "inbox_latencies": inbox_latencies,
                "inbox_statuses": inbox_statuses, "accepted": accepted}


if __name__ == "__main__":
    main()
