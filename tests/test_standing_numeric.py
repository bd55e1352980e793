"""Deterministic arithmetic for standing: decay factors, exact sums, rounding and shares."""

import math
import random
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fedcommons.standing.numeric import (
    SHARE_DECIMALS,
    format_units,
    group_sums,
    half_power,
    score_units,
    share_units,
)


def test_half_power_is_exact_at_whole_half_lives():
    k = np.arange(0, 60, dtype=np.float64)
    assert half_power(k).tolist() == [2.0**-i for i in range(60)]


def test_half_power_matches_libm_within_two_ulp():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(0, 40, 200_000), np.arange(0, 4, 1 / 64), [1e-300, 5e-324]])
    got = half_power(x)
    want = np.array([0.5**v for v in x.tolist()])
    assert np.all(np.abs(got - want) <= 2 * np.spacing(want))


def test_half_power_underflows_to_zero_for_huge_ages():
    assert half_power(np.array([2000.0, 1e300, np.inf])).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("half_life_days", [0.5, 30.0, 365.0, 1_000_000.0])
def test_half_power_is_strictly_decreasing_second_by_second(half_life_days):
    # Ages are whole seconds; around every table boundary the factor must still fall.
    seconds_per_half_life = half_life_days * 86_400
    starts = [int(seconds_per_half_life * j / 64) for j in range(1, 128)] + [0]
    ages = np.unique(np.concatenate([np.arange(max(s - 500, 0), s + 500) for s in starts]))
    factors = half_power(ages / seconds_per_half_life)
    assert np.all(np.diff(factors) < 0)


@given(st.lists(st.tuples(st.integers(0, 4), st.floats(0, 1e9, allow_nan=False)), max_size=60),
       st.randoms(use_true_random=False))
def test_group_sums_are_exact_and_order_free(pairs, rnd):
    groups = np.array([g for g, _ in pairs], dtype=np.int64)
    values = np.array([v for _, v in pairs], dtype=np.float64)
    sums = group_sums(groups, values, 5)
    for g in range(5):
        assert sums[g] == math.fsum(v for gg, v in pairs if gg == g)
    shuffled = list(pairs)
    rnd.shuffle(shuffled)
    again = group_sums(np.array([g for g, _ in shuffled], dtype=np.int64),
                       np.array([v for _, v in shuffled], dtype=np.float64), 5)
    assert sums.tobytes() == again.tobytes()


@given(st.floats(0, 1e12, allow_nan=False))
def test_score_units_round_the_exact_binary_value_half_to_even(score):
    expected = Decimal(score).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)
    assert Decimal(score_units(score)) / 10**6 == expected


def test_score_units_refuse_negative_and_non_finite():
    for bad in (-1.0, math.inf, math.nan):
        with pytest.raises(ValueError):
            score_units(bad)


@given(st.lists(st.integers(0, 10**15), min_size=1, max_size=40).filter(lambda xs: sum(xs) > 0))
def test_shares_sum_to_exactly_one_and_stay_within_one_unit(units):
    keys = [f"k{i:03d}" for i in range(len(units))]
    shares = share_units(units, keys)
    whole = 10**SHARE_DECIMALS
    assert sum(shares) == whole
    total = sum(units)
    for u, s in zip(units, shares):
        assert abs(s * total - u * whole) < total  # |share - exact| < one unit


def test_share_ties_go_to_the_smaller_key():
    assert share_units([1, 1, 1], ["b", "a", "c"]) == [333333333, 333333334, 333333333]
    order = list(range(7))
    random.Random(5).shuffle(order)
    keys = [f"https://x.example/{i}" for i in order]
    shares = share_units([1] * 7, keys)
    winners = sorted(keys)[: 10**9 - 7 * (10**9 // 7)]
    assert [k for k, s in zip(keys, shares) if s > 10**9 // 7] == [k for k in keys if k in winners]


def test_format_units():
    assert format_units(1500, 3) == "1.500"
    assert format_units(7, 6) == "0.000007"
    assert format_units(10**9, 9) == "1.000000000"
