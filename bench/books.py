"""Time a cooperative's open books at size: recording, statements, exports and verification.

    python bench/books.py [--entries 10000] [--runs 5]

A cooperative with ``--entries`` signed book entries (income and expenses in EUR over
2020-2025, eight categories) in a fresh node's log. Printed, as medians of ``--runs``:
folding the whole history cold (what a new process does on its first read), recording
one more entry (which reads the books for the unit and the balance check; the fold goes
on from the last read), the statement of one year, the CSV and hledger exports of all movements, and ``books verify``
of a year's statement (rehashing the log and recomputing every figure).
"""

import argparse
import asyncio
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fresh_node, machine, median_seconds  # noqa: E402

from fedcommons.books import statement_period  # noqa: E402
from fedcommons.books.exports import journal, movements_csv  # noqa: E402
from fedcommons.services.books import books  # noqa: E402
from fedcommons.services.books.checks import verify_statement  # noqa: E402
from fedcommons.services.payouts.coops import create_coop  # noqa: E402

CATEGORIES = ["grants", "donations", "sales", "rent", "hosting", "travel", "tools", "fees"]


def entry(rng: random.Random, i: int) -> books.NewEntry:
    day = date(2020, 1, 1) + timedelta(days=rng.randrange(6 * 365))
    income = i % 3 == 0
    return books.NewEntry(kind="income" if income else "expense",
                          amount=f"{rng.randrange(1, 500_000) / 100:.2f}" if not income else
                          f"{rng.randrange(100_000, 2_000_000) / 100:.2f}",
                          currency="EUR", booked_on=day.isoformat(),
                          category=CATEGORIES[(0 if income else 3) + i % (3 if income else 5)],
                          counterparty_name=f"Counterparty {i % 97}", memo=f"movement {i}")


def median_ms(fn, runs: int) -> float:
    return median_seconds(fn, runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    node = fresh_node(people=2)
    create_coop(node, "rootwork", name="Rootwork", members=["p0"])
    coop = books.require_coop(node, "rootwork")
    rng = random.Random(2026)
    member = _member(node)
    started = time.perf_counter()
    # Appended as `books income/expense` would, without re-reading the books each time.
    for i in range(args.entries):
        new = entry(rng, i)
        document = books.entry_document(coop.id, new.kind, new.amount, books.currency("EUR"), new.booked_on,
                                        today=books.today(), counterparty_name=new.counterparty_name,
                                        category=new.category, memo=new.memo)
        books._publish(node, coop, member, document)
    print(f"{args.entries:,} book entries signed and appended in {time.perf_counter() - started:.1f} s")

    n = [0]

    def record() -> None:
        n[0] += 1
        books.record(node, "rootwork", entry(rng, n[0]), member="p0", from_balance=False)

    label, start, after = statement_period("2024", today=books.today())

    def cold() -> None:
        books._LEDGERS.clear()  # as in a new process: the whole history is parsed and folded
        books.coop_movements(node, coop)

    print(f"fold the whole history, cold: {median_ms(cold, args.runs):.1f} ms")
    found = books.coop_movements(node, coop)
    names = books.names(node, found)
    print(f"record one more entry (books of {len(found):,} movements, read since the last): "
          f"{median_ms(record, args.runs):.1f} ms")
    print(f"statement of 2024: {median_ms(lambda: books.statement(node, coop, label, start, after), args.runs):.1f} ms")
    print(f"CSV of all {len(found):,} movements: {median_ms(lambda: movements_csv(found, names), args.runs):.1f} ms")
    print(f"hledger journal of all: {median_ms(lambda: journal(found, names, title='bench'), args.runs):.1f} ms")
    url = f"{coop.id}/books?period=2024"
    check = asyncio.run(verify_statement(node, None, url))
    assert check.ok, check.problems
    ms = median_ms(lambda: asyncio.run(verify_statement(node, None, url)), args.runs)
    print(f"books verify of the 2024 statement ({check.lines:,} lines, {check.tree_size:,} log entries): {ms:.1f} ms")
    node.close()


def _member(node):
    """The member p0, as the service's signing step takes it."""
    return books.actor_store.local_actor(node.db, "p0", "person")


if __name__ == "__main__":
    main()
