"""Signed contributions appended per second through the code path of `fedcommons import contributions`.

    python bench/append.py [--count 100000]

Builds a node in a temporary directory, writes an import file, and times
`import_contributions` (row checks, Ed25519 Data Integrity proofs, canonical JSON, Merkle
nodes, projections, checkpoints, SQLite commit). Target: at least 5,000 entries/s.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fresh_node, machine, peak_rss_mb, write_contributions  # noqa: E402

from fedcommons.services.importing import import_contributions  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    node = fresh_node()
    path = node.config.home / "import.jsonl"
    write_contributions(path, args.count)
    started, cpu_started = time.perf_counter(), time.process_time()
    result = import_contributions(node, path)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert result.written == args.count
    print(f"machine: {machine()}")
    # One process, one thread: CPU seconds are what one core spent, whatever else ran.
    print(f"append: {args.count} signed contributions in {elapsed:.2f} s wall ({cpu:.2f} s CPU) = "
          f"{args.count / elapsed:,.0f} entries/s wall, {args.count / cpu:,.0f} entries/s per CPU second "
          f"(target >= 5,000); peak RSS {peak_rss_mb():.0f} MB")
    print(f"home: {node.config.home}")


if __name__ == "__main__":
    main()
