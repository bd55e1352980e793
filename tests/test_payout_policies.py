"""Policies (immediate, balanced, recent), phyles of several pools, and balanced catching up."""

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedcommons.errors import BadInput
from fedcommons.payout.allocate import split
from fedcommons.payout.constraints import Constraints
from fedcommons.payout.policies import (
    PoolStanding, balanced_weights, combine_pools, compute_payouts, immediate_weights, policy_weights,
    recent_weights, shares,
)

NO_LIMITS = Constraints(max_ratio=None)


def test_shares_normalise_and_drop_zeros():
    assert shares({"a": "0.500000000", "b": "1.5", "z": "0"}) == {"a": Fraction(1, 4), "b": Fraction(3, 4)}
    assert shares({"a": "0"}) == {}


@pytest.mark.parametrize("standing, message", [
    ({"a": "-1"}, "negative"), ({"a": "x"}, "not a decimal"), ({"a": 0.5}, "not float"),
    ({"a": Decimal("Infinity")}, "finite"),
])
def test_shares_refuse_bad_standing(standing, message):
    with pytest.raises(BadInput, match=message):
        shares(standing)


def test_immediate_pays_by_standing_in_the_period():
    weights = immediate_weights({"a": "3.000000", "b": "1.000000"})
    assert split(10_000, weights, NO_LIMITS) == {"a": 7_500, "b": 2_500}


def test_recent_uses_the_decayed_standing_it_is_given():
    # The same people, lifetime 1:1 but recently 9:1: recent follows the decayed standing.
    decayed = {"a": "0.900000000", "b": "0.100000000"}
    assert split(1_000, recent_weights(decayed), NO_LIMITS) == {"a": 900, "b": 100}


def test_balanced_targets_what_each_is_still_owed():
    # Shares 1:1, a was paid 300 and b 100 so far; of 200 more, a is owed 0 and b 200.
    weights = balanced_weights({"a": "0.5", "b": "0.5"}, {"a": 300, "b": 100}, 200)
    assert weights == {"b": 200}
    assert split(200, weights, NO_LIMITS) == {"b": 200}


def test_balanced_counts_pay_to_people_no_longer_in_the_standing():
    # Total paid is 400 (including x), so with 200 more each half-share is owed 300 - paid.
    weights = balanced_weights({"a": "1", "b": "1"}, {"a": 100, "x": 300}, 200)
    assert weights == {"a": 200, "b": 300}


def test_balanced_with_nothing_paid_is_immediate():
    standing = {"a": "0.25", "b": "0.75"}
    assert balanced_weights(standing, {}, 1_000) == {"a": 250, "b": 750}
    assert split(1_000, balanced_weights(standing, {}, 1_000)) == split(1_000, immediate_weights(standing))


@pytest.mark.parametrize("paid", [{"a": -1}, {"a": 1.5}, {"a": "10"}, {"a": True}])
def test_balanced_refuses_bad_paid_amounts(paid):
    with pytest.raises(BadInput, match="whole minor units"):
        balanced_weights({"a": "1"}, paid, 100)


def test_policy_weights_dispatch():
    standing = {"a": "1", "b": "3"}
    assert policy_weights("immediate", standing) == immediate_weights(standing)
    assert policy_weights("recent", standing) == recent_weights(standing)
    assert policy_weights("balanced", standing, paid={"a": 10}, amount=90) == balanced_weights(standing, {"a": 10}, 90)
    with pytest.raises(BadInput, match="needs the amount"):
        policy_weights("balanced", standing)
    with pytest.raises(BadInput, match="unknown policy 'random'"):
        policy_weights("random", standing)


# --- phyles: one cooperative, several pools ------------------------------------------------

def test_person_in_two_pools_gets_the_sum():
    combined = combine_pools([
        PoolStanding("https://n.example/pools/garden", "3", {"a": "0.5", "b": "0.5"}),
        PoolStanding("https://n.example/pools/wiki", "1", {"b": "0.25", "c": "0.75"}),
    ])
    assert combined == {"a": Fraction(3, 8), "b": Fraction(3, 8) + Fraction(1, 16), "c": Fraction(3, 16)}
    assert sum(combined.values()) == 1


