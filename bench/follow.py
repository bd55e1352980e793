"""How soon a followed pool's work reaches the follower's mirror, and what a burst costs.

    python bench/follow.py [--runs 20] [--burst 50]

Two nodes serve on 127.0.0.1 in this process, each with its background workers (A: the pool
garden with its steward and contributors; C: carol, who follows the pool). After C's mirror
of A's log has caught up:

- ``--runs`` times, one contribution is appended on A (from a connection of its own, as the
  CLI does) and timed until C's verified mirror holds it: A's delivery worker pushes it to
  C, the push wakes a sync of A's log on C, and the sync checks it and promotes the mirror.
- ``--burst`` contributions are appended on A at once and timed until C's mirror holds the
  last of them, counting the syncs the pushes woke (coalesced: far fewer than the pushes).

Both nodes share this process and its cores; the figures are latencies, not throughput.
"""

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine  # noqa: E402

from aiohttp import web  # noqa: E402

from fedcommons.app import SYNC, make_app  # noqa: E402
from fedcommons.federation.sync_worker import PUSH_DELAY  # noqa: E402
from fedcommons.federation.client import Client  # noqa: E402
from fedcommons.home import init_node, open_node  # noqa: E402
from fedcommons.services.actors import remote  # noqa: E402
from fedcommons.services.actors.actors import create_actor  # noqa: E402
from fedcommons.services.actors.pools import create_pool  # noqa: E402
from fedcommons.services.contributions.contributions import contribute  # noqa: E402
from fedcommons.store import log as log_store  # noqa: E402
from fedcommons.store import mirrors as mirror_store  # noqa: E402

WAIT = 60.0  # seconds at most for any one thing to arrive


async def serve(home: Path, port: int) -> tuple[web.AppRunner, web.Application]:
    node = open_node(home)
    app = make_app(node)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, app


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def until(check, what: str) -> float:
    """Poll `check` every 5 ms until it holds (at most WAIT s); the seconds it took."""
    started = time.perf_counter()
    while not check():
        if time.perf_counter() - started > WAIT:
            raise SystemExit(f"gave up waiting for {what} after {WAIT:.0f} s")
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


def mirrored(reader, origin: str, size: int) -> bool:
    row = mirror_store.mirror(reader.db, origin)
    return row is not None and row.size >= size


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="Single contributions timed one after another.")
    parser.add_argument("--burst", type=int, default=50, help="Contributions appended at once, then timed.")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="fedcommons-bench-follow-"))
    port_a, port_c = free_port(), free_port()
    a_url, c_url = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_c}"
    a = init_node(root / "a", a_url, allow_private_addresses=True)
    create_actor(a, "person", "bob")
    create_actor(a, "person", "alice")
    create_pool(a, "garden", name="Garden", stewards=["bob"])
    c = init_node(root / "c", c_url, allow_private_addresses=True)
    create_actor(c, "person", "carol")
    runners = []
    try:
        for home, port in ((root / "a", port_a), (root / "c", port_c)):
            runners.append(await serve(home, port))
        worker = runners[1][1][SYNC]
        client = Client(c)
        try:
            await remote.follow(c, client, f"{a_url}/pools/garden", "carol")
        finally:
            await client.close()
        origin = a.config.origin
        await until(lambda: mirrored(c, origin, log_store.log_size(a.db)), "C's first sync")

        single = []
        for n in range(args.runs):
            await asyncio.to_thread(contribute, a, pool="garden", person="alice", effort="1h", kind="code",
                                    summary=f"single {n}")
            single.append(await until(lambda: mirrored(c, origin, log_store.log_size(a.db)), "a contribution"))

        before, pushes_before = worker.push_syncs, worker.pushes
        started = time.perf_counter()
        for n in range(args.burst):
            await asyncio.to_thread(contribute, a, pool="garden", person="alice", effort="1h", kind="care",
                                    summary=f"burst {n}")
        appended = time.perf_counter() - started
        rest = await until(lambda: mirrored(c, origin, log_store.log_size(a.db)), "the burst")
        # Each contribution is one delivery to C: count them all before reading the counters.
        await until(lambda: worker.pushes - pushes_before >= args.burst and worker.pushes_settled,
                    "every push, and the syncs they woke")
        syncs, pushes = worker.push_syncs - before, worker.pushes - pushes_before

        print(f"machine: {machine()}")
        single.sort()
        print(f"single contribution, append on A to C's verified mirror ({args.runs} runs): "
              f"median {statistics.median(single) * 1000:.0f} ms, "
              f"fastest {single[0] * 1000:.0f} ms, slowest {single[-1] * 1000:.0f} ms (A's delivery worker "
              f"notices a write from another connection within 0.5 s; a push waits {PUSH_DELAY * 1000:.0f} ms "
              f"for the rest of its burst)")
        print(f"burst of {args.burst}: appended in {appended:.2f} s, all in C's mirror {rest:.2f} s later; "
              f"{pushes} pushes from A woke {syncs} sync(s) of its log (periodic rounds meanwhile: {worker.rounds})")
    finally:
        for runner, _ in reversed(runners):
            await runner.cleanup()
        a.close()
        c.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
