"""Replicating a log between two nodes on loopback: verified entries per second and memory.

    python bench/sync.py [--count 100000] [--repeat 3] [--page-size 1000] [--workers N]

Builds a source node through the import path, serves it with `fedcommons serve` in a
subprocess on 127.0.0.1, then syncs it into a fresh node in a fresh process (so peak RSS
is the sync's alone) with the code path of `fedcommons sync`: every entry's canonical
bytes and leaf hash recomputed, every Data Integrity proof verified, the root compared
with the signed checkpoint, pages written as they pass. Afterwards the mirror is
re-verified offline once (`fedcommons log verify --origin`). Target: at least 5,000
verified entries/s with the syncing process under 300 MB peak RSS.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine

from fedcommons.cli.mirrors import default_workers
from fedcommons.home import init_node

# Peak RSS is read from VmHWM, which starts afresh in each new program: ru_maxrss would
# also count what the parent held when it forked this process.
PEAK = """
def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""

BUILD_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
from common import fresh_node, write_contributions
from fedcommons.services.importing.importing import import_contributions
node = fresh_node(url=sys.argv[2])
path = node.config.home / "import.jsonl"
write_contributions(path, int(sys.argv[3]))
import_contributions(node, path)
print(json.dumps({"origin": node.config.origin, "home": str(node.config.home)}))
"""

SYNC_CHILD = PEAK + """
import asyncio, json, resource, sys, time
from pathlib import Path
from fedcommons.cli.network import with_client
from fedcommons.services.replication.sync import MAX_PAGE_BYTES, TIMEOUT, sync_peer
from fedcommons.home import open_node
node = open_node(Path(sys.argv[1]))
started, cpu_started = time.perf_counter(), time.process_time()
result = with_client(node, lambda client: sync_peer(node, client, sys.argv[2], page_size=int(sys.argv[3]),
                                                    workers=int(sys.argv[4])),
                     timeout=TIMEOUT, max_bytes=MAX_PAGE_BYTES)
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
children = resource.getrusage(resource.RUSAGE_CHILDREN)
# For the checking processes only ru_maxrss is at hand: an upper bound, as it includes
# what this process held when it started them.
print(json.dumps({"entries": result.fetched, "size": result.size, "proofs": result.proofs,
                  "seconds": elapsed, "cpu": cpu, "children_cpu": children.ru_utime + children.ru_stime,
                  "rss_mb": peak_mb(), "worker_rss_mb": children.ru_maxrss / 1024}))
"""

VERIFY_CHILD = PEAK + """
import json, resource, sys, time
from pathlib import Path
from fedcommons.home import open_node
from fedcommons.services.replication.mirror_verify import verify_mirror
node = open_node(Path(sys.argv[1]))
started, cpu_started = time.perf_counter(), time.process_time()
report = verify_mirror(node, sys.argv[2])
children = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"entries": report.entries, "seconds": time.perf_counter() - started,
                  "cpu": time.process_time() - cpu_started, "children_cpu": children.ru_utime + children.ru_stime,
                  "rss_mb": peak_mb()}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the source node at {url} did not come up within {seconds:g} s")


def child(script: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=3600,
                         check=False)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help="page-checking processes (default: as `fedcommons sync`; 0 = in-process)")
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # Built in a child too, so that this process stays small while it starts the others.
    built = child(BUILD_CHILD, str(Path(__file__).resolve().parent), url, str(args.count))
    origin, home = built["origin"], built["home"]

    server = subprocess.Popen([sys.executable, "-m", "fedcommons", "--home", home, "serve", "--port", str(port),
                               "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs = []
    try:
        wait_until_up(url)
        for _ in range(args.repeat):
            target = Path(tempfile.mkdtemp(prefix="fedcommons-bench-")) / "mirror"
            init_node(target, f"http://127.0.0.1:{free_port()}", allow_private_addresses=True).close()
            figures = child(SYNC_CHILD, str(target), url, str(args.page_size), str(args.workers))
            runs.append(figures)
            print(f"sync: {figures['entries']} entries in {figures['seconds']:.2f} s wall ({figures['cpu']:.2f} s CPU "
                  f"+ {figures['children_cpu']:.2f} s in {args.workers} checking processes) = "
                  f"{figures['entries'] / figures['seconds']:,.0f} verified entries/s; peak RSS "
                  f"{figures['rss_mb']:.0f} MB (largest checking process {figures['worker_rss_mb']:.0f} MB)",
                  flush=True)
        checked = child(VERIFY_CHILD, str(target), origin)
    finally:
        server.terminate()
        server.wait(timeout=30)

    wall = statistics.median(r["seconds"] for r in runs)
    cpu = statistics.median(r["cpu"] + r["children_cpu"] for r in runs)
    entries = runs[0]["entries"]
    print(f"machine: {machine()}")
    print(f"sync (median of {len(runs)}): {entries} entries, {wall:.2f} s wall, {cpu:.2f} s CPU = "
          f"{entries / wall:,.0f} verified entries/s wall, {entries / cpu:,.0f} per CPU second "
          f"(target >= 5,000); {args.workers} checking processes; peak RSS max "
          f"{max(r['rss_mb'] for r in runs):.0f} MB syncing process (target < 300 MB), "
          f"{max(r['worker_rss_mb'] for r in runs):.0f} MB largest checking process (upper bound)")
    print(f"verify mirror offline (`log verify --origin`): {checked['entries']} entries in "
          f"{checked['seconds']:.2f} s wall ({checked['cpu']:.2f} s CPU + {checked['children_cpu']:.2f} s in "
          f"checking processes) = {checked['entries'] / checked['seconds']:,.0f} entries/s; "
          f"peak RSS {checked['rss_mb']:.0f} MB")
    print(f"source home: {home}; os.cpu_count()={os.cpu_count()}")


if __name__ == "__main__":
    main()
