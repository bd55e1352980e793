"""C2SP signed-note with Ed25519 keys (c2sp.org/signed-note).

A note is text ending in a newline, a blank line, then one line per signature::

    — <key name> base64(key ID[4] || Ed25519 signature[64])

Checkpoints are signed notes; witnesses add cosignature lines to an existing note,
which is why :meth:`NoteSigner.signature_line` exists beside :meth:`NoteSigner.sign`.
The rules follow the spec and the Go reference (golang.org/x/mod/sumdb/note): unknown
keys are ignored, a known key whose signature fails rejects the whole note, at least
one known key must verify, repeated signatures are dropped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from fedcommons.errors import BadInput, VerificationError

ALG_ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
SIGNER_KEY_PREFIX = "PRIVATE+KEY+"

# The spec asks verifiers to accept at least 16 signatures and to cap the count; 100 is
# the Go reference's cap. The byte cap bounds work on hostile input long before that.
MAX_SIGNATURES = 100
MAX_NOTE_BYTES = 1 << 20

_ED25519_SIG_SIZE = 64
# Control characters other than newline are forbidden anywhere in a note.
_FORBIDDEN_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def key_id(name: str, public_key_bytes_with_alg: bytes) -> bytes:
    """The 4-byte key ID: SHA-256(name || 0x0A || alg byte || public key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + public_key_bytes_with_alg).digest()[:4]


def is_valid_key_name(name: str) -> bool:
    """Key names are non-empty and hold no Unicode space and no "+"."""
    return (
        isinstance(name, str)
        and name != ""
        and "+" not in name
        and not any(ch.isspace() for ch in name)
        and _FORBIDDEN_CONTROL.search(name) is None
        and _is_utf8_encodable(name)
    )


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The verifier key string "name+hex(key ID)+base64(0x01 || public key)"."""
    _require_valid_name(name)
    blob = bytes([ALG_ED25519]) + public_key.public_bytes_raw()
    return f"{name}+{key_id(name, blob).hex()}+{base64.b64encode(blob).decode('ascii')}"


@dataclass(frozen=True)
class NoteVerifier:
    """A trusted Ed25519 key for signed notes, identified by (name, key ID)."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey = field(repr=False, compare=False)

    def verify(self, text: bytes, signature: bytes) -> bool:
        """True if ``signature`` is this key's Ed25519 signature over ``text``."""
        if len(signature) != _ED25519_SIG_SIZE:
            return False
        try:
            self.public_key.verify(signature, text)
        except InvalidSignature:
            return False
        return True

    def verifier_key(self) -> str:
        """This key as a verifier key string."""
        return verifier_key(self.name, self.public_key)


def parse_verifier_key(vkey: str) -> NoteVerifier:
    """Parse "name+hex8keyid+base64(0x01||pub)"; :class:`BadInput` if anything is off."""
    if not isinstance(vkey, str):
        raise BadInput("verifier key must be a string")
    name, _, rest = vkey.partition("+")
    hex_id, _, b64 = rest.partition("+")
    if not is_valid_key_name(name):
        raise BadInput(f"verifier key has an invalid key name {name!r}")
    blob = _decode_key_blob(b64, "verifier key")
    claimed = _decode_key_id(hex_id, "verifier key")
    if blob[0] != ALG_ED25519:
        raise BadInput(f"verifier key uses unsupported signature type 0x{blob[0]:02x}")
    if len(blob) != 33:
        raise BadInput(f"Ed25519 verifier key must hold 32 key bytes, got {len(blob) - 1}")
    if key_id(name, blob) != claimed:
        raise BadInput(f"verifier key ID {hex_id} does not match its name and key")
    return NoteVerifier(name, claimed, Ed25519PublicKey.from_public_bytes(blob[1:]))


