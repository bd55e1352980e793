"""`fedcommons db migrate` speed: a SQLite node copied to PostgreSQL, verified, switched.

    python bench/migrate.py [--size 20000] [--batch 1000] [--server postgresql://127.0.0.1:5432/test]

Builds a log of `size` contributions through the import path, then moves the node into a
new schema of the server's database (dropped afterwards) and reports the rows copied, the
wall and CPU time of the whole command (copy, checks, `log verify` of the copy with its
default workers) and of the copy alone, and rows per second.
"""

import argparse
import os
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fresh_node, machine, write_contributions  # noqa: E402

import psycopg  # noqa: E402

from fedcommons.services.importing.importing import import_contributions  # noqa: E402
from fedcommons.services.storage import moving  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=moving.BATCH)
    parser.add_argument("--server", default=os.environ.get("FEDCOMMONS_TEST_POSTGRESQL",
                                                           "postgresql://127.0.0.1:5432/test"))
    args = parser.parse_args()
    node = fresh_node()
    home = node.config.home
    write_contributions(home / "import.jsonl", args.size)
    import_contributions(node, home / "import.jsonl")
    node.close()
    schema = f"bench_migrate_{os.getpid()}"
    with psycopg.connect(args.server, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            url = f"{args.server}?options={quote(f'-csearch_path={schema}')}"
            copying = {"seconds": 0.0}
            verify = moving.verify_log

            def timed_verify(*a, **k):  # the copy is what comes before the verification
                copying["seconds"] = time.perf_counter() - started
                return verify(*a, **k)

            moving.verify_log = timed_verify
            started, cpu = time.perf_counter(), time.process_time()
            report = moving.move_to_postgresql(home, url, batch=args.batch)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
            shutil.rmtree(home.parent, ignore_errors=True)
    print(machine())
    print(f"{report.entries} log entries, {report.rows} rows in {report.tables} tables, batch {args.batch}")
    print(f"whole command: {wall:.1f} s wall, {cpu:.1f} s CPU in this process; "
          f"copy before verification: {copying['seconds']:.1f} s ({report.rows / copying['seconds']:,.0f} rows/s)")


if __name__ == "__main__":
    main()
