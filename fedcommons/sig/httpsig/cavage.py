"""draft-cavage-http-signatures-12, the HTTP Signatures the fediverse deployed first.

Pure mechanics: parse the ``Signature`` parameters, build the signing string, format a
header. Which headers must be covered is policy and lives in
:mod:`fedcommons.sig.httpsig`. The cryptography is shared with RFC 9421: ``rsa-sha256``
is ``rsa-v1_5-sha256``; ``hs2019`` means "whatever the key is" (RSA PKCS#1 v1.5 with
SHA-256, as Mastodon does, or Ed25519).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from fedcommons.errors import BadInput, VerificationError
from fedcommons.sig.httpsig.rfc9421 import Fields, check_signature, sign_bytes

ALGORITHMS = ("rsa-sha256", "hs2019", "ed25519")

# One `name="quoted"` or `name=number` parameter followed by a comma or the end.
_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([0-9]+(?:\.[0-9]+)?))\s*(?:,|$)')
_UNESCAPE = re.compile(r"\\(.)")

# Section 2.3: (created)/(expires) make no sense for algorithms that name their hash.
_NO_PSEUDO_TIMES = ("rsa", "hmac", "ecdsa")


@dataclass(frozen=True)
class CavageSignature:
    """The parameters of one draft-cavage ``Signature`` (or ``Authorization: Signature``) value."""

    key_id: str
    algorithm: str | None
    headers: tuple[str, ...]
    signature: bytes
    created: str | None = None
    expires: str | None = None

    @property
    def effective_algorithm(self) -> str:
        """The declared algorithm, or ``hs2019`` when none is given (section 2.1.3)."""
        return (self.algorithm or "hs2019").lower()


def parse_signature_header(value: str) -> CavageSignature:
    """Parse ``keyId="...",algorithm="...",headers="...",signature="..."``.

    A missing ``headers`` parameter means ``(created)`` for ``hs2019`` and ``date`` for
    the named algorithms, which is what Mastodon does and what Appendix C.1 needs.
    """
    params: dict[str, str] = {}
    pos = 0
    value = value.strip()
    while pos < len(value):
        match = _PARAM.match(value, pos)
        if not match or match.end() == pos:
            raise VerificationError(f"malformed Signature header near {value[pos:pos + 30]!r}")
        name = match.group(1)
        if name in params:
            raise VerificationError(f"malformed Signature header: parameter {name!r} given twice")
        quoted = match.group(2)
        params[name] = _UNESCAPE.sub(r"\1", quoted) if quoted is not None else match.group(3)
        pos = match.end()
    for required in ("keyId", "signature"):
        if not params.get(required):
            raise VerificationError(f"Signature header has no {required} parameter")
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except binascii.Error as exc:
        raise VerificationError("Signature header: signature is not base64") from exc
    algorithm = params.get("algorithm")
    if "headers" in params:
        headers = tuple(params["headers"].lower().split())
        if not headers:
            raise VerificationError("Signature header: headers parameter is empty")
    else:
        headers = ("(created)",) if (algorithm or "hs2019").lower() == "hs2019" else ("date",)
    return CavageSignature(
        key_id=params["keyId"],
        algorithm=algorithm,
        headers=headers,
        signature=signature,
        created=params.get("created"),
        expires=params.get("expires"),
    )


def parse_authorization(value: str) -> CavageSignature | None:
    """Parse ``Authorization: Signature ...``; ``None`` if it is another scheme."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "signature":
        return None
    return parse_signature_header(rest)


def signing_string(
    method: str,
    target: str,
    fields: Fields,
    headers: Sequence[str],
    *,
    algorithm: str = "hs2019",
    created: str | None = None,
    expires: str | None = None,
    host: str | None = None,
) -> str:
    """The string a draft-cavage signature covers (section 2.3), lines joined by LF.

    ``target`` is the path and query; ``host``, when given, stands in for the Host
    header (the node's public authority, not what a reverse proxy forwarded).
    """
    lines = []
    for name in headers:
        name = name.lower()
        if name == "(request-target)":
            value = f"{method.lower()} {target}"
        elif name in ("(created)", "(expires)"):
            if algorithm.lower().startswith(_NO_PSEUDO_TIMES):
                raise VerificationError(f"{name} cannot be signed with algorithm {algorithm} (section 2.3)")
            given = created if name == "(created)" else expires
            if given is None:
                raise VerificationError(f"{name} is covered but the {name[1:-1]} parameter is missing")
            value = given
        elif name == "host" and host is not None:
            value = host
        else:
            found = fields.get(name)
            if found is None:
                raise VerificationError(f"covered header {name!r} is missing from the request")
            value = found
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def algorithm_for_key(private_key: Any) -> str:
    """The algorithm name peers expect for a key: ``rsa-sha256`` (Mastodon) or ``hs2019`` (Ed25519)."""
    if isinstance(private_key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return "rsa-sha256"
    if isinstance(private_key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return "hs2019"
    raise BadInput(f"draft-cavage signing needs an RSA or Ed25519 key, not {type(private_key).__name__}")


def _primitive(algorithm: str, key: Any) -> str | None:
    algorithm = algorithm.lower()
    if algorithm == "rsa-sha256":
        return "rsa-v1_5-sha256"
    if algorithm == "ed25519":
        return "ed25519"
    if algorithm == "hs2019":
        if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
            return "rsa-v1_5-sha256"
        if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
            return "ed25519"
    return None


def sign(algorithm: str, private_key: Any, signing: str) -> bytes:
    """Sign a signing string with a draft-cavage algorithm."""
    primitive = _primitive(algorithm, private_key)
    if primitive is None:
        raise BadInput(f"cannot sign {algorithm} with {type(private_key).__name__}")
    return sign_bytes(primitive, private_key, signing.encode("utf-8"))


def check(algorithm: str, public_key: Any, signing: bytes, signature: bytes) -> str | None:
    """``None`` if ``signature`` verifies, else the reason it does not."""
    primitive = _primitive(algorithm, public_key)
    if primitive is None:
        return f"algorithm {algorithm} cannot be verified with {type(public_key).__name__}"
    return check_signature(primitive, public_key, signing, signature)


def format_signature_header(key_id: str, algorithm: str, headers: Sequence[str], signature: bytes) -> str:
    """A ``Signature`` header value in the parameter order Mastodon sends."""
    for text in (key_id, algorithm, *headers):
        if '"' in text or "\\" in text:
            raise BadInput(f"{text!r} cannot appear in a Signature header")
    encoded = base64.b64encode(signature).decode("ascii")
    return f'keyId="{key_id}",algorithm="{algorithm}",headers="{" ".join(headers)}",signature="{encoded}"'
