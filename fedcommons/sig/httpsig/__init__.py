"""HTTP signatures on requests: RFC 9421 and draft-cavage-12, parsed first, verified second.

The inbox calls :func:`parse_request` with what it received. Parsing enforces the
node's policy (what must be covered, the clock window, the body digest) and raises
:class:`~fedcommons.errors.VerificationError` when the request cannot be accepted
whoever signed it. The caller then fetches the key named by ``key_id`` and calls
:meth:`SignedRequest.verify`, which returns a :class:`~fedcommons.sig.result.Verification`
instead of raising, so a failure can be retried once with a refreshed key.

Signatures are checked against the node's public URL (``base_url``), never against
the Host a TLS-terminating proxy forwarded.

Outgoing requests get their headers from :func:`sign_request`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from fedcommons.errors import BadInput, FedcommonsError, VerificationError
from fedcommons.sig.httpsig import cavage
from fedcommons.sig.httpsig.digest import check_content_digest, check_digest, content_digest_header, digest_header
from fedcommons.sig.httpsig.rfc9421 import (
    ALGORITHMS,
    Fields,
    HttpMessage,
    SignatureInput,
    TargetUri,
    algorithms_for_key,
    authority,
    check_signature,
    parse_signature,
    parse_signature_input,
    sign_bytes,
    signature_base,
    signature_fields,
)
from fedcommons.sig.result import Verification

__all__ = ["SignedRequest", "parse_request", "sign_request"]

# Fedify and Mastodon both allow one hour of clock skew.
DEFAULT_MAX_SKEW = 3600
LABEL = "sig1"


@dataclass(frozen=True)
class SignedRequest:
    """A parsed, policy-checked signature, waiting for its public key.

    ``signature_base`` is exactly what was signed. ``legacy_base`` is the same cavage
    string with the query left out of ``(request-target)``, which Fedify and older
    Mastodon sign; it is tried only when the full one fails.
    """

    scheme: str
    key_id: str
    algorithm: str | None
    signature_base: bytes
    signature: bytes
    covered: tuple[str, ...]
    label: str | None = None
    created: int | None = None
    expires: int | None = None
    legacy_base: bytes | None = None

    def verify(self, public_key: Any) -> Verification:
        """Check the signature with ``public_key`` (an HMAC secret is passed as ``bytes``)."""
        if self.scheme == "cavage":
            algorithm = self.algorithm or "hs2019"
            reason = cavage.check(algorithm, public_key, self.signature_base, self.signature)
            if reason and self.legacy_base is not None:
                if cavage.check(algorithm, public_key, self.legacy_base, self.signature) is None:
                    return Verification.good(self.key_id)
        else:
            # Without `alg` the key decides (RFC 9421 section 3.2); an RSA key may have
            # signed with PKCS#1 v1.5 (Mastodon, Fedify) or PSS.
            candidates = (self.algorithm,) if self.algorithm else algorithms_for_key(public_key)
            reason = f"no RFC 9421 algorithm uses a {type(public_key).__name__}"
            for algorithm in candidates:
                reason = check_signature(algorithm, public_key, self.signature_base, self.signature)
                if reason is None:
                    break
        if reason is None:
            return Verification.good(self.key_id)
        return Verification.bad(reason, self.key_id)


def parse_request(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    now: float | None = None,
    max_skew: int | None = DEFAULT_MAX_SKEW,
    base_url: str | None = None,
) -> SignedRequest:
    """Parse and policy-check the signature of a received request; raise ``VerificationError``.

    ``headers`` is any mapping (case is ignored), or ``(name, value)`` pairs when a
    field is repeated. ``target`` is the path and query. ``base_url`` is the node's
    public URL; without it the Host header is trusted and the scheme is taken to be
    https. ``max_skew=None`` turns off every time check (for fixed test vectors only).
    """
    fields = Fields(headers)
    scheme, public_authority = _origin(base_url, fields)
    path_query = _origin_form(target)
    clock = time.time() if now is None else now
    if "signature-input" in fields:
        if "signature" not in fields:
            raise VerificationError("Signature-Input header without a Signature header")
        request_target = TargetUri(scheme, public_authority, *_split_query(path_query))
        return _parse_rfc9421(method, request_target, fields, body or b"", clock, max_skew)
    parsed = None
    if "signature" in fields:
        parsed = cavage.parse_signature_header(fields.get("signature") or "")
    elif "authorization" in fields:
        parsed = cavage.parse_authorization(fields.get("authorization") or "")
    if parsed is None:
        raise VerificationError("request is not signed: no Signature-Input, Signature or Authorization: Signature header")
    host = public_authority if base_url is not None else None
    return _parse_cavage(method, path_query, fields, body or b"", parsed, host, clock, max_skew)


def _parse_cavage(
    method: str,
    target: str,
    fields: Fields,
    body: bytes,
    sig: cavage.CavageSignature,
    host: str | None,
    now: float,
    max_skew: int | None,
) -> SignedRequest:
    algorithm = sig.effective_algorithm
    if algorithm not in cavage.ALGORITHMS:
        raise VerificationError(f"unsupported signature algorithm {algorithm!r} (supported: {', '.join(cavage.ALGORITHMS)})")
    covered = set(sig.headers)
    missing = [name for name in ("(request-target)", "host") if name not in covered]
    if not covered & {"date", "(created)"}:
        missing.append("date (or (created))")
    if body and "digest" not in covered:
        missing.append("digest")
    if missing:
        raise VerificationError(f"signature must cover {', '.join(missing)}; it covers {' '.join(sig.headers)}")
    signing = cavage.signing_string(
        method, target, fields, sig.headers, algorithm=algorithm, created=sig.created, expires=sig.expires, host=host
    )
    if "digest" in covered:
        check_digest(fields.get("digest") or "", body)
    if "date" in covered:
        _check_skew("Date", _http_date(fields.get("date") or ""), now, max_skew)
    if "(created)" in covered:
        _check_skew("(created)", _number("created", sig.created), now, max_skew)
    if sig.expires is not None:
        _check_expires(_number("expires", sig.expires), now, max_skew)
    legacy = None
    path, has_query, _ = target.partition("?")
    if has_query and "(request-target)" in covered:
        legacy = cavage.signing_string(
            method, path, fields, sig.headers, algorithm=algorithm, created=sig.created, expires=sig.expires, host=host
        ).encode("utf-8")
    return SignedRequest(
        scheme="cavage",
        key_id=sig.key_id,
        algorithm=algorithm,
        signature_base=signing.encode("utf-8"),
        signature=sig.signature,
        covered=sig.headers,
        created=int(float(sig.created)) if sig.created is not None else None,
        expires=int(float(sig.expires)) if sig.expires is not None else None,
        legacy_base=legacy,
    )


def _parse_rfc9421(
    method: str, target: TargetUri, fields: Fields, body: bytes, now: float, max_skew: int | None
) -> SignedRequest:
    inputs = parse_signature_input(fields.get("signature-input") or "")
    signatures = parse_signature(fields.get("signature") or "")
    # Several signatures may ride on one request (RFC 9421 section 4.3); the first
    # labelled in Signature-Input that also has a value is the one checked.
    label = next((name for name in inputs if name in signatures), None)
    if label is None:
        raise VerificationError("no Signature-Input member has a matching Signature member")
    sig_input = inputs[label]
    key_id, created, expires = sig_input.param("keyid"), sig_input.param("created"), sig_input.param("expires")
    algorithm = sig_input.param("alg")
    if type(key_id) is not str or not key_id:
        raise VerificationError(f"signature {label!r} has no keyid parameter")
    if type(created) is not int:
        raise VerificationError(f"signature {label!r} has no integer created parameter")
    if expires is not None and type(expires) is not int:
        raise VerificationError(f"signature {label!r}: expires is not an integer")
    if algorithm is not None and algorithm not in ALGORITHMS:
        raise VerificationError(f"unsupported signature algorithm {algorithm!r} (supported: {', '.join(ALGORITHMS)})")
    names = sig_input.names
    missing = []
    if "@method" not in names:
        missing.append('"@method"')
    if "@target-uri" not in names and not {"@authority", "@path"} <= names:
        missing.append('"@target-uri" (or "@authority" and "@path")')
    if body and "content-digest" not in names:
        missing.append('"content-digest"')
    if missing:
        raise VerificationError(f"signature {label!r} must cover {', '.join(missing)}; it covers {sig_input.serialize()}")
    base = signature_base(HttpMessage(fields, method=method, target=target), sig_input)
    if "content-digest" in names:
        check_content_digest(fields.get("content-digest") or "", body)
    _check_skew("created", created, now, max_skew)
    if expires is not None:
        _check_expires(expires, now, max_skew)
    return SignedRequest(
        scheme="rfc9421",
        key_id=key_id,
        algorithm=algorithm,
        signature_base=base,
        signature=signatures[label],
        covered=tuple(c.identifier for c in sig_input.components),
        label=label,
        created=created,
        expires=expires,
    )


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    key_id: str,
    private_key: Any,
    scheme: str = "rfc9421",
    now: float | None = None,
) -> dict[str, str]:
    """The headers to add to an outgoing request to sign it: Date and Host if missing,
    the body digest, and the signature.

    ``scheme="rfc9421"`` covers ``"@method" "@target-uri"`` (and ``"content-digest"``
    with a body) under label ``sig1`` with ``created``, ``keyid`` and ``alg``, which is
    what Mastodon's RFC 9421 support requires. ``scheme="cavage"`` covers
    ``(request-target) host date`` (and ``digest``) with ``rsa-sha256`` for RSA keys
    and ``hs2019`` for Ed25519. ``url`` must already be percent-encoded as it will be sent.
    """
    try:
        target = TargetUri.parse(url)
    except VerificationError as exc:
        raise BadInput(f"cannot sign a request to {url!r}: {exc}") from exc
    clock = time.time() if now is None else now
    fields = Fields(headers)
    added: dict[str, str] = {}
    if "date" not in fields:
        added["Date"] = formatdate(clock, usegmt=True)
    if "host" not in fields:
        added["Host"] = target.authority
    try:
        if scheme == "cavage":
            algorithm = cavage.algorithm_for_key(private_key)
            covered = ["(request-target)", "host", "date"]
            if body is not None:
                added["Digest"] = digest_header(body)
                covered.append("digest")
            signing = cavage.signing_string(method, target.request_target, fields.replaced(added), covered, algorithm=algorithm)
            added["Signature"] = cavage.format_signature_header(
                key_id, algorithm, covered, cavage.sign(algorithm, private_key, signing)
            )
        elif scheme == "rfc9421":
            usable = algorithms_for_key(private_key)
            if not usable:
                raise BadInput(f"RFC 9421 signing needs an RSA, Ed25519, P-256 or HMAC key, not {type(private_key).__name__}")
            components = ["@method", "@target-uri"]
            if body is not None:
                added["Content-Digest"] = content_digest_header(body)
                components.append("content-digest")
            sig_input = SignatureInput.create(components, [("created", int(clock)), ("keyid", key_id), ("alg", usable[0])])
            message = HttpMessage(fields.replaced(added), method=method.upper(), target=target)
            signature = sign_bytes(usable[0], private_key, signature_base(message, sig_input))
            added.update(signature_fields(LABEL, sig_input, signature))
        else:
            raise BadInput(f"unknown signature scheme {scheme!r}; use 'rfc9421' or 'cavage'")
    except (VerificationError, ValueError) as exc:
        # A header or key id that cannot be put into a signature is the caller's to fix.
        raise BadInput(f"cannot sign the request: {exc}") from exc
    return added


def _origin(base_url: str | None, fields: Fields) -> tuple[str, str]:
    """Scheme and authority the client addressed: the node's public URL, else the Host header."""
    if base_url is not None:
        try:
            parts = urlsplit(base_url)
            port = parts.port
        except ValueError as exc:
            raise FedcommonsError(f"base_url {base_url!r} is not a valid URL: {exc}") from exc
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise FedcommonsError(f"base_url {base_url!r} must be an absolute http(s) URL")
        return parts.scheme.lower(), authority(parts.scheme, parts.hostname, port)
    host = fields.get("host")
    if not host:
        raise VerificationError("request has no Host header (and no base_url was configured)")
    try:
        parts = urlsplit(f"https://{host}")
        port = parts.port
    except ValueError as exc:
        raise VerificationError(f"malformed Host header {host!r}") from exc
    if not parts.hostname or parts.path or parts.query:
        raise VerificationError(f"malformed Host header {host!r}")
    return "https", authority("https", parts.hostname, port)


def _origin_form(target: str) -> str:
    if target.startswith("/"):
        return target
    if target.lower().startswith(("http://", "https://")):
        return TargetUri.parse(target).request_target
    raise VerificationError(f"malformed request target {target!r}: expected a path")


def _split_query(target: str) -> tuple[str, str | None]:
    path, has_query, query = target.partition("?")
    return path or "/", query if has_query else None


def _http_date(value: str) -> float:
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError) as exc:
        raise VerificationError(f"malformed Date header {value!r}") from exc


def _number(name: str, value: str | None) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise VerificationError(f"signature parameter {name} is not a number: {value!r}") from exc


def _check_skew(what: str, when: float, now: float, max_skew: int | None) -> None:
    if max_skew is not None and abs(now - when) > max_skew:
        direction = "ahead of" if when > now else "behind"
        raise VerificationError(
            f"{what} is {abs(now - when):.0f} s {direction} the node's clock; the window is ±{max_skew} s"
        )


def _check_expires(expires: float, now: float, max_skew: int | None) -> None:
    if max_skew is not None and expires < now:
        raise VerificationError(f"signature expired {now - expires:.0f} s ago")
