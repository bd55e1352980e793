"""`fedcommons backup` and restore speed, and what a backup costs a node that keeps writing.

    python bench/backup.py [--size 20000] [--runs 3]

Builds a log through the import path, then, for each run: a backup with nobody writing; a
backup while another thread appends one contribution after another (as a server would),
reporting how many appends went through during the copy and their median and slowest
latency against the same appends with no backup running; and a restore of the file into a
new home (checksums, keys, database; no peers to ask). Medians over the runs.
"""

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fresh_node, machine, write_contributions  # noqa: E402

from fedcommons.config import load_config  # noqa: E402
from fedcommons.home import open_node  # noqa: E402
from fedcommons.services.backup.archive import write_backup  # noqa: E402
from fedcommons.services.backup.restore import restore_home  # noqa: E402
from fedcommons.services.contributions.contributions import contribute  # noqa: E402
from fedcommons.services.importing.importing import import_contributions  # noqa: E402


def appending(home: Path, stop: threading.Event, latencies: list[float]) -> None:
    """Append contributions one by one until told to stop, timing each."""
    node = open_node(home)
    try:
        n = 0
        while not stop.is_set():
            started = time.perf_counter()
            contribute(node, pool="garden", person="p1", effort="1h", kind="care", summary=f"live {n}")
            latencies.append(time.perf_counter() - started)
            n += 1
    finally:
        node.close()


def timed_appends(home: Path, seconds: float) -> list[float]:
    stop, latencies = threading.Event(), []
    worker = threading.Thread(target=appending, args=(home, stop, latencies))
    worker.start()
    time.sleep(seconds)
    stop.set()
    worker.join()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    node = fresh_node()
    home = node.config.home
    write_contributions(home / "import.jsonl", args.size)
    import_contributions(node, home / "import.jsonl")
    node.close()
    config = load_config(home)
    db_mb = config.database.stat().st_size / 1e6
    scratch = Path(tempfile.mkdtemp(prefix="fedcommons-bench-backup-"))
    quiet, busy, restores, during, alone, sizes = [], [], [], [], [], []
    for run in range(args.runs):
        started = time.perf_counter()
        manifest = write_backup(config, scratch / f"quiet{run}.tar")
        quiet.append(time.perf_counter() - started)
        sizes.append((scratch / f"quiet{run}.tar").stat().st_size / 1e6)

        alone.extend(timed_appends(home, 2.0))
        stop, latencies = threading.Event(), []
        worker = threading.Thread(target=appending, args=(home, stop, latencies))
        worker.start()
        time.sleep(0.2)
        before = len(latencies)
        started = time.perf_counter()
        write_backup(config, scratch / f"busy{run}.tar")
        busy.append(time.perf_counter() - started)
        written = len(latencies) - before
        stop.set()
        worker.join()
        during.extend(latencies[before:before + written])

        started = time.perf_counter()
        restore_home(scratch / f"quiet{run}.tar", scratch / f"restored{run}", lambda: "")
        restores.append(time.perf_counter() - started)
    median = statistics.median
    print(f"log: {manifest.log_size:,} entries, database {db_mb:.0f} MB, backup file {median(sizes):.0f} MB; "
          f"medians of {args.runs} runs")
    print(f"  backup, nobody writing:          {median(quiet):6.2f} s  ({db_mb / median(quiet):.0f} MB/s)")
    print(f"  backup, a writer appending:      {median(busy):6.2f} s  ({len(during)} appends went through "
          f"during {args.runs} backups)")
    print(f"  append latency, no backup:       median {median(alone) * 1e3:6.1f} ms, slowest {max(alone) * 1e3:6.1f} ms"
          f"  ({len(alone)} appends)")
    if during:
        print(f"  append latency, during a backup: median {median(during) * 1e3:6.1f} ms, "
              f"slowest {max(during) * 1e3:6.1f} ms")
    print(f"  restore (checks, keys, database): {median(restores):6.2f} s")


if __name__ == "__main__":
    main()
