"""Income sharing, the pure core: exact money, policies, the constrained split, the document.

Nothing here does I/O. The flow for one payout:

1. :func:`~fedcommons.payout.money.currency` and
   :func:`~fedcommons.payout.money.parse_amount` turn "10000.00" EUR into 1000000 minor units;
   :func:`~fedcommons.payout.constraints.constraints_from_options` reads ratio, floor, cap
   and basic share (floor and cap in major units).
2. :func:`~fedcommons.payout.policies.compute_payouts` combines the pools' standings,
   applies the policy and splits (:func:`~fedcommons.payout.allocate.allocate`).
3. :func:`~fedcommons.payout.document.distribution_document` writes the unsigned
   ``fc:Distribution``; :func:`~fedcommons.payout.document.payouts_csv` the bookkeeper's CSV;
   :func:`~fedcommons.payout.document.recompute` checks a published one.
"""

from fedcommons.payout.allocate import Allocation, allocate, split
from fedcommons.payout.constraints import (
    Constraints, check_feasible, constraints_from_json, constraints_from_options, constraints_to_json,
)
from fedcommons.payout.document import (
    DistributionTerms, StandingRef, distribution_document, distribution_input, paid_totals,
    payout_differences, payouts_csv, read_distribution, recompute, standing_input, standing_shares,
)
from fedcommons.payout.money import ISO_4217_EXPONENTS, Currency, currency, format_minor, parse_amount
from fedcommons.payout.policies import (
    POLICIES, PoolStanding, balanced_weights, combine_pools, compute_payouts, immediate_weights,
    policy_weights, recent_weights, shares,
)

__all__ = [
    "Allocation", "Constraints", "Currency", "DistributionTerms", "ISO_4217_EXPONENTS", "POLICIES",
    "PoolStanding", "StandingRef", "allocate", "balanced_weights", "check_feasible", "combine_pools",
    "compute_payouts", "constraints_from_json", "constraints_from_options", "constraints_to_json",
    "currency", "distribution_document", "distribution_input", "format_minor", "immediate_weights",
    "paid_totals", "parse_amount", "payout_differences", "payouts_csv", "policy_weights",
    "read_distribution", "recent_weights", "recompute", "shares", "split", "standing_input",
    "standing_shares",
]
