"""Body digests for signed requests: ``Digest`` (RFC 3230) and ``Content-Digest`` (RFC 9530).

A signature covers the digest header, not the body, so a request is only as safe as the
check that the digest matches the body. Draft-cavage peers (Mastodon, Fedify) send
``Digest: SHA-256=...``; RFC 9421 peers send ``Content-Digest: sha-256=:...:``.

Every mismatch raises :class:`~fedcommons.errors.VerificationError` with a message that
starts with ``DIGEST_MISMATCH`` so callers and logs can tell it from a bad signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

import http_sf

from fedcommons.errors import VerificationError

DIGEST_MISMATCH = "body digest mismatch"

# SHA-1 and MD5 are deliberately absent: a digest is only worth checking if it cannot
# be forged.
_HASHES = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


def digest_header(body: bytes) -> str:
    """The ``Digest`` value for ``body``, as Mastodon sends and requires it (SHA-256)."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes, algorithm: str = "sha-256") -> str:
    """The ``Content-Digest`` value for ``body``; SHA-256 by default, the one Mastodon reads."""
    if algorithm not in _HASHES:
        raise ValueError(f"unsupported digest algorithm {algorithm!r}; use one of {sorted(_HASHES)}")
    return http_sf.ser({algorithm: (_HASHES[algorithm](body).digest(), {})})


def check_digest(value: str, body: bytes) -> str:
    """Check a ``Digest`` header against ``body``; return the algorithm that matched.

    Every supported algorithm offered must match; at least one must be offered.
    """
    offered: list[tuple[str, bytes]] = []
    for part in value.split(","):
        name, sep, encoded = part.partition("=")
        name = name.strip().lower()
        if not sep:
            raise VerificationError(f"malformed Digest header {value!r}: expected algorithm=value")
        if name not in _HASHES:
            # Other instance digests (RFC 3230 allows e.g. UNIXsum) are not base64.
            offered.append((name, b""))
            continue
        try:
            offered.append((name, base64.b64decode(encoded.strip(), validate=True)))
        except binascii.Error as exc:
            raise VerificationError(f"malformed Digest header: {name} value is not base64") from exc
    return _compare(offered, body, "Digest")


def check_content_digest(value: str, body: bytes) -> str:
    """Check a ``Content-Digest`` header against ``body``; return the algorithm that matched."""
    try:
        field = http_sf.parse(value.encode("ascii"), tltype="dictionary")
    except (ValueError, UnicodeEncodeError) as exc:  # StructuredFieldError is a ValueError
        raise VerificationError(f"malformed Content-Digest header {value!r}: not a structured dictionary") from exc
    offered: list[tuple[str, bytes]] = []
    for name, (member, _params) in field.items():
        if not isinstance(member, bytes):  # an inner list's member is a list
            raise VerificationError(f"malformed Content-Digest header: {name} is not a byte sequence")
        offered.append((name, member))
    return _compare(offered, body, "Content-Digest")


def _compare(offered: list[tuple[str, bytes]], body: bytes, header: str) -> str:
    usable = [(name, given) for name, given in offered if name in _HASHES]
    if not usable:
        names = ", ".join(name for name, _ in offered) or "none"
        raise VerificationError(f"{header} offers no supported algorithm (offered: {names}; supported: sha-256, sha-512)")
    for name, given in usable:
        computed = _HASHES[name](body).digest()
        if not hmac.compare_digest(given, computed):
            raise VerificationError(
                f"{DIGEST_MISMATCH}: {header} {name} is {base64.b64encode(given).decode()}, "
                f"the body hashes to {base64.b64encode(computed).decode()}"
            )
    return usable[0][0]
