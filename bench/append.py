"""Signed contributions appended per second through the code path of `fedcommons import contributions`.

    python bench/append.py [--count 100000] [--batch 1000] [--compare 3] [--postgresql postgresql://127.0.0.1:5432]

Builds a node in a temporary directory, writes an import file, and times
`import_contributions` (row checks, Ed25519 Data Integrity proofs, canonical JSON, Merkle
nodes, projections, checkpoints, SQLite commit). Target: at least 5,000 entries/s.
Also reports how long each of the import's transactions held the write lock, which is what
a running server waits for, and what each entry costs at rest.

`--compare N` runs N rounds, alternating a log whose bodies are compressed (as a node
keeps them) with one whose bodies are stored as they are (as before compression: no
dictionary is ever trained), and prints the medians of both and their ratio.
"""

import argparse
import statistics
import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (bytes_at_rest, describe_bytes, drop_database, fresh_node, machine, peak_rss_mb,  # noqa: E402
                    write_contributions)

from fedcommons.log import compression  # noqa: E402

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


@contextmanager
def uncompressed():
    """Bodies stored as they are, as before compression: no dictionary is ever trained."""
    saved = compression.FIRST_TRAINING
    compression.FIRST_TRAINING = 10**18
    try:
        yield
    finally:
        compression.FIRST_TRAINING = saved


def append_once(count: int, batch: int | None, server: str | None = None) -> dict:
    """Import `count` contributions into a fresh node; its figures."""
    node = fresh_node(server=server)
    path = node.config.home / "import.jsonl"
    write_contributions(path, count)
    held = time_transactions()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = import_contributions(node, path, **({"batch": batch} if batch else {}))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert result.written == count
    home, database = node.config.home, node.config.database
    node.close()
    figures = {"elapsed": elapsed, "cpu": cpu, "held": held, "home": home, "bytes": bytes_at_rest(database)}
    if server is not None:
        drop_database(database)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--batch", type=int, help="rows per transaction (default: the import's own)")
    parser.add_argument("--compare", type=int, metavar="ROUNDS",
                        help="alternate compressed and uncompressed logs for this many rounds")
    parser.add_argument("--postgresql", metavar="SERVER",
                        help="also run each round on a new database on this PostgreSQL server "
                             "(postgresql://USER@HOST:PORT) and print both side by side")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    if args.postgresql:
        side_by_side(args)
        return
    if args.compare:
        compare(args)
        return
    run = append_once(args.count, args.batch)
    elapsed, cpu, held = run["elapsed"], run["cpu"], run["held"]
    # One process, one thread: CPU seconds are what one core spent, whatever else ran.
    print(f"append: {args.count} signed contributions in {elapsed:.2f} s wall ({cpu:.2f} s CPU) = "
          f"{args.count / elapsed:,.0f} entries/s wall, {args.count / cpu:,.0f} entries/s per CPU second "
          f"(target >= 5,000); peak RSS {peak_rss_mb():.0f} MB")
    print(f"write lock held: {len(held)} transactions, median {statistics.median(held) * 1000:,.0f} ms, "
          f"longest {max(held) * 1000:,.0f} ms, {sum(held) / elapsed:.0%} of the run")
    print(describe_bytes(run["bytes"]))
    print(f"home: {run['home']}")


def side_by_side(args) -> None:
    """SQLite and PostgreSQL in alternating rounds (`--compare` rounds, default 3). Wall
    time is the figure here: PostgreSQL's share of the work runs in its server's process."""
    rates: dict[str, list[float]] = {"sqlite": [], "postgresql": []}
    for round_ in range(args.compare or 3):
        order = ["sqlite", "postgresql"] if round_ % 2 == 0 else ["postgresql", "sqlite"]
        for kind in order:
            run = append_once(args.count, args.batch, args.postgresql if kind == "postgresql" else None)
            rates[kind].append(args.count / run["elapsed"])
            print(f"round {round_ + 1} {kind}: {args.count / run['elapsed']:,.0f} entries/s wall "
                  f"({args.count / run['cpu']:,.0f} per CPU second of this process); {describe_bytes(run['bytes'])}")
    lite, pg = statistics.median(rates["sqlite"]), statistics.median(rates["postgresql"])
    print(f"append medians, one process: SQLite {lite:,.0f} entries/s, PostgreSQL {pg:,.0f} entries/s "
          f"({pg / lite:.0%} of SQLite's rate)")


def compare(args) -> None:
    """Alternating rounds, compressed first in odd rounds and second in even ones."""
    rates: dict[str, list[float]] = {"compressed": [], "uncompressed": []}
    last: dict[str, dict] = {}
    for round_ in range(args.compare):
        order = ["compressed", "uncompressed"] if round_ % 2 == 0 else ["uncompressed", "compressed"]
        for kind in order:
            with uncompressed() if kind == "uncompressed" else nullcontext():
                run = append_once(args.count, args.batch)
            rates[kind].append(args.count / run["cpu"])
            last[kind] = run["bytes"]
            print(f"round {round_ + 1} {kind}: {args.count / run['cpu']:,.0f} entries per CPU second, "
                  f"{args.count / run['elapsed']:,.0f}/s wall; {run['bytes']['log']:,.0f} bytes per entry at rest")
    new, old = statistics.median(rates["compressed"]), statistics.median(rates["uncompressed"])
    print(f"append medians: compressed {new:,.0f}, uncompressed {old:,.0f} entries per CPU second; "
          f"compressed takes {old / new:.1%} of the uncompressed time")
    for kind in ("compressed", "uncompressed"):
        print(f"{kind}: {describe_bytes(last[kind])}")


if __name__ == "__main__":
    main()
