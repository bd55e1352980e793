"""Shared set-up for the benchmarks: a throwaway node with a pool and contributors."""

import json
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from fedcommons.home import init_node
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fresh_node(people: int = 10, url: str = "http://127.0.0.1:8080", server: str | None = None):
    """A node in a temporary home with `people` contributors and one pool; with `server`
    (postgresql://HOST:PORT), its data in a new database there (see `drop_database`)."""
    home = Path(tempfile.mkdtemp(prefix="fedcommons-bench-")) / "home"
    node = init_node(home, url, allow_private_addresses=True, database=new_database_url(server))
    for i in range(people):
        create_actor(node, "person", f"p{i}")
    create_pool(node, "garden", name="Garden", stewards=["p0"], license="MIT")
    return node


def write_contributions(path: Path, count: int, people: int = 10) -> None:
    """A JSON-lines import file of `count` contributions."""
    kinds = ["code", "docs", "care", "review", "design"]
    with open(path, "w") as f:
        for i in range(count):
            f.write(json.dumps({
                "pool": "garden", "as": f"p{1 + i % (people - 1)}", "effort": f"{1 + i % 5}h",
                "kind": kinds[i % len(kinds)], "summary": f"contribution number {i}",
                "evidence": [f"https://git.example/garden/commit/{i:08x}"],
            }) + "\n")


def median_seconds(fn, runs: int) -> float:
    """The median wall time of ``runs`` calls of ``fn``, in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def machine() -> str:
    """One line describing where the figures came from."""
    import os
    import platform

    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, {platform.system()}; "
            f"host speed now: sum(range(1000)) in {host_speed_us():.1f} us")


def host_speed_us() -> float:
    """Microseconds for sum(range(1000)), best of five; the lower, the faster the host is
    at the moment. A shared host's speed drifts (here by up to three times within an
    hour), so each figure is printed next to this."""
    import timeit

    return min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6


def add_senders(node, count: int, peer: str = "http://127.0.0.1:9") -> list[tuple[str, object]]:
    """`count` remote people whose RSA keys are already in the node's actor cache, as they
    are for peers a node talks to every day (`peer` is never contacted): (actor id, key)."""
    from fedcommons.node import now
    from fedcommons.sig.keys import generate_rsa, public_pem
    from fedcommons.store import actors as actor_store
    from fedcommons.store.db import transaction

    senders = []
    with transaction(node.db):
        for i in range(count):
            key = generate_rsa()
            actor = f"{peer}/users/s{i}"
            actor_store.upsert_remote_actor(node.db, actor_store.ActorRow(
                id=actor, kind="person", name=f"s{i}", local=False, display_name=None, summary=None,
                inbox=f"{actor}/inbox", shared_inbox=None, rsa_key_id=f"{actor}#main-key",
                rsa_public_pem=public_pem(key), ed25519_key_id=None, ed25519_multibase=None,
                document=None, fetched_at=now(), created_at=now()))
            senders.append((actor, key))
    return senders


def signed_notes(inbox: str, senders: list, count: int, tag: str = "") -> list[tuple[str, bytes, dict]]:
    """`count` distinct Create{Note} deliveries to `inbox`, signed beforehand (draft-cavage,
    RSA-2048, as Mastodon sends them): (activity id, body, headers)."""
    from fedcommons.sig.httpsig import sign_request

    requests = []
    for n in range(count):
        actor, key = senders[n % len(senders)]
        activity_id = f"{actor}/statuses/{tag}{n}/activity"
        body = json.dumps({
            "@context": "https://www.w3.org/ns/activitystreams", "id": activity_id,
            "type": "Create", "actor": actor, "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": {"id": f"{actor}/statuses/{tag}{n}", "type": "Note", "attributedTo": actor,
                       "content": f"<p>hello number {n}</p>"},
        }).encode()
        headers = {"Content-Type": "application/activity+json"}
        headers.update(sign_request("POST", inbox, headers, body, key_id=f"{actor}#main-key",
                                    private_key=key, scheme="cavage"))
        requests.append((activity_id, body, headers))
    return requests


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_until_serving(http, base: str, tries: int = 200) -> None:
    """Wait (bounded: `tries` times 0.1 s) until the node at `base` answers /health."""
    import asyncio

    import aiohttp

    for _ in range(tries):
        try:
            async with http.get(f"{base}/health") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not start")


# What an entry costs at rest: the log's table with its indexes, its Merkle nodes and the
# dictionaries its bodies are compressed with (projections such as `contributions` are
# derived tables, reported with the whole file).
LOG_TABLES = ("log_entries", "sqlite_autoindex_log_entries_1", "log_entries_object", "log_entries_actor",
              "merkle_nodes", "body_dictionaries")


def new_database_url(server: str | None) -> str | None:
    """A fresh database name on a PostgreSQL server (postgresql://USER@HOST:PORT), or None."""
    if server is None:
        return None
    return f"{server.rstrip('/')}/fedcommons_bench_{uuid.uuid4().hex[:12]}"


def drop_database(url: str | None) -> None:
    """Drop a database `new_database_url` named, once nothing is connected to it."""
    if url is None:
        return
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def bytes_at_rest(database: Path | str) -> dict:
    """Bytes per entry in a node's database (SQLite's dbstat: pages, overhead included;
    PostgreSQL's relation sizes: tables, their indexes and TOAST)."""
    if isinstance(database, str):
        return _bytes_at_rest_postgresql(database)
    import sqlite3

    conn = sqlite3.connect(database)
    try:
        entries, canonical_or_stored = conn.execute(
            "SELECT count(*), avg(length(body)) FROM log_entries").fetchone()
        pages = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
        file_bytes = conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    return {
        "entries": entries,
        "stored_body": canonical_or_stored,
        "log": sum(pages.get(name, 0) for name in LOG_TABLES) / entries,
        "file": file_bytes / entries,
    }


def _bytes_at_rest_postgresql(url: str) -> dict:
    import psycopg

    with psycopg.connect(url) as conn:
        entries, stored = conn.execute("SELECT count(*), avg(length(body)) FROM log_entries").fetchone()
        log = conn.execute(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
            "WHERE c.relname IN ('log_entries', 'merkle_nodes', 'body_dictionaries') AND c.relkind = 'r' "
            "AND c.relnamespace = current_schema()::regnamespace").fetchone()[0]
        whole = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return {"entries": entries, "stored_body": float(stored), "log": int(log) / entries, "file": whole / entries}


def describe_bytes(figures: dict) -> str:
    """One line for `bytes_at_rest`."""
    return (f"at rest: {figures['log']:,.0f} bytes per entry (log table, its indexes, Merkle nodes, "
            f"dictionaries; stored body {figures['stored_body']:,.0f} bytes); whole database file "
            f"{figures['file']:,.0f} bytes per entry over {figures['entries']:,} entries")