class NoteSigner:
    """Signs notes as ``name`` with an Ed25519 key."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _require_valid_name(name)
        self.name = name
        self._private_key = private_key
        self._public_key = private_key.public_key()
        self.key_id = key_id(name, bytes([ALG_ED25519]) + self._public_key.public_bytes_raw())

    def __repr__(self) -> str:
        return f"NoteSigner({self.name!r}, key_id={self.key_id.hex()})"

    def verifier_key(self) -> str:
        """The verifier key string peers need to check this signer's notes."""
        return verifier_key(self.name, self._public_key)

    def verifier(self) -> NoteVerifier:
        """The matching :class:`NoteVerifier`."""
        return NoteVerifier(self.name, self.key_id, self._public_key)

    def signature_line(self, text: str) -> str:
        """Just the "— name base64" line (with its newline) for ``text``.

        Appending it to an existing signed note of the same text adds a cosignature.
        """
        message = _check_text(text)
        sig = self._private_key.sign(message)
        encoded = base64.b64encode(self.key_id + sig).decode("ascii")
        return f"{SIGNATURE_PREFIX}{self.name} {encoded}\n"

    def sign(self, text: str) -> str:
        """The signed note: ``text``, a blank line, and this signer's signature line."""
        return text + "\n" + self.signature_line(text)

    def signer_key(self) -> str:
        """The private key in the Go sumdb/note form "PRIVATE+KEY+name+id+base64(0x01||seed)".

        This is a secret; it exists for interoperability with Go tooling.
        """
        blob = bytes([ALG_ED25519]) + self._private_key.private_bytes_raw()
        encoded = base64.b64encode(blob).decode("ascii")
        return f"{SIGNER_KEY_PREFIX}{self.name}+{self.key_id.hex()}+{encoded}"


def parse_signer_key(skey: str) -> NoteSigner:
    """Parse a Go sumdb/note signer key; :class:`BadInput` if malformed or inconsistent."""
    if not isinstance(skey, str) or not skey.startswith(SIGNER_KEY_PREFIX):
        raise BadInput(f"signer key must start with {SIGNER_KEY_PREFIX!r}")
    name, _, rest = skey[len(SIGNER_KEY_PREFIX):].partition("+")
    hex_id, _, b64 = rest.partition("+")
    if not is_valid_key_name(name):
        raise BadInput(f"signer key has an invalid key name {name!r}")
    claimed = _decode_key_id(hex_id, "signer key")
    blob = _decode_key_blob(b64, "signer key")
    if blob[0] != ALG_ED25519 or len(blob) != 33:
        raise BadInput("signer key must be an Ed25519 seed (0x01 followed by 32 bytes)")
    signer = NoteSigner(name, Ed25519PrivateKey.from_private_bytes(blob[1:]))
    if signer.key_id != claimed:
        raise BadInput(f"signer key ID {hex_id} does not match its name and key")
    return signer


@dataclass(frozen=True)
class OpenedNote:
    """A note whose signatures were checked.

    ``signatures`` lists (name, key ID) of the known keys that verified; ``unverified``
    lists those of signatures from keys the caller did not supply (for instance witness
    cosignatures), which were not checked.
    """

    text: str
    signatures: list[tuple[str, bytes]]
    unverified: list[tuple[str, bytes]]


