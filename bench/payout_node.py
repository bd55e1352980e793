"""Time `fedcommons payout` end to end on a node whose pool has 10,000 contributors.

    python bench/payout_node.py [--contributors 10000] [--home DIR] [--runs 3]

Set-up, once per home (a home prepared earlier is reused when --home names it): a node
with N people, a pool stewarded by two more, and a cooperative sustaining the pool. Two
contributions per person (one in February 2025, one in March, heavy-tailed efforts so
that the 1:8 ratio binds) come in through `fedcommons import contributions`, the import
path, and a steward validates every one (Accepts signed and appended in batches of
1,000, as the import appends). People are created by two processes at once: RSA key
generation is most of the set-up time.

Timed, every constraint active (max ratio 8, floor 20.00, cap 2,000.00, basic share 0.1;
100.00 EUR per contributor, so 1,000,000.00 EUR for 10,000; immediate policy for 2025-03):

1. the whole command as a subprocess: ``--dry-run --format csv`` (start-up, reading the
   log, standing, split, CSV); then publishing (adds signing and the log append); then
   ``fedcommons payout verify`` of what was published; medians of --runs;
2. the same payout in-process, phase by phase: where the time goes.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import machine, peak_rss_mb

URL = "http://127.0.0.1:8080"
OPTIONS = ["--currency", "EUR", "--policy", "immediate", "--period", "2025-03", "--max-ratio", "8",
           "--floor", "20", "--cap", "2000", "--basic-share", "0.1"]


def _people(args: tuple[str, range]) -> None:
    from fedcommons.home import open_node
    from fedcommons.services.actors.actors import create_actor

    home, numbers = args
    node = open_node(Path(home))
    try:
        for i in numbers:
            create_actor(node, "person", f"p{i:05d}")
    finally:
        node.close()


def prepare(home: Path, contributors: int) -> None:
    """The node described in the module docstring."""
    import random

    from fedcommons import activities, urls
    from fedcommons.cli.network import with_client
    from fedcommons.home import init_node, open_node
    from fedcommons.node import now
    from fedcommons.services.actors.actors import create_actor, require
    from fedcommons.services.actors.pools import create_pool
    from fedcommons.services.actors.signing import sign_as
    from fedcommons.services.importing.importing import import_contributions
    from fedcommons.services.log import log_writer
    from fedcommons.services.payouts.coops import create_coop, sustain
    from fedcommons.store import contributions as contribution_store
    from fedcommons.store.db import transaction

    started = time.perf_counter()
    node = init_node(home, URL)
    for name in ("s0", "s1"):
        create_actor(node, "person", name)
    create_pool(node, "commons", name="Commons", stewards=["s0", "s1"])
    create_coop(node, "rootwork", name="Rootwork", members=["s0"])
    with_client(node, lambda client: sustain(node, client, "rootwork", "commons", member="s0"))
    node.close()
    half = contributors // 2
    with Pool(2) as pool:
        pool.map(_people, [(str(home), range(half)), (str(home), range(half, contributors))])
    print(f"  {contributors:,} people created in {time.perf_counter() - started:.0f} s", flush=True)

    rng = random.Random(2026)
    path = home / "contributions.jsonl"
    with open(path, "w") as out:
        for i in range(contributors):
            for day in ("2025-02-10", "2025-03-10"):
                minutes = min(7 * 24 * 60, int(30 * rng.paretovariate(1.2)))
                out.write(json.dumps({"pool": "commons", "as": f"p{i:05d}", "effort": f"{minutes}m",
                                      "kind": "code", "summary": "work", "date": day}) + "\n")
    node = open_node(home)
    t = time.perf_counter()
    result = import_contributions(node, path)
    print(f"  {result.written:,} contributions imported in {time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    steward = require(node, "s0", "person")
    pool_id = f"{URL}/pools/commons"
    rows = contribution_store.contributions_of_pool(node.db, pool_id, limit=10 * result.written)
    with transaction(node.db):
        for start in range(0, len(rows), 1000):
            batch = [sign_as(node, steward, activities.decision(
                activity_id=urls.new_activity(node.url), steward=steward.id, contribution_id=row.id,
                contributor=row.contributor, accept=True, published=now())) for row in rows[start:start + 1000]]
            log_writer.append(node, batch)
    print(f"  {len(rows):,} validations appended in {time.perf_counter() - t:.1f} s; "
          f"set-up {time.perf_counter() - started:.0f} s in all", flush=True)
    (home / "prepared").write_text(str(contributors))
    node.close()


def fedcommons(home: Path, *args: str) -> tuple[float, str]:
    """Run the command line as a user would; (seconds, stdout)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "fedcommons", "--home", str(home), *args],
                          capture_output=True, text=True, check=False, env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"fedcommons {' '.join(args)} failed: {done.stderr}")
    return seconds, done.stdout


