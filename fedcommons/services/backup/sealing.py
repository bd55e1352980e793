"""Sealing a backup's keys with a passphrase: scrypt (RFC 7914) derives a key, AES-256-GCM
encrypts and authenticates, so a wrong passphrase and a changed byte are both refused."""

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ...errors import BadInput

CIPHER = "AES-256-GCM"
KDF = "scrypt"
# OWASP's minimum for scrypt (N=2^17, r=8, p=1): about 128 MiB and half a second here,
# paid once per backup and once per restore.
COST = {"n": 2 ** 17, "r": 8, "p": 1}
SALT_BYTES = 16
NONCE_BYTES = 12


@dataclass(frozen=True)
class Sealed:
    """Ciphertext with what it takes, besides the passphrase, to open it."""

    ciphertext: bytes
    header: dict  # kdf, its cost and salt, cipher and nonce: kept in the manifest


def derive_key(passphrase: bytes, salt: bytes, n: int, r: int, p: int, length: int = 32) -> bytes:
    """scrypt(passphrase, salt, N, r, p)."""
    return Scrypt(salt=salt, length=length, n=n, r=r, p=p).derive(passphrase)


def seal(data: bytes, passphrase: str, context: bytes) -> Sealed:
    """Encrypt ``data`` under a key derived from ``passphrase``; ``context`` (the node's
    origin) is authenticated with it, so sealed keys cannot pass for another node's."""
    if not passphrase:
        raise BadInput("the passphrase is empty")
    salt, nonce = os.urandom(SALT_BYTES), os.urandom(NONCE_BYTES)
    key = derive_key(passphrase.encode("utf-8"), salt, **COST)
    ciphertext = AESGCM(key).encrypt(nonce, data, context)
    header = {"kdf": KDF, **COST, "salt": salt.hex(), "cipher": CIPHER, "nonce": nonce.hex()}
    return Sealed(ciphertext, header)


def unseal(ciphertext: bytes, header: dict, passphrase: str, context: bytes) -> bytes:
    """The data ``seal`` encrypted; BadInput for a wrong passphrase or altered bytes."""
    try:
        if header.get("kdf") != KDF or header.get("cipher") != CIPHER:
            raise ValueError(f"{header.get('kdf')}/{header.get('cipher')}")
        n, r, p = int(header["n"]), int(header["r"]), int(header["p"])
        if not (2 <= n <= 2 ** 22 and 1 <= r <= 32 and 1 <= p <= 16):
            raise ValueError("cost out of range")
        salt, nonce = bytes.fromhex(header["salt"]), bytes.fromhex(header["nonce"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput(f"the backup's keys are sealed in a way this version cannot open ({exc})") from None
    key = derive_key(passphrase.encode("utf-8"), salt, n, r, p)
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, context)
    except InvalidTag:
        raise BadInput("wrong passphrase (or the backup's sealed keys were altered)") from None
