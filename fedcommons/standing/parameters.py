"""Parameters of the standing methods: defaults, validation and normalised form.

A Standing document records the parameters it was computed with, so they are always
given in full (defaults filled in, dates in one spelling): a later change of a default
can then never change what an old document means.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

from fedcommons.errors import BadInput

from .clock import parse_period_bound

EFFORT = "effort/1"
PEER_RANK = "peer-rank/1"

# Generous bounds that still keep every product far from float overflow.
MAX_KIND_WEIGHT = 1_000_000
MAX_HALF_LIFE_DAYS = 1_000_000
MAX_ITERATIONS = 100_000

_EFFORT_DEFAULTS = {
    "kindWeights": {},
    "defaultWeight": 1,
    "halfLifeDays": None,
    "periodStart": None,
    "periodEnd": None,
}

DEFAULTS: dict[str, dict] = {
    EFFORT: _EFFORT_DEFAULTS,
    PEER_RANK: {
        **_EFFORT_DEFAULTS,
        "alpha": 0.85,
        "endorsementShare": 0.1,
        "tolerance": 1e-13,
        "maxIterations": 1000,
    },
}


@dataclass(frozen=True)
class Parameters:
    """Validated parameters: ``normalized`` for documents, typed fields for computing."""

    method: str
    normalized: dict
    kind_weights: dict[str, float]
    default_weight: float
    half_life_days: float | None
    period_start: int | None  # microseconds, inclusive
    period_end: int | None  # microseconds, exclusive
    alpha: float | None = None
    endorsement_share: float | None = None
    tolerance: float | None = None
    max_iterations: int | None = None


def read_parameters(method: str, parameters: dict | None) -> Parameters:
    """Validate ``parameters`` for ``method``; BadInput names the method or parameter at fault."""
    if type(method) is not str or method not in DEFAULTS:
        known = ", ".join(sorted(DEFAULTS))
        raise BadInput(f"unknown standing method {method!r}; known methods: {known}")
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        raise BadInput(f"parameters of {method} must be a JSON object, got {type(parameters).__name__}")
    defaults = DEFAULTS[method]
    unknown = sorted(str(key) for key in parameters if key not in defaults)
    if unknown:
        raise BadInput(
            f"unknown parameter {unknown[0]!r} for {method}; known parameters: {', '.join(sorted(defaults))}"
        )
    merged = copy.deepcopy(defaults)
    merged.update(copy.deepcopy(parameters))

    weights = merged["kindWeights"]
    if not isinstance(weights, dict):
        raise BadInput("parameter 'kindWeights' must be an object mapping a kind to a number")
    kind_weights = {}
    for kind, value in weights.items():
        if type(kind) is not str:
            raise BadInput("parameter 'kindWeights' must have string keys (contribution kinds)")
        kind_weights[kind] = _number(f"kindWeights.{kind}", value, 0, MAX_KIND_WEIGHT)
    default_weight = _number("defaultWeight", merged["defaultWeight"], 0, MAX_KIND_WEIGHT)

    half_life = merged["halfLifeDays"]
    if half_life is not None:
        half_life = _number("halfLifeDays", half_life, 0, MAX_HALF_LIFE_DAYS, low_open=True)

    start = end = None
    if merged["periodStart"] is not None:
        merged["periodStart"], start = parse_period_bound("periodStart", merged["periodStart"])
    if merged["periodEnd"] is not None:
        merged["periodEnd"], end = parse_period_bound("periodEnd", merged["periodEnd"])
    if start is not None and end is not None and start >= end:
        raise BadInput(
            f"parameter 'periodEnd' ({merged['periodEnd']}) must come after 'periodStart' "
            f"({merged['periodStart']}); the period is [periodStart, periodEnd)"
        )

    extra = {}
    if method == PEER_RANK:
        extra = {
            "alpha": _number("alpha", merged["alpha"], 0, 1, low_open=True, high_open=True),
            "endorsement_share": _number("endorsementShare", merged["endorsementShare"], 0, 1),
            "tolerance": _number("tolerance", merged["tolerance"], 0, 1, low_open=True, high_open=True),
            "max_iterations": _integer("maxIterations", merged["maxIterations"], 1, MAX_ITERATIONS),
        }
    return Parameters(
        method=method,
        normalized=merged,
        kind_weights=kind_weights,
        default_weight=default_weight,
        half_life_days=half_life,
        period_start=start,
        period_end=end,
        **extra,
    )


def validate_parameters(method: str, parameters: dict | None) -> dict:
    """The full, normalised parameters of ``method`` (defaults filled in); BadInput if invalid."""
    return read_parameters(method, parameters).normalized


def _number(name: str, value: object, low: float, high: float, *,
            low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a float within bounds; BadInput naming ``name`` otherwise."""
    lo = "(" if low_open else "["
    hi = ")" if high_open else "]"
    expected = f"a number in {lo}{low}, {high}{hi}"
    if type(value) not in (int, float) or not math.isfinite(value):
        raise BadInput(f"parameter {name!r} must be {expected}, got {value!r}")
    if value < low or value > high or (low_open and value == low) or (high_open and value == high):
        raise BadInput(f"parameter {name!r} must be {expected}, got {value!r}")
    return float(value)


def _integer(name: str, value: object, low: int, high: int) -> int:
    """``value`` as an int within [low, high]; BadInput naming ``name`` otherwise."""
    if type(value) is not int or not low <= value <= high:
        raise BadInput(f"parameter {name!r} must be a whole number in [{low}, {high}], got {value!r}")
    return value
