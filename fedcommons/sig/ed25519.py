"""Ed25519 sign and verify on the hot path, through libsodium (PyNaCl).

Keys everywhere else are `cryptography` objects; this module only does the raw operation.
On the machines we measured, libsodium verifies in about half the time of OpenSSL
(62 µs against 120 µs) and signs in two thirds (23 against 37), and verifying every
entry's proof is most of the cost of `log verify` and of replicating a log.
libsodium is also the stricter of the two: it refuses non-canonical signatures and
small-order keys, which RFC 8032 allows a verifier to refuse.
"""

from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey


@lru_cache(maxsize=4096)
def _signing_key(seed: bytes) -> SigningKey:
    return SigningKey(seed)


@lru_cache(maxsize=65536)
def _verify_key(raw: bytes) -> VerifyKey:
    return VerifyKey(raw)


def sign(private_key: Ed25519PrivateKey, data: bytes) -> bytes:
    """The 64-byte Ed25519 signature of `data`."""
    return _signing_key(private_key.private_bytes_raw()).sign(data).signature


def verify(public_key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    """Whether `signature` is a valid Ed25519 signature of `data` by `public_key`."""
    if len(signature) != 64:
        return False
    try:
        _verify_key(public_key.public_bytes_raw()).verify(data, signature)
    except BadSignatureError:
        return False
    return True
