"""One activity delivered to 1,000 follower inboxes by the delivery worker and the real client.

    python bench/fanout.py [--followers 1000] [--per-host 4] [--total 64]

A pool on a fresh node has 1,000 accepted remote followers, each with its own inbox URL
and no shared inbox, all served by one receiver on 127.0.0.1. The followers are written
straight into the actors and follows tables, so nothing is fetched. The receiver runs in
a separate process (this script with ``--receive``): for every POST it checks the body
digest (``Digest`` or ``Content-Digest``), parses the signature headers, verifies the
signature with the pool's public RSA key, and answers 202 (401 otherwise).

Timed: from ``notify()`` (one outgoing row queued) until ``drain()`` finds nothing
pending: fan-out, 1,000 RSA-signed POSTs, and the durable writes of their results.
All 1,000 inboxes are on one host, so ``--per-host`` bounds the concurrency. Target:
under 10 s.
"""

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, peak_rss_mb  # noqa: E402

from fedcommons.home import init_node  # noqa: E402
from fedcommons.node import now  # noqa: E402
from fedcommons.store import actors as actor_store  # noqa: E402
from fedcommons.store import deliveries as delivery_store  # noqa: E402
from fedcommons.store import follows as follow_store  # noqa: E402
from fedcommons.store import outgoing as outgoing_store  # noqa: E402
from fedcommons.store.db import transaction  # noqa: E402


# -- the receiver (separate process) -------------------------------------------------------


def receive(sender_file: str) -> None:
    """Serve inboxes on 127.0.0.1 until killed; print the port on the first line.

    ``sender_file`` (JSON: key_id, pem) is read at the first request: the sender's keys
    are made after the receiver's port is known.
    """
    from aiohttp import web

    from fedcommons.sig.httpsig import parse_request
    from fedcommons.sig.keys import load_public_pem

    sender: dict = {}
    seen: Counter = Counter()
    schemes: Counter = Counter()
    rejected: list[str] = []

    def expected_key():
        if not sender:
            data = json.loads(Path(sender_file).read_text())
            sender.update(key_id=data["key_id"], key=load_public_pem(data["pem"]))
        return sender["key_id"], sender["key"]

    async def inbox(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            signed = parse_request(request.method, request.path_qs, request.headers, body,
                                   base_url=f"http://{request.host}")
            key_id, public_key = expected_key()
            if signed.key_id != key_id:
                raise ValueError(f"signed by {signed.key_id}, expected {key_id}")
            result = signed.verify(public_key)
            if not result.ok:
                raise ValueError(result.reason)
            activity_id = json.loads(body)["id"]
        except Exception as exc:  # every rejection is counted and reported by the bench
            rejected.append(f"{request.path}: {exc}")
            return web.Response(status=401)
        seen[(request.path, activity_id)] += 1
        schemes[signed.scheme] += 1
        return web.Response(status=202)

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({
            "accepted": sum(seen.values()),
            "distinct": len(seen),
            "duplicates": sum(n - 1 for n in seen.values()),
            "schemes": dict(schemes),
            "rejected": len(rejected),
            "first_rejections": rejected[:5],
        })

    async def start() -> None:
        app = web.Application()
        app.router.add_get("/stats", stats)
        app.router.add_post("/{path:.*}", inbox)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(start())


# -- the sender ----------------------------------------------------------------------------


def prepare(home: Path, followers: int, peer: str):
    """A node with a pool followed by `followers` remote actors, and one activity queued."""
    from fedcommons.services.actors.actors import create_actor
    from fedcommons.services.actors.pools import create_pool

    node = init_node(home, "http://127.0.0.1:8080", allow_private_addresses=True)
    create_actor(node, "person", "steward")
    pool = create_pool(node, "garden", name="Garden", stewards=["steward"], license="MIT")
    stamp = now()
    with transaction(node.db):
        for i in range(followers):
            actor_id = f"{peer}/users/f{i}"
            actor_store.upsert_remote_actor(node.db, actor_store.ActorRow(
                id=actor_id, kind="person", name=f"f{i}", local=False, display_name=None, summary=None,
                inbox=f"{actor_id}/inbox", shared_inbox=None, rsa_key_id=None, rsa_public_pem=None,
                ed25519_key_id=None, ed25519_multibase=None, document=None, fetched_at=stamp,
                created_at=stamp,
            ))
            follow_store.upsert_follow(node.db, actor_id, pool.id, f"{actor_id}#follow", "accepted", stamp)
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{node.url}/activities/bench-fanout",
        "type": "Create",
        "actor": pool.id,
        "published": stamp,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [f"{pool.id}/followers"],
        "object": {
            "id": f"{node.url}/contributions/bench-fanout",
            "type": ["Note", "Contribution"],
            "attributedTo": f"{node.url}/users/steward",
            "content": "Steward put 3 h of care into Garden: watered the beds and fixed the drip line",
            "published": stamp,
        },
    }
    body = json.dumps(activity).encode()
    with transaction(node.db):
        outgoing_store.enqueue(node.db, activity["id"], pool.id, body, [f"{pool.id}/followers"], stamp)
    return node, pool, len(body)