def test_pool_without_standing_passes_its_weight_on():
    combined = combine_pools([
        PoolStanding("https://n.example/pools/garden", "1", {"a": "1"}),
        PoolStanding("https://n.example/pools/new", "9", {}),
    ])
    assert combined == {"a": 1}


def test_pool_listed_twice_is_refused():
    pool = PoolStanding("https://n.example/pools/garden", "1", {"a": "1"})
    with pytest.raises(BadInput, match="listed twice"):
        combine_pools([pool, pool])


def test_constraints_apply_to_the_final_per_person_amounts():
    # b is small in each pool but large in total; a is large in one pool only.
    pools = [
        PoolStanding("https://n.example/pools/garden", "1", {"a": "0.9", "b": "0.1"}),
        PoolStanding("https://n.example/pools/wiki", "1", {"b": "0.6", "c": "0.01", "d": "0.39"}),
    ]
    result = compute_payouts("immediate", pools, 100_000, Constraints(max_ratio=4, cap=40_000))
    # Combined targets a 45000, b 5000 + 30000, c 500, d 19500. The ratio binds on the
    # combined amounts: c is lifted to L and a cut to 4L, with L + 35000 + 19500 + 4L = 100000.
    assert result.payouts == {"a": 36_400, "b": 35_000, "c": 9_100, "d": 19_500}
    assert result.binding == ("ratio",)


def test_no_positive_standing_anywhere():
    with pytest.raises(BadInput, match="no recipient"):
        compute_payouts("immediate", [PoolStanding("https://n.example/pools/g", "1", {"a": "0"})], 100)


# --- balanced catches up -------------------------------------------------------------------

def distance(standing, paid):
    """L1 distance between what each was paid and their share of everything paid."""
    fractions = shares(standing)
    total = sum(paid.values())
    return sum(abs(paid.get(who, 0) - share * total) for who, share in fractions.items())


standings = st.dictionaries(st.sampled_from("abcdefgh"), st.integers(min_value=1, max_value=1000),
                            min_size=1, max_size=8)


@settings(max_examples=150, deadline=None)
@given(standings, st.data())
def test_repeated_balanced_payouts_never_move_away(standing, data):
    """Without binding constraints, the distance never grows (beyond rounding: under one
    minor unit per person can be paid past what was owed)."""
    paid = {who: data.draw(st.integers(min_value=0, max_value=10_000)) for who in standing}
    amounts = data.draw(st.lists(st.integers(min_value=1, max_value=50_000), min_size=1, max_size=6))
    for amount in amounts:
        before = distance(standing, paid)
        payouts = split(amount, balanced_weights(standing, paid, amount), NO_LIMITS)
        for who, value in payouts.items():
            paid[who] = paid.get(who, 0) + value
        assert distance(standing, paid) <= before + 2 * len(standing)


@settings(max_examples=150, deadline=None)
@given(standings, st.data())
def test_balanced_closes_the_gap_when_nobody_was_overpaid(standing, data):
    """If nobody was paid past their share of the new total, one payout settles everyone
    to within one minor unit of their share (immediate would leave the old gaps)."""
    fractions = shares(standing)
    paid = {who: data.draw(st.integers(min_value=0, max_value=10_000)) for who in standing}
    least = max(math.ceil(paid[who] / share) for who, share in fractions.items()) - sum(paid.values())
    amount = data.draw(st.integers(min_value=max(1, least), max_value=max(1, least) + 50_000))
    payouts = split(amount, balanced_weights(standing, paid, amount), NO_LIMITS)
    total = sum(paid.values()) + amount
    for who, share in fractions.items():
        assert abs(paid[who] + payouts.get(who, 0) - share * total) < 1


def test_overpaid_person_waits_until_the_others_catch_up():
    standing = {"a": "1", "b": "1"}
    paid = {"a": 1_000, "b": 0}
    history = []
    for _ in range(3):
        payouts = split(400, balanced_weights(standing, paid, 400), NO_LIMITS)
        history.append(payouts)
        for who, value in payouts.items():
            paid[who] += value
    # b catches up 400 + 400, then a and b are level and share the third payout.
    assert history == [{"b": 400}, {"b": 400}, {"a": 100, "b": 300}]
    assert paid == {"a": 1_100, "b": 1_100}
