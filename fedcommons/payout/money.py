"""Exact money: currencies, their minor units, and amounts parsed from strings.

Every amount inside the payout code is an ``int`` count of minor units (cents for EUR,
yen for JPY, fils for KWD). Amounts come in as decimal strings and are never rounded on
the way in: an amount finer than the currency's minor unit is refused, so the figure a
cooperative types is the figure it pays.

ISO 4217 currencies carry their exponent from :data:`ISO_4217_EXPONENTS`. Any other unit
(hours of a time bank, a LETS unit, a historic code) needs its number of decimals given
explicitly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from fedcommons.errors import BadInput

# ISO 4217 list one, the currencies and funds in use, with their minor-unit exponents, as
# of amendment 180 (in force 2026-01-01: BGN withdrawn for EUR; XCG replaced ANG in 2025,
# ZWG replaced ZWL in 2024, XAD added in 2025). Codes whose minor unit ISO gives as "N.A."
# (precious metals, XDR, XSU, XUA, bond units, XTS, XXX) are left out on purpose: they
# have no minor unit, so paying in them needs explicit decimals like any other unit.
ISO_4217_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
         "VND", "VUV", "XAF", "XOF", "XPF"],
        0,
    ),
    **dict.fromkeys(
        ["AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
         "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
         "CHE", "CHF", "CHW", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DKK", "DOP",
         "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD",
         "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES",
         "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL",
         "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR",
         "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR",
         "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP",
         "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP",
         "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "USN", "UYU", "UZS", "VED", "VES", "WST",
         "XAD", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG"],
        2,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}

# Far beyond any real unit; keeps a typo such as --decimals 200 from building huge ints.
MAX_DECIMALS = 18

_UNIT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,31}")
_PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")


@dataclass(frozen=True)
class Currency:
    """A unit of account: its code and how many decimals its minor unit has."""

    code: str
    exponent: int

    def to_string(self, minor: int) -> str:
        """``minor`` units as a plain decimal string with exactly ``exponent`` decimals ("1234.56")."""
        return format_minor(minor, self.exponent)

    def display(self, minor: int) -> str:
        """``minor`` units for people: grouped digits and the code ("1,234.56 EUR")."""
        return f"{format_minor(minor, self.exponent, grouping=True)} {self.code}"


def currency(code: str, decimals: int | None = None) -> Currency:
    """The :class:`Currency` for ``code``; units outside ISO 4217 need ``decimals``.

    A three-letter ISO code may be given in any case ("eur"). Giving ``decimals`` for an
    ISO currency is allowed only when it agrees with ISO, so a slip cannot silently pay
    in tenths of a yen.
    """
    if not isinstance(code, str) or not _UNIT_NAME.fullmatch(code.strip()):
        raise BadInput(
            f"currency {code!r} is not a unit name: use an ISO 4217 code such as EUR, "
            "or a short name (letters, digits, '-', '_', '.') for another unit"
        )
    code = code.strip()
    if decimals is not None and (
        isinstance(decimals, bool) or not isinstance(decimals, int)
        or not 0 <= decimals <= MAX_DECIMALS
    ):
        raise BadInput(f"decimals must be a whole number from 0 to {MAX_DECIMALS}, not {decimals!r}")
    iso = ISO_4217_EXPONENTS.get(code.upper())
    if iso is not None:
        if decimals is not None and decimals != iso:
            raise BadInput(
                f"{code.upper()} has {iso} decimals in ISO 4217, not {decimals}; "
                "--decimals is for units outside ISO 4217"
            )
        return Currency(code.upper(), iso)
    if decimals is None:
        raise BadInput(
            f"{code!r} is not an active ISO 4217 currency, so its decimals are unknown: "
            "give them explicitly (for example --decimals 2 for hours in hundredths)"
        )
    return Currency(code, decimals)


def parse_amount(value: str | Decimal, unit: Currency, *, what: str = "amount",
                 allow_zero: bool = False) -> int:
    """The exact number of minor units in ``value`` (a decimal string such as "10000.00").

    Refuses, with :class:`BadInput`: floats (already inexact), signs, exponent notation,
    digit grouping, negative or zero amounts (zero only when ``allow_zero``), and any
    amount finer than the currency's minor unit. Trailing zeros are fine ("10.50" and
    "10.500" are both 1050 cents), since nothing is rounded.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise BadInput(f"{what} must be given as a decimal string, not {type(value).__name__} {value!r}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise BadInput(f"{what} {value} is not a finite number")
        number = value
        shown = str(value)
    elif isinstance(value, int):
        number = Decimal(value)
        shown = str(value)
    elif isinstance(value, str):
        shown = value.strip()
        if shown.startswith("-"):
            raise BadInput(f"{what} {shown} is negative; amounts must be positive")
        if not _PLAIN_DECIMAL.fullmatch(shown):
            raise BadInput(
                f"{what} {value!r} is not a plain decimal number such as 1234.56 "
                "(no signs, grouping, spaces or exponents)"
            )
        try:
            number = Decimal(shown)
        except InvalidOperation as exc:  # unreachable after the pattern, kept as a guard
            raise BadInput(f"{what} {value!r} is not a number") from exc
    else:
        raise BadInput(f"{what} must be a decimal string, not {type(value).__name__}")
    if number < 0:
        raise BadInput(f"{what} {shown} is negative; amounts must be positive")
    if number == 0 and not allow_zero:
        raise BadInput(f"{what} must be more than zero")
    # Fraction, not Decimal.scaleb: the context's 28-digit precision must never round.
    scaled = Fraction(number) * 10**unit.exponent
    if scaled.denominator != 1:
        raise BadInput(
            f"{what} {shown} has more decimals than {unit.code} allows ({unit.exponent}); "
            "nothing is rounded, so give it in whole minor units"
        )
    return scaled.numerator


def decimals_of(text: object) -> int:
    """How many decimals a published amount has ("10000.00" has 2): for a unit outside
    ISO 4217 that is how its exponent is read back. BadInput unless a plain decimal string."""
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        raise BadInput(f"amount {text!r} must be a plain decimal string such as 10000.00")
    return len(text.partition(".")[2])


def exact_number(value: str | Decimal | Fraction | int, what: str) -> Fraction:
    """``value`` as an exact Fraction: a decimal string, Decimal, Fraction or int.

    Floats are refused (they are already rounded), as are NaN and infinities; ``what``
    names the value in the error.
    """
    if isinstance(value, (bool, float)):
        raise BadInput(f"{what} must be a decimal string, not {type(value).__name__} {value!r}")
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation as exc:
            raise BadInput(f"{what} is not a decimal number: {value!r}") from exc
    if isinstance(value, Decimal) and not value.is_finite():
        raise BadInput(f"{what} is not a finite number: {value}")
    if not isinstance(value, (Decimal, Fraction, int)):
        raise BadInput(f"{what} has an unsupported type {type(value).__name__}")
    return Fraction(value)


def format_minor(minor: int, exponent: int, *, grouping: bool = False) -> str:
    """``minor`` units as a decimal string with exactly ``exponent`` decimals."""
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**exponent)
    text = f"{whole:,}" if grouping else str(whole)
    if exponent:
        text += "." + str(fraction).rjust(exponent, "0")
    return sign + text
