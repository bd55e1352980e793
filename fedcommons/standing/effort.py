"""``effort/1``: standing is validated effort, weighted by kind and optionally decayed.

score(contributor) = Σ weight(kind) × hours × 0.5 ** (age_days / halfLifeDays)

over the contributor's validated contributions with ``periodStart <= published <
periodEnd``. Age runs from the contribution's ``published`` to the reference time,
``asOf`` or ``periodEnd`` if that is earlier, in whole seconds (so decay is strictly
monotone in age even at the last bit, see :func:`numeric.half_power`). Without
``halfLifeDays`` nothing decays. Each term is computed as ``(weight × hours) × decay``
and the terms are summed exactly, so the result does not depend on input order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .clock import MICROS_PER_DAY
from .numeric import group_sums, half_power
from .parameters import Parameters
from .view import VALIDATED, LedgerView

MICROS_PER_SECOND = 1_000_000
SECONDS_PER_DAY = MICROS_PER_DAY // MICROS_PER_SECOND


@dataclass(frozen=True)
class Minted:
    """Value minted by each counting contribution and its total per provider."""

    rows: np.ndarray  # contribution rows that count (validated, in the period)
    values: np.ndarray  # value of each of those rows
    per_provider: np.ndarray  # exact sum per interned provider id (length len(view.names))


def minted_values(view: LedgerView, params: Parameters) -> Minted:
    """What each validated contribution in the period mints under ``params``."""
    counts = view.status == VALIDATED
    if params.period_start is not None:
        counts &= view.published >= params.period_start
    if params.period_end is not None:
        counts &= view.published < params.period_end
    rows = np.flatnonzero(counts)
    hours = view.minutes[rows] / 60.0
    weights = _kind_weights(view, rows, params)
    values = weights * hours
    if params.half_life_days is not None:
        reference = view.as_of if params.period_end is None else min(view.as_of, params.period_end)
        age_seconds = np.maximum(reference - view.published[rows], 0) // MICROS_PER_SECOND
        half_lives = age_seconds.astype(np.float64) / (params.half_life_days * SECONDS_PER_DAY)
        values = values * half_power(half_lives)
    per_provider = group_sums(view.provider[rows], values, len(view.names))
    return Minted(rows=rows, values=values, per_provider=per_provider)


def effort_scores(view: LedgerView, params: Parameters) -> dict[str, float]:
    """``effort/1`` score of every contributor with a counting contribution."""
    minted = minted_values(view, params)
    providers = np.unique(view.provider[minted.rows])
    names = view.names
    return {names[i]: float(minted.per_provider[i]) for i in providers.tolist()}


def _kind_weights(view: LedgerView, rows: np.ndarray, params: Parameters) -> np.ndarray:
    """Weight of each row's kind: ``kindWeights[kind]`` or ``defaultWeight``."""
    kinds, inverse = np.unique(view.kind[rows], return_inverse=True)
    table = np.array(
        [params.kind_weights.get(view.names[k], params.default_weight) for k in kinds.tolist()],
        dtype=np.float64,
    )
    return table[inverse] if len(rows) else np.zeros(0, dtype=np.float64)
