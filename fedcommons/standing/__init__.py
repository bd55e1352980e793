"""Contributor standing: a pure, deterministic function of a pool's log entries.

Feed activities into a :class:`PoolLedger` (``build_ledger`` or ``.add``), then
:func:`compute_standing` with a method from :data:`METHODS` and build the unsigned
document with :func:`standing_document`. No I/O happens here.
"""

from .document import standing_document
from .ledger import PoolLedger, build_ledger
from .methods import METHODS, Method, compute_standing
from .numeric import SCORE_DECIMALS, SHARE_DECIMALS
from .parameters import DEFAULTS, validate_parameters
from .pool import ContributionStatus, contributions, pool_method, stewards
from .result import StandingResult, StandingRow

__all__ = [
    "DEFAULTS",
    "METHODS",
    "SCORE_DECIMALS",
    "SHARE_DECIMALS",
    "ContributionStatus",
    "Method",
    "PoolLedger",
    "StandingResult",
    "StandingRow",
    "build_ledger",
    "compute_standing",
    "contributions",
    "pool_method",
    "standing_document",
    "stewards",
    "validate_parameters",
]
