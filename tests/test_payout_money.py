"""Currencies, minor units and exact parsing of amounts."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fedcommons.errors import BadInput
from fedcommons.payout.money import ISO_4217_EXPONENTS, Currency, currency, format_minor, parse_amount

EUR = Currency("EUR", 2)


def test_iso_table_has_the_usual_exponents():
    assert currency("EUR") == Currency("EUR", 2)
    assert currency("JPY") == Currency("JPY", 0)
    assert currency("KWD") == Currency("KWD", 3)
    assert currency("CLF") == Currency("CLF", 4)
    assert currency("XCG").exponent == 2  # replaced ANG in 2025


def test_iso_table_is_well_formed():
    assert all(len(code) == 3 and code.isalpha() and code.isupper() for code in ISO_4217_EXPONENTS)
    assert set(ISO_4217_EXPONENTS.values()) == {0, 2, 3, 4}


@pytest.mark.parametrize("code", ["HRK", "BGN", "ANG", "ZWL", "SLL", "XAU", "XXX", "XDR"])
def test_withdrawn_and_unitless_codes_need_decimals(code):
    with pytest.raises(BadInput, match="decimals"):
        currency(code)
    assert currency(code, 2) == Currency(code, 2)


def test_iso_code_in_lower_case_is_the_iso_currency():
    assert currency("eur") == EUR


def test_other_units_need_explicit_decimals():
    with pytest.raises(BadInput, match="explicitly"):
        currency("hours")
    assert currency("hours", 2) == Currency("hours", 2)


def test_iso_currency_refuses_other_decimals():
    with pytest.raises(BadInput, match="JPY has 0 decimals"):
        currency("JPY", 2)
    assert currency("JPY", 0).exponent == 0


@pytest.mark.parametrize("bad", ["", "E U R", "€", "1EUR", "x" * 40])
def test_unit_names_are_checked(bad):
    with pytest.raises(BadInput):
        currency(bad, 2)


@pytest.mark.parametrize("decimals", [-1, 19, True, 2.0])
def test_decimals_are_checked(decimals):
    with pytest.raises(BadInput):
        currency("hours", decimals)


@pytest.mark.parametrize("text, minor", [
    ("10000.00", 1_000_000), ("10000", 1_000_000), ("0.01", 1), ("10.5", 1050),
    ("10.500", 1050), (".25", 25), (" 7.10 ", 710),
])
def test_parse_amount_eur(text, minor):
    assert parse_amount(text, EUR) == minor


def test_parse_amount_other_exponents():
    assert parse_amount("1200", currency("JPY")) == 1200
    assert parse_amount("1.234", currency("KWD")) == 1234
    assert parse_amount("37.5", currency("hours", 2)) == 3750
    assert parse_amount(Decimal("2.50"), EUR) == 250


def test_parse_amount_never_rounds():
    with pytest.raises(BadInput, match="more decimals than EUR allows"):
        parse_amount("10.001", EUR)
    with pytest.raises(BadInput, match="more decimals than JPY allows"):
        parse_amount("100.5", currency("JPY"))


def test_parse_amount_is_exact_beyond_decimal_precision():
    # 32 significant digits: more than the default Decimal context keeps.
    assert parse_amount("123456789012345678901234567890.12", EUR) == 12345678901234567890123456789012


@pytest.mark.parametrize("bad, message", [
    ("-5", "negative"), ("0", "more than zero"), ("0.00", "more than zero"), ("1e3", "plain decimal"),
    ("1,000.00", "plain decimal"), ("+5", "plain decimal"), ("NaN", "plain decimal"), ("", "plain decimal"),
    (1.5, "decimal string"), (True, "decimal string"), (Decimal("NaN"), "finite"),
    (Decimal("-1"), "negative"),
])
def test_parse_amount_refuses(bad, message):
    with pytest.raises(BadInput, match=message):
        parse_amount(bad, EUR)


def test_zero_allowed_only_when_asked():
    assert parse_amount("0", EUR, allow_zero=True) == 0


def test_format_minor():
    assert format_minor(123456, 2) == "1234.56"
    assert format_minor(5, 2) == "0.05"
    assert format_minor(1200, 0) == "1200"
    assert format_minor(1234, 3) == "1.234"
    assert format_minor(120000, 2, grouping=True) == "1,200.00"
    assert EUR.display(120000) == "1,200.00 EUR"


@given(st.integers(min_value=1, max_value=10**20), st.integers(min_value=0, max_value=6))
def test_format_and_parse_round_trip(minor, exponent):
    unit = Currency("UNIT", exponent)
    text = unit.to_string(minor)
    assert len(text.partition(".")[2]) == exponent
    assert parse_amount(text, unit) == minor
