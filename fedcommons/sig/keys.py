"""Key generation, Multikey (FEP-521a) and PEM encodings.

Every actor has an Ed25519 key (Data Integrity proofs, signed notes, RFC 9421) and an
RSA-2048 key (draft-cavage HTTP signatures, which is what Mastodon reads). Everything
here is pure: the files private keys are kept in are `fedcommons/keystore.py`'s.
"""

from __future__ import annotations

from typing import Union

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from fedcommons.errors import BadInput
from fedcommons.sig.multibase import (
    base58btc_decode,
    base58btc_encode,
    multibase_decode,
    multibase_encode,
)

__all__ = [
    "PrivateKey",
    "PublicKey",
    "base58btc_decode",
    "base58btc_encode",
    "ed25519_private_from_multibase",
    "ed25519_private_multibase",
    "ed25519_public_from_multibase",
    "ed25519_public_multibase",
    "generate_ed25519",
    "generate_rsa",
    "load_public_pem",
    "private_key_from_pem",
    "private_key_pem",
    "public_pem",
]

PrivateKey = Union[Ed25519PrivateKey, rsa.RSAPrivateKey]
PublicKey = Union[Ed25519PublicKey, rsa.RSAPublicKey, ec.EllipticCurvePublicKey]

# Multicodec varint prefixes: ed25519-pub (0xed) and ed25519-priv (0x1300).
ED25519_PUB_MULTICODEC = b"\xed\x01"
ED25519_PRIV_MULTICODEC = b"\x80\x26"

RSA_BITS = 2048
RSA_PUBLIC_EXPONENT = 65537


def generate_ed25519() -> Ed25519PrivateKey:
    """A fresh Ed25519 private key."""
    return Ed25519PrivateKey.generate()


def generate_rsa() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 private key with public exponent 65537."""
    return rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=RSA_BITS)


def ed25519_public_multibase(pub: Ed25519PublicKey) -> str:
    """The Multikey ``publicKeyMultibase`` form: "z" + base58btc(0xed01 || raw 32 bytes)."""
    return multibase_encode(ED25519_PUB_MULTICODEC + pub.public_bytes_raw())


def ed25519_public_from_multibase(s: str) -> Ed25519PublicKey:
    """Parse a Multikey ``publicKeyMultibase``; :class:`BadInput` if it is not Ed25519."""
    raw = _unwrap_multikey(s, ED25519_PUB_MULTICODEC, "public")
    return Ed25519PublicKey.from_public_bytes(raw)


def ed25519_private_multibase(key: Ed25519PrivateKey) -> str:
    """The Multikey ``secretKeyMultibase`` form: "z" + base58btc(0x8026 || 32-byte seed)."""
    return multibase_encode(ED25519_PRIV_MULTICODEC + key.private_bytes_raw())


def ed25519_private_from_multibase(s: str) -> Ed25519PrivateKey:
    """Parse a multibase Ed25519 seed (0x8026 || seed); :class:`BadInput` if malformed."""
    seed = _unwrap_multikey(s, ED25519_PRIV_MULTICODEC, "private")
    return Ed25519PrivateKey.from_private_bytes(seed)


def _unwrap_multikey(s: str, prefix: bytes, what: str) -> bytes:
    """Strip multibase and multicodec framing, checking the codec and the 32-byte length."""
    data = multibase_decode(s)
    if not data.startswith(prefix):
        raise BadInput(
            f"not an Ed25519 {what} Multikey: expected multicodec prefix "
            f"0x{prefix.hex()}, got 0x{data[:2].hex()}"
        )
    raw = data[len(prefix):]
    if len(raw) != 32:
        raise BadInput(f"Ed25519 {what} Multikey must hold 32 bytes, got {len(raw)}")
    return raw


def public_pem(key: PublicKey | PrivateKey) -> str:
    """SPKI PEM of a public key (given a private key, of its public half)."""
    if isinstance(key, (Ed25519PrivateKey, rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        key = key.public_key()
    if not isinstance(key, (Ed25519PublicKey, rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise BadInput(f"unsupported key type {type(key).__name__}")
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_pem(pem: str | bytes) -> PublicKey:
    """Load an SPKI (or PKCS#1 RSA) PEM public key: RSA, Ed25519 or ECDSA.

    Raises :class:`BadInput` for anything that is not such a key.
    """
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise BadInput(f"not a PEM public key: {exc}") from exc
    if not isinstance(key, (Ed25519PublicKey, rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise BadInput(f"unsupported public key type {type(key).__name__}")
    return key


def private_key_pem(key: PrivateKey) -> bytes:
    """``key`` as unencrypted PKCS#8 PEM (what the key store writes)."""
    if not isinstance(key, (Ed25519PrivateKey, rsa.RSAPrivateKey)):
        raise BadInput(f"unsupported private key type {type(key).__name__}")
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_key_from_pem(data: bytes, source: str) -> PrivateKey:
    """An unencrypted PEM private key (Ed25519 or RSA); ``source`` names where it was read."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise BadInput(f"{source} does not hold an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, (Ed25519PrivateKey, rsa.RSAPrivateKey)):
        raise BadInput(f"{source} holds an unsupported {type(key).__name__}; expected Ed25519 or RSA")
    return key
