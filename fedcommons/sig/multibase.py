"""Base58btc and its multibase form ("z" prefix), as Multikey and Data Integrity use them.

Every signed activity encodes a proofValue, and every verified one decodes it, so the
radix conversion is on the hot path. GMP does it in C (``gmpy2``), with its own digits
for base 58 ("0-9A-Za-v"), which are then mapped onto the Bitcoin alphabet; pure Python
took five times as long.
"""

from __future__ import annotations

import re

import gmpy2

from fedcommons.errors import BadInput

BASE58BTC_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
MULTIBASE_BASE58BTC = "z"

_GMP_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
_TO_BITCOIN = str.maketrans(_GMP_DIGITS, BASE58BTC_ALPHABET)
_TO_GMP = str.maketrans(BASE58BTC_ALPHABET, _GMP_DIGITS)
_BASE58BTC = re.compile(f"[{BASE58BTC_ALPHABET}]*")


def base58btc_encode(data: bytes) -> str:
    """Encode bytes in base58btc (Bitcoin alphabet); each leading zero byte becomes "1"."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits = gmpy2.digits(number, 58).translate(_TO_BITCOIN) if number else ""
    return "1" * zeros + digits


def base58btc_decode(text: str) -> bytes:
    """Decode base58btc; raises :class:`BadInput` on a character outside the alphabet."""
    if not _BASE58BTC.fullmatch(text):
        bad = next(ch for ch in text if ch not in BASE58BTC_ALPHABET)
        raise BadInput(f"invalid base58btc character {bad!r}")
    zeros = len(text) - len(text.lstrip("1"))
    number = int(gmpy2.mpz(text[zeros:].translate(_TO_GMP), 58)) if len(text) > zeros else 0
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def multibase_encode(data: bytes) -> str:
    """Multibase base58btc: "z" followed by the base58btc encoding of ``data``."""
    return MULTIBASE_BASE58BTC + base58btc_encode(data)


def multibase_decode(text: str) -> bytes:
    """Decode a multibase base58btc string; other multibase encodings are refused."""
    if not isinstance(text, str) or not text.startswith(MULTIBASE_BASE58BTC):
        raise BadInput("expected a multibase base58btc value starting with 'z'")
    return base58btc_decode(text[1:])
