"""Time the constrained payout split over 10,000 recipients with every constraint set.

    python bench/payout.py [--recipients 10000] [--runs 7]

Standing shares are heavy-tailed (Pareto, alpha 1.16, as 9-decimal share strings like a
Standing document's) so that the 1:8 ratio binds. Each scenario sets all four
constraints (ratio 8, floor, cap, basic share 0.1) on 100.00 EUR per recipient
(1,000,000.00 EUR for 10,000), with floor and
cap chosen so that a different combination binds; the table says which did. Figures are
medians of ``--runs`` runs of ``allocate`` (parse weights, solve exactly, round,
re-check). Target: under 1 s. The last line times the whole `payout` path once more:
balanced policy weights, split, the Distribution document and its CSV.
"""

import argparse
import random
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, median_seconds  # noqa: E402

from fedcommons.payout import (  # noqa: E402
    PoolStanding, compute_payouts, constraints_from_options, currency, distribution_document,
    parse_amount, payouts_csv, standing_input,
)
from fedcommons.payout.allocate import allocate  # noqa: E402

EUR = currency("EUR")
PER_RECIPIENT = 100_00  # minor units: an average payout of 100.00 EUR
# (label, floor, cap) in EUR; ratio 8 and basic share 0.1 throughout.
SCENARIOS = [
    ("ratio binds alone", "20", "2000"),
    ("ratio and floor", "90", "2000"),
    ("ratio and cap", "20", "600"),
    ("floor and cap", "95", "600"),
]


def standing(recipients: int, seed: int = 2026) -> dict[str, str]:
    """Heavy-tailed shares as decimal strings, one per recipient."""
    rng = random.Random(seed)
    raw = [rng.paretovariate(1.16) for _ in range(recipients)]
    total = sum(raw)
    return {f"https://n.example/people/{i:06d}": str(Decimal(x / total).quantize(Decimal("0.000000001")))
            for i, x in enumerate(raw)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    shares = standing(args.recipients)
    weights = {who: Decimal(share) for who, share in shares.items()}
    amount = parse_amount(EUR.to_string(PER_RECIPIENT * args.recipients), EUR)
    print(f"machine: {machine()}")
    print(f"payout: {args.recipients:,} recipients, {EUR.display(amount)}, max ratio 8, basic share 0.1; "
          f"median of {args.runs} runs")
    for label, floor, cap in SCENARIOS:
        constraints = constraints_from_options(EUR, max_ratio="8", floor=floor, cap=cap, basic_share="0.1")
        result = allocate(amount, weights, constraints, unit=EUR)
        seconds = median_seconds(lambda: allocate(amount, weights, constraints, unit=EUR), args.runs)
        values = result.payouts.values()
        assert sum(values) == amount and max(values) <= 8 * min(values)
        print(f"  {label:<18} floor {floor:>3} cap {cap:>4}: {seconds * 1000:7.1f} ms  "
              f"binding {'+'.join(result.binding) or 'none'}; paid {EUR.display(min(values))} .. "
              f"{EUR.display(max(values))} (target < 1000 ms)")

    constraints = constraints_from_options(EUR, max_ratio="8", floor="90", cap="600", basic_share="0.1")
    standing_doc = {"pool": "https://n.example/pools/garden",
                    "checkpoint": {"origin": "n.example/log", "treeSize": 1, "rootHash": "AA=="}}
    paid = {who: 1_000 * (i % 7) for i, who in enumerate(shares)}

    def whole_path() -> str:
        pools = [PoolStanding(standing_doc["pool"], "1", shares)]
        result = compute_payouts("balanced", pools, amount, constraints, paid=paid, unit=EUR)
        doc = distribution_document("https://n.example/coops/c", amount, "EUR", 2, "balanced", constraints,
                                    "2026-10", [standing_input("https://n.example/standing/1", standing_doc)],
                                    result.payouts)
        return payouts_csv(doc)

    seconds = median_seconds(whole_path, args.runs)
    print(f"  balanced weights + split + document + CSV: {seconds * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
