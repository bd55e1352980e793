"""Signed contributions appended per second through the code path of `fedcommons import contributions`.

    python bench/append.py [--count 100000] [--batch 1000]

Builds a node in a temporary directory, writes an import file, and times
`import_contributions` (row checks, Ed25519 Data Integrity proofs, canonical JSON, Merkle
nodes, projections, checkpoints, SQLite commit). Target: at least 5,000 entries/s.
Also reports how long each of the import's transactions held the write lock, which is what
a running server waits for.
"""

import argparse
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fresh_node, machine, peak_rss_mb, write_contributions  # noqa: E402

from fedcommons.services.importing import importing  # noqa: E402
from fedcommons.services.importing.importing import import_contributions  # noqa: E402


def time_transactions() -> list[float]:
    """Record the seconds each transaction of the import takes, BEGIN IMMEDIATE to COMMIT."""
    held, begin = [], importing.transaction

    @contextmanager
    def timed(db):
        started = time.perf_counter()
        with begin(db) as inner:
            yield inner
        held.append(time.perf_counter() - started)

    importing.transaction = timed
    return held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--batch", type=int, help="rows per transaction (default: the import's own)")
    args = parser.parse_args()
    node = fresh_node()
    path = node.config.home / "import.jsonl"
    write_contributions(path, args.count)
    held = time_transactions()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = import_contributions(node, path, **({"batch": args.batch} if args.batch else {}))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert result.written == args.count
    print(f"machine: {machine()}")
    # One process, one thread: CPU seconds are what one core spent, whatever else ran.
    print(f"append: {args.count} signed contributions in {elapsed:.2f} s wall ({cpu:.2f} s CPU) = "
          f"{args.count / elapsed:,.0f} entries/s wall, {args.count / cpu:,.0f} entries/s per CPU second "
          f"(target >= 5,000); peak RSS {peak_rss_mb():.0f} MB")
    print(f"write lock held: {len(held)} transactions, median {statistics.median(held) * 1000:,.0f} ms, "
          f"longest {max(held) * 1000:,.0f} ms, {sum(held) / elapsed:.0%} of the run")
    print(f"home: {node.config.home}")


if __name__ == "__main__":
    main()
