"""Signed deliveries accepted per second by one node over loopback, load from a separate process.

    python bench/inbox.py [--requests 5000] [--concurrency 32] [--senders 20]

The node runs `fedcommons serve` in its own process. This process is the load: it signs
every request beforehand (draft-cavage, RSA-2048, as Mastodon sends them), then POSTs them
to the shared inbox with a fixed number in flight, and reports accepted/s and latency
percentiles. The senders' keys are already in the node's actor cache, as they are for
peers a node talks to every day. Each request is a distinct Create of a Note, which the
node verifies, deduplicates, persists durably (202 only after the commit), and then
processes in the background. Target: at least 1,000/s with p99 under 50 ms.
"""

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import add_senders, free_port, fresh_node, machine, signed_notes, wait_until_serving  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--senders", type=int, default=20)
    args = parser.parse_args()

    port = free_port()
    node = fresh_node(people=2, url=f"http://127.0.0.1:{port}")
    senders = add_senders(node, args.senders)
    home = node.config.home
    node.close()

    inbox = f"http://127.0.0.1:{port}/inbox"
    requests = [(body, headers) for _, body, headers in signed_notes(inbox, senders, args.requests)]

    server = subprocess.Popen(
        [sys.executable, "-m", "fedcommons", "--home", str(home), "serve", "--port", str(port),
         "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        figures = asyncio.run(load(inbox, port, requests, args.concurrency))
    finally:
        server.terminate()
        server.wait(timeout=10)
    latencies = sorted(figures["latencies"])
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(f"machine: {machine()}")
    print(f"inbox: {figures['accepted']}/{len(requests)} accepted (202) in {figures['seconds']:.2f} s = "
          f"{figures['accepted'] / figures['seconds']:,.0f}/s with {args.concurrency} in flight; "
          f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1] * 1000:.1f} ms "
          f"(target >= 1,000/s, p99 < 50 ms)")
    other = {k: v for k, v in figures["statuses"].items() if k != 202}
    if other:
        print(f"other answers: {other}")


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