def open_note(note: str | bytes, verifiers: Iterable[NoteVerifier]) -> OpenedNote:
    """Parse ``note`` and verify it against the trusted ``verifiers``.

    Raises :class:`VerificationError` if the note is malformed, if a signature from a
    known key fails, or if no known key signed it. Signatures from unknown keys are
    ignored (they may share a name or an ID with a known key, but not both).
    """
    known: dict[tuple[str, bytes], NoteVerifier] = {}
    for v in verifiers:
        previous = known.setdefault((v.name, v.key_id), v)
        if previous.public_key.public_bytes_raw() != v.public_key.public_bytes_raw():
            raise BadInput(
                f"two different verifier keys share name {v.name!r} and ID {v.key_id.hex()}"
            )

    raw = note if isinstance(note, bytes) else None
    if raw is None:
        if not isinstance(note, str):
            raise BadInput("a note must be str or bytes")
        try:
            raw = note.encode("utf-8")
        except UnicodeEncodeError:
            raise _malformed("not valid UTF-8") from None
    if len(raw) > MAX_NOTE_BYTES:
        raise _malformed(f"larger than {MAX_NOTE_BYTES} bytes")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed("not valid UTF-8") from None
    if _FORBIDDEN_CONTROL.search(decoded):
        raise _malformed("contains a control character other than newline")

    # The text ends at the last blank line; signature lines never contain "\n\n".
    split = raw.rfind(b"\n\n")
    if split < 0:
        raise _malformed("no blank line before the signatures")
    text, block = raw[: split + 1], raw[split + 2:]
    if not block or not block.endswith(b"\n"):
        raise _malformed("signature block is empty or does not end in a newline")

    signatures: list[tuple[str, bytes]] = []
    unverified: list[tuple[str, bytes]] = []
    seen_known: set[tuple[str, bytes]] = set()
    seen_unknown: set[bytes] = set()
    lines = block[:-1].split(b"\n")
    if len(lines) > MAX_SIGNATURES:
        raise _malformed(f"more than {MAX_SIGNATURES} signatures")
    prefix = SIGNATURE_PREFIX.encode("utf-8")
    for line in lines:
        name, kid, sig = _parse_signature_line(line, prefix)
        verifier = known.get((name, kid))
        if verifier is None:
            if line not in seen_unknown:
                seen_unknown.add(line)
                unverified.append((name, kid))
            continue
        if (name, kid) in seen_known:
            continue  # the same key's signature again: checked once, like the Go reference
        seen_known.add((name, kid))
        if not verifier.verify(text, sig):
            raise VerificationError(
                f"signed note: signature by {name}+{kid.hex()} does not verify; note rejected"
            )
        signatures.append((name, kid))

    if not signatures:
        raise VerificationError("signed note: no signature from a known key")
    return OpenedNote(text.decode("utf-8"), signatures, unverified)


def _parse_signature_line(line: bytes, prefix: bytes) -> tuple[str, bytes, bytes]:
    """Split "— name base64" into (name, key ID, signature), or raise malformed."""
    if not line.startswith(prefix):
        raise _malformed("a line after the blank line is not a signature line")
    name_b, sep, b64 = line[len(prefix):].partition(b" ")
    name = name_b.decode("utf-8")
    if not sep or not b64 or not is_valid_key_name(name):
        raise _malformed("signature line lacks a valid key name and signature")
    try:
        blob = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise _malformed(f"signature by {name} is not valid base64") from None
    if len(blob) < 5:
        raise _malformed(f"signature by {name} is too short")
    return name, blob[:4], blob[4:]


def _check_text(text: str) -> bytes:
    """The UTF-8 bytes of note text, after checking it can be signed unambiguously."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise BadInput("note text must be a string ending in a newline")
    if _FORBIDDEN_CONTROL.search(text):
        raise BadInput("note text must not contain control characters other than newline")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput("note text must be valid Unicode (no lone surrogates)") from None


def _decode_key_id(hex_id: str, what: str) -> bytes:
    if len(hex_id) != 8 or not all(c in "0123456789abcdefABCDEF" for c in hex_id):
        raise BadInput(f"{what} ID must be 8 hex digits, got {hex_id!r}")
    return bytes.fromhex(hex_id)


def _decode_key_blob(b64: str, what: str) -> bytes:
    try:
        blob = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput(f"{what} is not valid base64") from None
    if not blob:
        raise BadInput(f"{what} holds no key")
    return blob


def _require_valid_name(name: str) -> None:
    if not is_valid_key_name(name):
        raise BadInput(f"invalid key name {name!r}: must be non-empty, without spaces or '+'")


def _is_utf8_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _malformed(why: str) -> VerificationError:
    return VerificationError(f"malformed signed note: {why}")
