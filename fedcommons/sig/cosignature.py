"""Witness cosignatures on checkpoints: C2SP tlog-cosignature ``cosignature/v1`` (Ed25519).

A cosignature is a signed-note signature line added to a checkpoint::

    — <witness name> base64(key ID[4] || timestamp[8, big-endian] || Ed25519 signature[64])

The key ID is SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4] (signature type
0x04 of c2sp.org/signed-note), and the signature covers::

    cosignature/v1
    time <timestamp>
    <the whole checkpoint note text, extension lines included>

It states that, as of ``timestamp`` (POSIX seconds), this is the largest consistent
tree the witness has seen for the log. A witness uses a key of its own for this, never
the key that signs its node's own checkpoints.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ..errors import BadInput, VerificationError
from .note import SIGNATURE_PREFIX, is_valid_key_name, key_id

ALG_COSIGNATURE_V1 = 0x04
HEADER = "cosignature/v1"
MAX_TIMESTAMP = 2**63 - 1
_SIGNATURE_SIZE = 4 + 8 + 64


def cosigner_key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte key ID of a cosigner: SHA-256(name || 0x0A || 0x04 || public key)[:4]."""
    return key_id(name, bytes([ALG_COSIGNATURE_V1]) + public_key.public_bytes_raw())


def cosigned_message(note_text: str, timestamp: int) -> bytes:
    """The bytes a cosignature/v1 signs for a checkpoint note text at ``timestamp``."""
    _check_timestamp(timestamp)
    if not isinstance(note_text, str) or not note_text.endswith("\n"):
        raise BadInput("a checkpoint note text ends with a newline")
    return f"{HEADER}\ntime {timestamp}\n{note_text}".encode()


@dataclass(frozen=True)
class CosignerVerifier:
    """A witness's public key for cosignature/v1, identified by (name, key ID)."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey = field(repr=False, compare=False)

    def verifier_key(self) -> str:
        """The vkey string "name+hex(key ID)+base64(0x04 || public key)"."""
        blob = bytes([ALG_COSIGNATURE_V1]) + self.public_key.public_bytes_raw()
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(blob).decode('ascii')}"


def parse_cosigner_key(vkey: str) -> CosignerVerifier:
    """Parse a type-0x04 vkey; :class:`BadInput` if malformed, of another type, or inconsistent."""
    if not isinstance(vkey, str):
        raise BadInput("cosigner key must be a string")
    name, _, rest = vkey.partition("+")
    hex_id, _, b64 = rest.partition("+")
    if not is_valid_key_name(name):
        raise BadInput(f"cosigner key has an invalid name {name!r}")
    try:
        claimed = bytes.fromhex(hex_id) if len(hex_id) == 8 else b""
        blob = base64.b64decode(b64, validate=True)
    except (ValueError, binascii.Error):
        raise BadInput("cosigner key is not name+hex8+base64") from None
    if len(claimed) != 4:
        raise BadInput(f"cosigner key ID must be 8 hex digits, got {hex_id!r}")
    if len(blob) != 33 or blob[0] != ALG_COSIGNATURE_V1:
        raise BadInput("cosigner key must be 0x04 (cosignature/v1) followed by a 32-byte Ed25519 key")
    public_key = Ed25519PublicKey.from_public_bytes(blob[1:])
    if cosigner_key_id(name, public_key) != claimed:
        raise BadInput(f"cosigner key ID {hex_id} does not match its name and key")
    return CosignerVerifier(name, claimed, public_key)


class Cosigner:
    """Cosigns checkpoints as witness ``name``."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey):
        if not is_valid_key_name(name):
            raise BadInput(f"invalid witness name {name!r}: non-empty, no spaces, no '+'")
        self.name = name
        self._private_key = private_key
        self.verifier = CosignerVerifier(name, cosigner_key_id(name, private_key.public_key()),
                                         private_key.public_key())

    def verifier_key(self) -> str:
        """The vkey logs need to check this witness's cosignatures."""
        return self.verifier.verifier_key()

    def cosign(self, note_text: str, timestamp: int) -> str:
        """The cosignature line (with its newline) on a checkpoint note text."""
        signature = self._private_key.sign(cosigned_message(note_text, timestamp))
        blob = self.verifier.key_id + timestamp.to_bytes(8, "big") + signature
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(blob).decode('ascii')}\n"


@dataclass(frozen=True)
class Cosignature:
    """A parsed cosignature line."""

    name: str
    key_id: bytes
    timestamp: int
    signature: bytes
    line: str


def parse_cosignature(line: str) -> Cosignature:
    """Split "— name base64(...)" into its parts; VerificationError if it is not one."""
    text = line.removesuffix("\n")
    if not text.startswith(SIGNATURE_PREFIX):
        raise VerificationError("a cosignature line starts with an em dash and a space")
    name, sep, b64 = text[len(SIGNATURE_PREFIX):].partition(" ")
    if not sep or not is_valid_key_name(name):
        raise VerificationError("a cosignature line needs a key name and a signature")
    try:
        blob = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise VerificationError(f"the cosignature by {name} is not base64") from None
    if len(blob) != _SIGNATURE_SIZE:
        raise VerificationError(f"the cosignature by {name} has {len(blob)} bytes, cosignature/v1 has {_SIGNATURE_SIZE}")
    timestamp = int.from_bytes(blob[4:12], "big")
    if timestamp > MAX_TIMESTAMP:
        raise VerificationError(f"the cosignature by {name} has a timestamp beyond 2^63 - 1")
    return Cosignature(name, blob[:4], timestamp, blob[12:], text + "\n")


def verify_cosignature(line: str, note_text: str, verifier: CosignerVerifier) -> Cosignature:
    """Check one cosignature line by ``verifier`` on ``note_text``; VerificationError if it fails."""
    cosig = parse_cosignature(line)
    if (cosig.name, cosig.key_id) != (verifier.name, verifier.key_id):
        raise VerificationError(
            f"the cosignature is by {cosig.name}+{cosig.key_id.hex()}, not {verifier.name}+{verifier.key_id.hex()}"
        )
    try:
        verifier.public_key.verify(cosig.signature, cosigned_message(note_text, cosig.timestamp))
    except InvalidSignature:
        raise VerificationError(f"the cosignature by {cosig.name} does not verify") from None
    return cosig


def _check_timestamp(timestamp: int) -> None:
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise BadInput(f"a cosignature timestamp is an integer in 0..2^63-1, got {timestamp!r}")
