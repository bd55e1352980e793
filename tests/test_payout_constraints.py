"""Constraint validation, the feasible range, and the errors that name it."""

import math
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fedcommons.errors import BadInput
from fedcommons.payout.constraints import (
    Constraints, check_feasible, constraints_from_json, constraints_from_options, constraints_to_json,
    decimal_text,
)
from fedcommons.payout.money import currency

EUR = currency("EUR")


def test_defaults_are_the_one_to_eight_differential():
    assert Constraints() == Constraints(max_ratio=Fraction(8), floor=None, cap=None, basic_share=Fraction(0))


def test_values_are_normalised_to_fractions():
    c = Constraints(max_ratio="2.5", basic_share="0.2")
    assert c.max_ratio == Fraction(5, 2) and c.basic_share == Fraction(1, 5)


@pytest.mark.parametrize("kwargs, message", [
    ({"max_ratio": "0.5"}, "max ratio 0.5 is below 1"),
    ({"basic_share": "1"}, r"basic share 1 is outside \[0, 1\)"),
    ({"basic_share": "-0.1"}, r"basic share -0.1 is outside \[0, 1\)"),
    ({"floor": 300, "cap": 100}, "floor .* is above cap"),
    ({"floor": -1}, "negative"),
    ({"cap": 0}, "more than zero"),
    ({"floor": 1.5}, "whole number"),
    ({"max_ratio": Fraction(1, 3) + 1}, "no exact decimal form"),
    ({"max_ratio": 8.0}, "decimal string"),
    ({"basic_share": "a lot"}, "not a decimal number"),
])
def test_invalid_constraints(kwargs, message):
    with pytest.raises(BadInput, match=message):
        Constraints(**kwargs)


def test_options_take_floor_and_cap_in_major_units():
    c = constraints_from_options(EUR, max_ratio="8", floor="100", cap="3000", basic_share="0.2")
    assert (c.floor, c.cap) == (10_000, 300_000)
    assert c.basic_share == Fraction(1, 5)


def test_options_never_round_floor_or_cap():
    with pytest.raises(BadInput, match="floor 100.001 has more decimals"):
        constraints_from_options(EUR, floor="100.001")


def test_options_floor_above_cap_speaks_money():
    with pytest.raises(BadInput, match="floor 3,000.00 EUR is above cap 100.00 EUR"):
        constraints_from_options(EUR, floor="3000", cap="100")


def test_no_ratio_option():
    assert constraints_from_options(EUR, max_ratio=None).max_ratio is None


@pytest.mark.parametrize("c", [
    Constraints(),
    Constraints(max_ratio=None),
    Constraints(max_ratio="2.5", floor=0, cap=123_456, basic_share="0.125"),
    Constraints(floor=10_000, basic_share="0.2"),
])
def test_json_round_trip(c):
    data = constraints_to_json(c, EUR)
    assert constraints_from_json(data, EUR) == c


def test_json_shape():
    c = constraints_from_options(EUR, floor="100", cap="3000", basic_share="0.2")
    assert constraints_to_json(c, EUR) == {"maxRatio": "8", "floor": "100.00", "cap": "3000.00", "basicShare": "0.2"}
    # An absent maxRatio means no ratio, not the default.
    assert constraints_from_json({}, EUR).max_ratio is None


def test_json_refuses_unknown_keys():
    with pytest.raises(BadInput, match="unknown constraint"):
        constraints_from_json({"maxRatio": "8", "minRatio": "2"}, EUR)


def test_decimal_text():
    assert decimal_text(Fraction(8)) == "8"
    assert decimal_text(Fraction(1, 5)) == "0.2"
    assert decimal_text(Fraction(1, 8)) == "0.125"
    assert decimal_text(Fraction(-5, 2)) == "-2.5"
    assert decimal_text(Fraction(1, 3)) is None


# --- the feasible range and its messages --------------------------------------------------

def test_floor_message_names_the_smallest_amount():
    c = constraints_from_options(EUR, floor="100")
    with pytest.raises(BadInput) as info:
        check_feasible(100_000, 12, c, EUR)
    assert str(info.value) == ("amount 1,000.00 EUR is too small for the floor: "
                               "at least 1,200.00 EUR for 12 recipients at floor 100.00")
    check_feasible(120_000, 12, c, EUR)  # exactly the least is fine


