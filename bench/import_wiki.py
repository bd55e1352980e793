"""MediaWiki revisions read from a synthetic stub dump, then imported end to end.

    python bench/import_wiki.py [--revisions 1000000] [--import-revisions N] [--per-page 100]

Writes a stub-history dump (every tenth revision an identity revert, every seventh by an IP
address, every thirteenth by a bot; 997 registered accounts) into a temporary directory,
then, each in a fresh process so that each peak RSS is its own:

- read: ``MediaWikiDump.read`` over the whole dump (parse, per-page revert windows, valuing,
  the external sort into time order), counting revisions;
- import: the same through the pipeline into a pool whose accounts all have aliases
  (sessions/1, signing each contribution, appending in batches with the cursor).

Targets: 5,000 revisions/s or more, peak RSS under 200 MB.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests"), str(ROOT)]  # this tree's code, whatever is installed

from common import fresh_node, machine, peak_rss_mb  # noqa: E402
from support_mediawiki import write_synthetic_stub  # noqa: E402

from fedcommons.importers.mediawiki_dump import MediaWikiDump  # noqa: E402

ACCOUNTS = 997  # user ids 1..997 in the synthetic dump (bots and IPs aside)


def phase_read(dump: Path) -> dict:
    started, cpu = time.perf_counter(), time.process_time()
    count = sum(1 for _ in MediaWikiDump(dump).read(None))
    return {"revisions": count, "seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu,
            "rss": peak_rss_mb()}


def phase_import(dump: Path) -> dict:
    # Imported here: the read phase's RSS should not carry the node's modules.
    from fedcommons.services.actors import signing
    from fedcommons.services.importing import sources
    from fedcommons.store import imports as import_store
    from fedcommons.store.db import transaction

    node = fresh_node(people=20)
    pool = f"{node.url}/pools/garden"
    row = sources.add_source(node, "wiki", pool="garden", type_="mediawiki-dump", location=str(dump))
    with transaction(node.db):
        for account in range(1, ACCOUNTS + 1):
            import_store.add_alias(node.db, pool, f"mediawiki:synthwiki:{account}",
                                   f"{node.url}/users/p{1 + account % 19}", f"{node.url}/users/p0", "t")
    started, cpu, worker = time.perf_counter(), time.process_time(), signing.worker_cpu()
    summary = sources.import_source(node, row, sources.open_source(row))
    worker = signing.worker_cpu() - worker
    return {"revisions": summary.items, "recorded": summary.recorded, "skipped": summary.skipped,
            "bots": summary.bots, "anonymous": summary.anonymous, "waiting": summary.waiting,
            "seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu + worker,
            "worker_cpu": worker, "rss": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=1_000_000, help="revisions in the dump read")
    parser.add_argument("--import-revisions", type=int, help="revisions in the dump imported (default: the same)")
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--phase", choices=["read", "import"], help=argparse.SUPPRESS)
    parser.add_argument("--dump", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        result = (phase_read if args.phase == "read" else phase_import)(Path(args.dump))
        print(json.dumps(result))
        return
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="fedcommons-wiki-bench-") as directory:
        for phase, count in (("read", args.revisions), ("import", args.import_revisions or args.revisions)):
            dump = Path(directory) / f"synthetic-{count}.xml"
            if not dump.exists():
                with open(dump, "wb") as out:
                    write_synthetic_stub(out, count, per_page=args.per_page)
            done = subprocess.run([sys.executable, __file__, "--phase", phase, "--dump", str(dump)],
                                  capture_output=True, text=True, check=True)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            extra = (f", {r['recorded']:,} recorded, {r['skipped']:,} reverts, {r['bots']:,} bots and "
                     f"{r['anonymous']:,} IP edits skipped" if phase == "import" else "")
            worker = f", {r['worker_cpu']:.1f} s of it in the signing worker" if phase == "import" else ""
            print(f"{phase}: {r['revisions']:,} revisions in {r['seconds']:.1f} s wall ({r['cpu']:.1f} s CPU{worker}) = "
                  f"{r['revisions'] / r['seconds']:,.0f} revisions/s wall, {r['revisions'] / r['cpu']:,.0f} per CPU "
                  f"second (target >= 5,000){extra}; peak RSS {r['rss']:.0f} MB (target < 200)")


if __name__ == "__main__":
    main()