def amount_for(contributors: int) -> str:
    """100.00 EUR per contributor."""
    return f"{contributors * 100}.00"


def phases(home: Path, amount_text: str) -> list[tuple[str, float]]:
    """The payout's steps in-process, as services.payouts.payouts runs them, timed one by one."""
    from fedcommons.home import open_node
    from fedcommons.payout import (
        PoolStanding,
        compute_payouts,
        constraints_from_options,
        currency,
        distribution_document,
        parse_amount,
        payouts_csv,
        standing_input,
        standing_shares,
    )
    from fedcommons.services.payouts import payouts
    from fedcommons.services.payouts.coops import require_coop, sustained
    from fedcommons.services.standing import pool_state
    from fedcommons.services.standing import standing as standing_service
    from fedcommons.standing import pool_method

    node = open_node(home)
    times: list[tuple[str, float]] = []

    def step(label, fn):
        t = time.perf_counter()
        value = fn()
        times.append((label, time.perf_counter() - t))
        return value

    coop = require_coop(node, "rootwork")
    [sus] = sustained(node, coop)
    as_of = standing_service.parse_as_of(None)
    log = standing_service.log_of_pool(node, sus.pool)
    checkpoint = log.checkpoint()
    ledger = step(f"read the log into the ledger ({checkpoint['treeSize']:,} entries)",
                  lambda: pool_state.read_ledger(log.entries(0, checkpoint["treeSize"]), sus.pool))
    method, params = pool_method(ledger, as_of)
    params = {**params, "periodStart": "2025-03-01", "periodEnd": "2025-04-01"}
    standing, _ = step("standing (effort/1 over the period)",
                       lambda: standing_service.compute(ledger, checkpoint, as_of, method, params))
    standing["id"] = f"{coop.id}/standings/bench"
    unit = currency("EUR")
    amount = parse_amount(amount_text, unit)
    constraints = constraints_from_options(unit, max_ratio="8", floor="20", cap="2000", basic_share="0.1")
    pools = step("standing rows to exact shares", lambda: [
        PoolStanding(sus.pool, sus.weight, standing_shares(standing))])
    allocation = step("policy and constrained split (compute_payouts)", lambda: compute_payouts(
        "immediate", pools, amount, constraints, unit=unit))
    doc = step("Distribution document", lambda: distribution_document(
        coop.id, amount, "EUR", 2, "immediate", constraints, "2025-03",
        [standing_input(standing["id"], standing, sus.weight_text)], allocation.payouts))
    step("CSV", lambda: payouts_csv(doc))
    plan = payouts.plan_payout(node, coop, payouts.PayoutOptions(
        amount=amount_text, currency="EUR", policy="immediate", period="2025-03", floor="20", cap="2000",
        basic_share="0.1"))
    step("publish: sign Standing and Distribution, append (one transaction)",
         lambda: payouts.publish(node, plan))
    times.append(("binding: " + "+".join(allocation.binding), 0.0))
    node.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contributors", type=int, default=10_000)
    parser.add_argument("--home", type=Path, help="A node home to prepare, or one prepared earlier.")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="fedcommons-payout-")) / "home"
    print(f"machine: {machine()}")
    if not (home / "prepared").exists():
        print(f"preparing {home} ({args.contributors:,} contributors)", flush=True)
        prepare(home, args.contributors)
    contributors = int((home / "prepared").read_text())
    amount = amount_for(contributors)
    print(f"payout of {amount} EUR among {contributors:,} contributors, every constraint active; "
          f"median of {args.runs} runs")

    dry = [fedcommons(home, "payout", "rootwork", "--amount", amount, *OPTIONS, "--dry-run",
                      "--format", "csv")[0] for _ in range(args.runs)]
    print(f"  fedcommons payout --dry-run --format csv:  {statistics.median(dry):6.2f} s")
    published, urls_ = [], []
    for _ in range(args.runs):
        seconds, out = fedcommons(home, "payout", "rootwork", "--amount", amount, *OPTIONS, "--as", "s0",
                                  "--format", "json")
        published.append(seconds)
        urls_.append(json.loads(out)["distribution"]["id"])
    print(f"  fedcommons payout (publish):               {statistics.median(published):6.2f} s")
    checks = [fedcommons(home, "payout", "verify", url)[0] for url in urls_]
    print(f"  fedcommons payout verify:                  {statistics.median(checks):6.2f} s")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import fedcommons.cli"], check=True)
    print(f"  (python start-up and imports alone:        {time.perf_counter() - started:6.2f} s)")
    print("in-process, one run:")
    for label, seconds in phases(home, amount):
        print(f"  {label:<66} {seconds * 1000:8.1f} ms" if seconds else f"  {label}")
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
