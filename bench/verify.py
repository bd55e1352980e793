"""Full `log verify` speed and memory, at two log sizes.

    python bench/verify.py [--sizes 10000 100000]

For each size, builds a log through the import path, then runs the verification in a fresh
process (so peak RSS is that of verification alone) and reports entries/s and peak RSS.
Target: at least 5,000 entries/s, with memory flat as the log grows.
"""

import argparse
import json
import subprocess
import sys

from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fresh_node, machine, write_contributions  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(f"machine: {machine()}")
    for size in args.sizes:
        node = fresh_node()
        path = node.config.home / "import.jsonl"
        write_contributions(path, size)
        import_contributions(node, path)
        home = str(node.config.home)
        node.close()
        out = subprocess.run([sys.executable, "-c", CHILD, home], capture_output=True, text=True, check=True)
        figures = json.loads(out.stdout)
        rate = figures["entries"] / figures["seconds"]
        print(f"verify: {figures['entries']} entries in {figures['seconds']:.2f} s wall "
              f"({figures['cpu']:.2f} s CPU, checking processes included) = {rate:,.0f} entries/s wall, "
              f"{figures['entries'] / figures['cpu']:,.0f} per CPU second; peak RSS {figures['rss_mb']:.0f} MB")



if __name__ == "__main__":
    main()