def test_cap_message_names_the_largest_amount():
    c = constraints_from_options(EUR, cap="3000")
    with pytest.raises(BadInput) as info:
        check_feasible(4_000_000, 12, c, EUR)
    assert str(info.value) == ("amount 40,000.00 EUR is too large for the cap: "
                               "at most 36,000.00 EUR for 12 recipients at cap 3,000.00")
    check_feasible(3_600_000, 12, c, EUR)


def test_without_currency_messages_speak_minor_units():
    with pytest.raises(BadInput, match="at least 1,200 minor units for 12 recipients at floor 100"):
        check_feasible(1_000, 12, Constraints(floor=100))


def test_one_recipient_is_singular():
    with pytest.raises(BadInput, match="for 1 recipient at floor"):
        check_feasible(5, 1, Constraints(floor=10))


def test_ratio_needs_a_minor_unit_each():
    with pytest.raises(BadInput, match=r"less than one minor unit per recipient.*at least 0.12 EUR for 12"):
        check_feasible(11, 12, Constraints(), EUR)
    check_feasible(11, 12, Constraints(max_ratio=None), EUR)  # without a ratio someone may get 0


def test_ratio_one_needs_a_multiple_of_recipients():
    with pytest.raises(BadInput, match="nearest amounts that can: 0.09 EUR or 0.12 EUR"):
        check_feasible(10, 3, Constraints(max_ratio=1), EUR)
    check_feasible(9, 3, Constraints(max_ratio=1), EUR)


def test_nearest_amounts_stay_within_floor_and_cap():
    # Ratio 1 among 3 recipients with floor 3 and cap 4: only 9 and 12 split evenly.
    c = Constraints(max_ratio=1, floor=3, cap=4)
    with pytest.raises(BadInput, match="nearest amounts that can: 9 minor units or 12 minor units$"):
        check_feasible(10, 3, c)
    check_feasible(12, 3, c)


def test_ratio_below_two_leaves_gaps():
    # Ratio 1.5 among 2: lowest 1 allows totals 2; lowest 2 allows 4..6; so 3 cannot be split.
    c = Constraints(max_ratio="1.5")
    with pytest.raises(BadInput, match="nearest amounts that can: 2 minor units or 4 minor units$"):
        check_feasible(3, 2, c)
    for amount in (2, 4, 5, 6):
        check_feasible(amount, 2, c)


@pytest.mark.parametrize("amount, message", [(0, "more than zero"), (-5, "more than zero"), (1.0, "whole number")])
def test_amount_must_be_positive_minor_units(amount, message):
    with pytest.raises(BadInput, match=message):
        check_feasible(amount, 3, Constraints())


def test_nobody_to_pay():
    with pytest.raises(BadInput, match="no recipient"):
        check_feasible(100, 0, Constraints())


def _brute_force_feasible(amount, n, floor, cap, ratio):
    """Is there any whole-unit split? Try every lowest payout m and its window [m, floor(R*m)]."""
    top_limit = cap if cap is not None else amount
    for m in range(floor or 0, amount // n + 1):
        top = top_limit if ratio is None else min(top_limit, math.floor(ratio * m))
        if n * m <= amount <= n * top:
            return True
    return False


@given(
    amount=st.integers(min_value=1, max_value=400),
    n=st.integers(min_value=1, max_value=12),
    floor=st.one_of(st.none(), st.integers(min_value=0, max_value=30)),
    cap=st.one_of(st.none(), st.integers(min_value=1, max_value=60)),
    ratio=st.sampled_from([None, "1", "1.2", "1.5", "2", "2.5", "8"]),
)
def test_feasibility_matches_brute_force(amount, n, floor, cap, ratio):
    assume(floor is None or cap is None or floor <= cap)
    c = Constraints(max_ratio=ratio, floor=floor, cap=cap)
    expected = _brute_force_feasible(amount, n, floor, cap, c.max_ratio)
    try:
        check_feasible(amount, n, c)
    except BadInput:
        assert not expected
    else:
        assert expected
