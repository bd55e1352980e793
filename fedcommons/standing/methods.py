"""The registry of standing methods and the one entry point that runs them.

A method id names a versioned, frozen algorithm: a change in what a method computes
gets a new id (``effort/2``), so a Standing document can always be recomputed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .clock import micros_of
from .effort import effort_scores
from .ledger import PoolLedger
from .parameters import DEFAULTS, EFFORT, PEER_RANK, Parameters, read_parameters
from .peerrank import peer_rank_scores
from .result import StandingResult, rank
from .view import LedgerView, resolve


@dataclass(frozen=True)
class Method:
    """A standing method: its id, a one-line summary, default parameters and its function."""

    id: str
    summary: str
    defaults: dict
    scores: Callable[[LedgerView, Parameters], tuple[dict[str, float], int | None]]


def _effort(view: LedgerView, params: Parameters) -> tuple[dict[str, float], None]:
    return effort_scores(view, params), None


METHODS: dict[str, Method] = {
    EFFORT: Method(
        EFFORT,
        "validated effort in hours, weighted by kind, optionally decayed by age",
        DEFAULTS[EFFORT],
        _effort,
    ),
    PEER_RANK: Method(
        PEER_RANK,
        "validated effort mints standing; endorsements pass it on in proportion to the endorser's",
        DEFAULTS[PEER_RANK],
        peer_rank_scores,
    ),
}


def compute_standing(ledger: PoolLedger, method: str, parameters: dict | None,
                     as_of: datetime) -> StandingResult:
    """Standing of the pool's contributors under ``method`` from activities up to ``as_of``.

    BadInput for an unknown method, invalid parameters (naming the parameter) or a naive
    ``as_of``.
    """
    params = read_parameters(method, parameters)
    at = micros_of(as_of)
    view = resolve(ledger, at)
    # Past everything the ledger holds the view is the same for any later asOf (see
    # resolve), and without decay the scores do not depend on asOf either: the current
    # standing, asked for again a second later, reuses them.
    latest = ledger.latest_view
    steady = (params.half_life_days is None and latest is not None and latest[0] == ledger.version
              and at >= latest[1])
    key = (ledger.version, params.method, json.dumps(params.normalized, sort_keys=True))
    if steady and ledger.latest_scores is not None and ledger.latest_scores[0] == key:
        scores, iterations = ledger.latest_scores[1]
    else:
        scores, iterations = METHODS[params.method].scores(view, params)
        if steady:
            ledger.latest_scores = (key, (scores, iterations))
    return StandingResult(params.method, params.normalized, at, rank(scores), iterations)