async def deliver(node, per_host: int, total: int, timeout: float) -> tuple[float, float]:
    """Run the worker from notify() to drained; (wall seconds, CPU seconds of this process)."""
    from fedcommons.federation.client import Client
    from fedcommons.federation.delivery import DeliveryWorker

    client = Client(node)
    worker = DeliveryWorker(node, client, per_host=per_host, total=total)
    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        worker.start()
        worker.notify()
        await worker.drain(timeout)
        return time.perf_counter() - started, time.process_time() - cpu_started
    finally:
        await worker.stop()
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--per-host", type=int, default=4, help="the worker's per-host limit (default: its default)")
    parser.add_argument("--total", type=int, default=64, help="the worker's global limit (default: its default)")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--receive", metavar="SENDER_JSON", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receive:
        receive(args.receive)
        return

    import urllib.request

    workdir = Path(tempfile.mkdtemp(prefix="fedcommons-bench-"))
    sender_file = workdir / "sender.json"
    receiver = subprocess.Popen([sys.executable, __file__, "--receive", str(sender_file)],
                                stdout=subprocess.PIPE, text=True)
    try:
        peer = f"http://127.0.0.1:{int(receiver.stdout.readline())}"
        node, pool, size = prepare(workdir / "home", args.followers, peer)
        sender_file.write_text(json.dumps({"key_id": pool.rsa_key_id, "pem": pool.rsa_public_pem}))

        wall, cpu = asyncio.run(deliver(node, args.per_host, args.total, args.timeout))
        counts = delivery_store.counts(node.db)
        node.close()
        with urllib.request.urlopen(f"{peer}/stats", timeout=10) as response:
            stats = json.load(response)
        print(f"machine: {machine()}")
        print(f"fan-out: 1 activity ({size} bytes) to {args.followers} follower inboxes on one host, "
              f"per-host limit {args.per_host}, global limit {args.total}")
        print(f"delivered: {counts['delivered']} in {wall:.2f} s wall ({cpu:.2f} s CPU in the sender) = "
              f"{counts['delivered'] / wall:,.0f} deliveries/s (target: all {args.followers} in < 10 s); "
              f"pending {counts['pending']}, failed {counts['failed']}; peak RSS {peak_rss_mb():.0f} MB")
        print(f"receiver: {stats['accepted']} accepted with verified signatures "
              f"({', '.join(f'{k} {v}' for k, v in sorted(stats['schemes'].items()))}), "
              f"{stats['distinct']} distinct inboxes, {stats['duplicates']} duplicates, "
              f"{stats['rejected']} rejected {stats['first_rejections'] or ''}")
        ok = counts["delivered"] == args.followers == stats["distinct"] and stats["rejected"] == 0
        sys.exit(0 if ok else 1)
    finally:
        receiver.kill()
        receiver.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
