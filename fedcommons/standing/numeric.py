"""Arithmetic that gives the same bits on every machine and in every input order.

A Standing document must be byte-identical wherever it is recomputed. IEEE 754 makes
``+ - * /`` correctly rounded everywhere, but not ``exp``/``pow`` (libm and numpy's SIMD
kernels differ in the last bit between platforms), and a float sum depends on the order
of its terms. So this module:

- builds ``0.5 ** x`` from a table and a fixed polynomial, using only correctly rounded
  operations (:func:`half_power`);
- sums groups with :func:`math.fsum`, which is exactly rounded and so order-free
  (:func:`group_sums`);
- turns scores into fixed-point decimal strings and shares into integers that sum to
  exactly one (:func:`score_units`, :func:`share_units`).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import numpy as np

SCORE_DECIMALS = 6
SHARE_DECIMALS = 9

_TABLE_BITS = 6
_TABLE_SIZE = 1 << _TABLE_BITS


def _constants() -> tuple[np.ndarray, tuple[float, ...]]:
    """2**(-j/64) for j = 0..63, and Taylor coefficients of 2**(-r), from exact decimals."""
    with localcontext() as ctx:
        ctx.prec = 40
        two = Decimal(2)
        table = np.array([float(two ** (Decimal(-j) / _TABLE_SIZE)) for j in range(_TABLE_SIZE)])
        minus_ln2 = -two.ln()
        coefficients = []
        term = Decimal(1)
        for k in range(8):
            coefficients.append(float(term))
            term = term * minus_ln2 / (k + 1)
    return table, tuple(coefficients)


_TABLE, _COEFFICIENTS = _constants()
# Beyond this many half-lives the factor is below the smallest double anyway.
_MAX_HALF_LIVES = 1100.0


def half_power(x: np.ndarray) -> np.ndarray:
    """``0.5 ** x`` for ``x >= 0``, within 2 ulp of exact and bit-identical on every platform.

    ``x = n + j/64 + r`` with integer ``n``, table index ``j`` and ``0 <= r < 1/64``; the
    splitting is exact in binary floating point, ``2**-r`` is a degree-7 polynomial
    evaluated in a fixed order, and ``ldexp`` applies ``2**-n`` exactly.
    """
    # Clamping also keeps a negative zero-ish input (an age rounded below 0) in the table.
    x = np.clip(np.asarray(x, dtype=np.float64), 0.0, _MAX_HALF_LIVES)
    whole = np.floor(x)
    scaled = (x - whole) * _TABLE_SIZE
    index = np.floor(scaled)
    r = (scaled - index) / _TABLE_SIZE
    poly = np.full_like(r, _COEFFICIENTS[-1])
    for c in reversed(_COEFFICIENTS[:-1]):
        poly = poly * r + c
    return np.ldexp(_TABLE[index.astype(np.intp)] * poly, -whole.astype(np.int32))


def group_sums(groups: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Per-group exactly rounded sums of ``values`` (``groups`` are ints in ``[0, size)``).

    ``math.fsum`` rounds the exact sum once, so the result does not depend on the order
    of the terms, which here is the order activities arrived in.
    """
    out = np.zeros(size, dtype=np.float64)
    if len(values) == 0:
        return out
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    terms = values[order].tolist()
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    ends = np.r_[starts[1:], len(terms)]
    for group, start, end in zip(sorted_groups[starts].tolist(), starts.tolist(), ends.tolist()):
        out[group] = math.fsum(terms[start:end])
    return out


def exact_sum(values: np.ndarray) -> float:
    """The exactly rounded sum of ``values`` (independent of their order)."""
    return math.fsum(np.asarray(values, dtype=np.float64).tolist())


def score_units(score: float) -> int:
    """A non-negative score in units of 10**-SCORE_DECIMALS, rounded half to even.

    ``Decimal(float)`` is the exact binary value, so the rounding happens once.
    """
    if not math.isfinite(score) or score < 0:
        raise ValueError(f"score must be finite and non-negative, got {score!r}")
    return int(Decimal(score).scaleb(SCORE_DECIMALS).to_integral_value(rounding=ROUND_HALF_EVEN))


def share_units(units: list[int], keys: list[str]) -> list[int]:
    """Split 10**SHARE_DECIMALS in proportion to ``units`` by largest remainder.

    Each share is floored first; the units left over go one each to the largest
    remainders, ties to the smaller key (contributor URL). Exact integer arithmetic, so
    the shares sum to exactly one.
    """
    total = sum(units)
    if total <= 0:
        raise ValueError("shares need a positive total")
    whole = 10**SHARE_DECIMALS
    floors = []
    remainders = []
    for value in units:
        quotient, remainder = divmod(value * whole, total)
        floors.append(quotient)
        remainders.append(remainder)
    left = whole - sum(floors)
    ranked = sorted(range(len(units)), key=lambda i: (-remainders[i], keys[i]))
    for i in ranked[:left]:
        floors[i] += 1
    return floors


def format_units(units: int, decimals: int) -> str:
    """Fixed-point text of an integer count of 10**-decimals, e.g. (1500, 3) -> '1.500'."""
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), 10**decimals)
    return f"{sign}{whole}.{fraction:0{decimals}d}"
