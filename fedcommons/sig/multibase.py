"""Base58btc and its multibase form ("z" prefix), as Multikey and Data Integrity use them."""

from __future__ import annotations

from fedcommons.errors import BadInput

BASE58BTC_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
MULTIBASE_BASE58BTC = "z"

# Work two base58 digits at a time (58**2 = 3364): a proofValue or a Multikey is
# encoded and decoded on every signed activity, and halving the big-integer steps
# takes a noticeable share off each sign and verify.
_PAIR_BASE = 58 * 58
_PAIRS = [a + b for a in BASE58BTC_ALPHABET for b in BASE58BTC_ALPHABET]
_PAIR_VALUE = {pair: i for i, pair in enumerate(_PAIRS)}
_DIGIT_VALUE = {ch: i for i, ch in enumerate(BASE58BTC_ALPHABET)}


# Big-integer division is the cost; dividing by 58**10 (still a machine word) first
# leaves ten digits per step to split with small-integer arithmetic.
_CHUNK = 58**10


def base58btc_encode(data: bytes) -> str:
    """Encode bytes in base58btc (Bitcoin alphabet); each leading zero byte becomes "1"."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    chunks: list[int] = []
    while number:
        number, chunk = divmod(number, _CHUNK)
        chunks.append(chunk)
    pairs: list[str] = []
    for chunk in chunks:  # least significant first
        for _ in range(5):
            chunk, pair = divmod(chunk, _PAIR_BASE)
            pairs.append(_PAIRS[pair])
    # The most significant chunk is padded with zero digits that are not part of it.
    digits = "".join(reversed(pairs)).lstrip("1")
    return "1" * zeros + digits


def base58btc_decode(text: str) -> bytes:
    """Decode base58btc; raises :class:`BadInput` on a character outside the alphabet."""
    number = 0
    try:
        # Ten digits at a time into the big integer (58**10 fits a machine word), the
        # digits of each group combined two by two with small-integer arithmetic.
        head = len(text) % 10
        for ch in text[:head]:
            number = number * 58 + _DIGIT_VALUE[ch]
        pair_value = _PAIR_VALUE
        for i in range(head, len(text), 10):
            chunk = 0
            for j in range(i, i + 10, 2):
                chunk = chunk * _PAIR_BASE + pair_value[text[j : j + 2]]
            number = number * _CHUNK + chunk
    except KeyError:
        bad = next(ch for ch in text if ch not in _DIGIT_VALUE)
        raise BadInput(f"invalid base58btc character {bad!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
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
