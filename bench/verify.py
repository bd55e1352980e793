"""Full `log verify` speed and memory, at two log sizes.

    python bench/verify.py [--sizes 10000 100000] [--compare 3]

For each size, builds a log through the import path, then runs the verification in a fresh
process (so peak RSS is that of verification alone) and reports entries/s and peak RSS.
Target: at least 5,000 entries/s, with memory flat as the log grows. Also reports what each
entry costs at rest.

`--compare N` builds, for each size, one log whose bodies are compressed (as a node keeps
them) and one whose bodies are stored as they are (as before compression), and verifies
them alternately N times each, printing the medians and their ratio.
"""

import argparse
import json
import statistics
import subprocess
import sys

from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from append import uncompressed  # noqa: E402
from common import bytes_at_rest, describe_bytes, fresh_node, machine, write_contributions  # noqa: E402

from fedcommons.services.importing.importing import import_contributions  # noqa: E402

CHILD = """
import json, resource, sys, time
from pathlib import Path
from fedcommons.home import open_node
from fedcommons.services.log.verify import verify_log
node = open_node(Path(sys.argv[1]))
started, cpu_started = time.perf_counter(), time.process_time()
report = verify_log(node)
elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the proof-checking processes
cpu += children.ru_utime + children.ru_stime
# VmHWM, not ru_maxrss: Linux carries the parent's peak across fork and exec into ru_maxrss.
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"entries": report.entries, "seconds": elapsed, "cpu": cpu, "rss_mb": hwm / 1024}))
"""


def build(size: int) -> tuple[str, dict]:
    """A node home with `size` contributions through the import path: (home, bytes at rest)."""
    node = fresh_node()
    path = node.config.home / "import.jsonl"
    write_contributions(path, size)
    import_contributions(node, path)
    home, database = str(node.config.home), node.config.database
    node.close()
    return home, bytes_at_rest(database)


def verify_in_child(home: str) -> dict:
    """Verify the log of `home` in a fresh process; its figures."""
    out = subprocess.run([sys.executable, "-c", CHILD, home], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def describe(figures: dict) -> str:
    rate = figures["entries"] / figures["seconds"]
    return (f"{figures['entries']} entries in {figures['seconds']:.2f} s wall "
            f"({figures['cpu']:.2f} s CPU, checking processes included) = {rate:,.0f} entries/s wall, "
            f"{figures['entries'] / figures['cpu']:,.0f} per CPU second; peak RSS {figures['rss_mb']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--compare", type=int, metavar="ROUNDS",
                        help="alternate compressed and uncompressed logs for this many rounds")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    for size in args.sizes:
        if not args.compare:
            home, at_rest = build(size)
            print(f"verify: {describe(verify_in_child(home))}")
            print(describe_bytes(at_rest))
            continue
        homes = {"compressed": build(size)}
        with uncompressed():
            homes["uncompressed"] = build(size)
        seconds: dict[str, list[float]] = {"compressed": [], "uncompressed": []}
        cpu: dict[str, list[float]] = {"compressed": [], "uncompressed": []}
        for round_ in range(args.compare):
            order = ["compressed", "uncompressed"] if round_ % 2 == 0 else ["uncompressed", "compressed"]
            for kind in order:
                figures = verify_in_child(homes[kind][0])
                seconds[kind].append(figures["seconds"])
                cpu[kind].append(figures["cpu"])
                print(f"round {round_ + 1} {kind}: {describe(figures)}")
        new, old = statistics.median(seconds["compressed"]), statistics.median(seconds["uncompressed"])
        print(f"verify medians at {size}: compressed {size / new:,.0f}, uncompressed {size / old:,.0f} "
              f"entries/s wall; compressed takes {new / old:.1%} of the uncompressed time, "
              f"{statistics.median(cpu['compressed']) / statistics.median(cpu['uncompressed']):.1%} of its CPU")
        for kind, (_, at_rest) in homes.items():
            print(f"{kind}: {describe_bytes(at_rest)}")


if __name__ == "__main__":
    main()
