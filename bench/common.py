"""Shared set-up for the benchmarks: a throwaway node with a pool and contributors."""

import json
import resource
import sys
import tempfile
from pathlib import Path

from fedcommons.node import init_node
from fedcommons.services.actors import create_actor
from fedcommons.services.pools import create_pool


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fresh_node(people: int = 10, url: str = "http://127.0.0.1:8080"):
    """A node in a temporary home with `people` contributors and one pool."""
    home = Path(tempfile.mkdtemp(prefix="fedcommons-bench-")) / "home"
    node = init_node(home, url, allow_private_addresses=True)
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
