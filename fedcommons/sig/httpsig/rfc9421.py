"""RFC 9421 HTTP Message Signatures: message components, signature base, algorithms.

Pure mechanics, no policy: this module turns a message and a ``Signature-Input`` member
into the exact bytes that were signed, and signs or checks those bytes. Which components
a node insists on, and the time window, live in :mod:`fedcommons.sig.httpsig`.

The algorithm registry (RFC 9421 section 3.3) is here too, because draft-cavage's
``rsa-sha256`` and ``hs2019`` are the same primitives under other names.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from base64 import b64encode
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Union
from urllib.parse import parse_qsl, urlsplit

import http_sf
from http_sf.innerlist import ser_item_or_inner_list
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from fedcommons.errors import BadInput, VerificationError

# ---------------------------------------------------------------------------
# Header fields

HeaderSource = Union[Mapping[str, str], Iterable[tuple[str, str]], "Fields"]

_OBS_FOLD = re.compile(r"\r?\n[ \t]+")


class Fields:
    """HTTP header fields by lower-cased name, each field line unfolded and trimmed, in order.

    Accepts a plain dict, any case-insensitive mapping (aiohttp's ``CIMultiDictProxy``
    yields repeated fields from ``items()``), or a sequence of ``(name, value)`` pairs,
    which is the only way a plain caller can express a field sent twice.
    """

    __slots__ = ("_lines",)

    def __init__(self, headers: HeaderSource = ()) -> None:
        if isinstance(headers, Fields):
            pairs: Iterable[tuple[str, str]] = headers.pairs()
        elif isinstance(headers, Mapping):
            pairs = headers.items()
        else:
            pairs = headers
        lines: dict[str, list[str]] = {}
        for name, value in pairs:
            # Obsolete line folding counts as one space (RFC 9110 section 5.5).
            lines.setdefault(name.strip().lower(), []).append(_OBS_FOLD.sub(" ", value).strip(" \t"))
        self._lines = lines

    def lines(self, name: str) -> list[str] | None:
        """Every field line of ``name``, in order, or ``None`` when the field is absent."""
        found = self._lines.get(name.lower())
        return list(found) if found is not None else None

    def get(self, name: str) -> str | None:
        """The combined value of ``name`` (lines joined by ``", "``), or ``None``."""
        found = self._lines.get(name.lower())
        return ", ".join(found) if found is not None else None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._lines

    def pairs(self) -> Iterator[tuple[str, str]]:
        """Every field line as ``(lower-case name, value)``."""
        for name, values in self._lines.items():
            for value in values:
                yield name, value

    def replaced(self, new: Mapping[str, str]) -> Fields:
        """A copy in which each field named in ``new`` has exactly the given value."""
        names = {name.lower() for name in new}
        return Fields([*((n, v) for n, v in self.pairs() if n not in names), *new.items()])


# ---------------------------------------------------------------------------
# Messages and target URIs

_DEFAULT_PORTS = {"http": 80, "https": 443}


def authority(scheme: str, host: str, port: int | None) -> str:
    """``host[:port]`` as RFC 9110 section 4.2.3 normalises it: lower case, default port left out."""
    host = host.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS.get(scheme.lower()):
        return host
    return f"{host}:{port}"


@dataclass(frozen=True)
class TargetUri:
    """A request's target URI split into the parts RFC 9421 derives components from."""

    scheme: str
    authority: str
    path: str
    query: str | None

    @classmethod
    def parse(cls, uri: str) -> TargetUri:
        """Split an absolute ``http``/``https`` URI; raise ``VerificationError`` if it is not one."""
        try:
            parts = urlsplit(uri)
            port = parts.port
        except ValueError as exc:
            raise VerificationError(f"malformed target URI {uri!r}: {exc}") from exc
        if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
            raise VerificationError(f"target URI {uri!r} is not an absolute http(s) URI")
        # urlsplit cannot tell "/p?" from "/p"; RFC 9421 can ("@query" is "?" for both).
        query = parts.query if "?" in uri.split("#", 1)[0] else None
        return cls(parts.scheme.lower(), authority(parts.scheme, parts.hostname, port), parts.path or "/", query)

    @property
    def request_target(self) -> str:
        """Path and query as they appear in an origin-form request line."""
        return self.path if self.query is None else f"{self.path}?{self.query}"

    def __str__(self) -> str:
        return f"{self.scheme}://{self.authority}{self.request_target}"


@dataclass(frozen=True)
class HttpMessage:
    """What the signature base of a request or response is built from."""

    fields: Fields
    method: str | None = None
    target: TargetUri | None = None
    status: int | None = None
    request: HttpMessage | None = None

    @classmethod
    def for_request(cls, method: str, target_uri: str, headers: HeaderSource) -> HttpMessage:
        """A request; ``target_uri`` is absolute, as the client addressed it."""
        return cls(Fields(headers), method=method, target=TargetUri.parse(target_uri))

    @classmethod
    def for_response(cls, status: int, headers: HeaderSource, request: HttpMessage | None = None) -> HttpMessage:
        """A response; ``request`` supplies components marked ``;req``."""
        return cls(Fields(headers), status=status, request=request)


# ---------------------------------------------------------------------------
# Signature-Input and Signature fields

_FIELD_PARAMS = frozenset({"sf", "key", "bs", "req", "tr"})
_DERIVED_PARAMS = frozenset({"req", "name"})


@dataclass(frozen=True)
class Component:
    """One covered component identifier, such as ``"@method"`` or ``"content-digest";req``."""

    name: str
    params: tuple[tuple[str, Any], ...] = ()

    def param(self, key: str, default: Any = None) -> Any:
        """The value of parameter ``key``, or ``default``."""
        return dict(self.params).get(key, default)

    def to_item(self) -> tuple[str, dict[str, Any]]:
        """The identifier as a structured-field string item: (value, parameters)."""
        return (self.name, dict(self.params))

    @property
    def identifier(self) -> str:
        """The serialised identifier, as it appears in the signature base."""
        return http_sf.ser(self.to_item())


@dataclass(frozen=True)
class SignatureInput:
    """One member of ``Signature-Input``: covered components and signature parameters, in order."""

    components: tuple[Component, ...]
    params: tuple[tuple[str, Any], ...]

    @classmethod
    def create(cls, components: Iterable[str | Component], params: Iterable[tuple[str, Any]]) -> SignatureInput:
        """Build one from component names (or :class:`Component`) and ordered parameters."""
        comps = tuple(c if isinstance(c, Component) else Component(c) for c in components)
        return cls(comps, tuple(params))

    def param(self, key: str, default: Any = None) -> Any:
        """The value of signature parameter ``key`` (``created``, ``keyid``, ``alg``...), or ``default``."""
        return dict(self.params).get(key, default)

    @property
    def names(self) -> frozenset[str]:
        """Names of the components covered without parameters (what a policy can rely on)."""
        return frozenset(c.name for c in self.components if not c.params)

    def to_inner_list(self) -> tuple[list, dict[str, Any]]:
        """The member as a structured-field inner list: (items, parameters)."""
        return ([c.to_item() for c in self.components], dict(self.params))

    def serialize(self) -> str:
        """The ``@signature-params`` value, which is also the ``Signature-Input`` member value."""
        return ser_item_or_inner_list(self.to_inner_list())


# http_sf gives an item as (value, parameters) and an inner list as ([items], parameters).
def _is_inner_list(member: Any) -> bool:
    return isinstance(member, tuple) and isinstance(member[0], list)


def _parse(value: str, header: str, kind: str = "dictionary") -> Any:
    try:
        return http_sf.parse(value.encode("ascii"), tltype=kind)
    except (ValueError, UnicodeEncodeError) as exc:  # StructuredFieldError is a ValueError
        raise VerificationError(f"malformed {header} header: not a structured-field {kind}") from exc


def _parse_dictionary(value: str, header: str) -> dict[str, Any]:
    return _parse(value, header)


def parse_signature_input(value: str) -> dict[str, SignatureInput]:
    """Parse a ``Signature-Input`` header into its members by label, in order."""
    result: dict[str, SignatureInput] = {}
    for label, member in _parse_dictionary(value, "Signature-Input").items():
        if not _is_inner_list(member):
            raise VerificationError(f"malformed Signature-Input: member {label!r} is not an inner list")
        items, params = member
        components = []
        for value, item_params in items:
            if type(value) is not str:  # a token or a number is not a component name
                raise VerificationError(f"malformed Signature-Input: {label!r} lists a component that is not a string")
            components.append(Component(value, tuple(item_params.items())))
        result[label] = SignatureInput(tuple(components), tuple(params.items()))
    return result


def parse_signature(value: str) -> dict[str, bytes]:
    """Parse a ``Signature`` header into signature bytes by label."""
    result: dict[str, bytes] = {}
    for label, member in _parse_dictionary(value, "Signature").items():
        if _is_inner_list(member) or not isinstance(member[0], bytes):
            raise VerificationError(f"malformed Signature: member {label!r} is not a byte sequence")
        result[label] = member[0]
    return result


def signature_fields(label: str, signature_input: SignatureInput, signature: bytes) -> dict[str, str]:
    """The ``Signature-Input`` and ``Signature`` header values for one signature."""
    inputs = {label: signature_input.to_inner_list()}
    sigs = {label: (signature, {})}
    return {"Signature-Input": http_sf.ser(inputs), "Signature": http_sf.ser(sigs)}


# ---------------------------------------------------------------------------
# Component values and the signature base

# The `sf` parameter needs the field's structured type; these are the ones a node meets.
_SF_TYPES: dict[str, str] = {
    "accept-signature": "dictionary",
    "cache-status": "list",
    "client-cert": "item",
    "client-cert-chain": "list",
    "content-digest": "dictionary",
    "priority": "dictionary",
    "proxy-status": "list",
    "repr-digest": "dictionary",
    "signature": "dictionary",
    "signature-input": "dictionary",
    "want-content-digest": "dictionary",
    "want-repr-digest": "dictionary",
}

# application/x-www-form-urlencoded leaves these bytes alone; RFC 9421 section 2.2.8
# then writes spaces as %20, not "+".
_FORM_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-._")


def _form_encode(text: str) -> str:
    return "".join(chr(b) if b in _FORM_SAFE else f"%{b:02X}" for b in text.encode("utf-8"))


def component_value(message: HttpMessage, component: Component) -> str:
    """The canonical value of ``component`` in ``message`` (RFC 9421 section 2)."""
    source = message
    if component.param("req"):
        if message.request is None:
            raise VerificationError(f"{component.identifier} needs the related request, which is not available")
        source = message.request
    if component.name.startswith("@"):
        return _derived_value(source, component)
    return _field_value(source.fields, component)


def _derived_value(message: HttpMessage, component: Component) -> str:
    name = component.name
    unknown = {key for key, _ in component.params} - _DERIVED_PARAMS
    if unknown or (component.param("name") is not None) != (name == "@query-param"):
        raise VerificationError(f"parameters of {component.identifier} are not allowed")
    if name == "@status":
        if message.status is None:
            raise VerificationError('"@status" is only defined for responses')
        return f"{message.status:03d}"
    if message.target is None or message.method is None:
        raise VerificationError(f"{component.identifier} is only defined for requests (use ;req in a response)")
    target = message.target
    if name == "@method":
        return message.method
    if name == "@target-uri":
        return str(target)
    if name == "@authority":
        return target.authority
    if name == "@scheme":
        return target.scheme
    if name == "@request-target":
        return target.request_target
    if name == "@path":
        return target.path
    if name == "@query":
        return f"?{target.query or ''}"
    if name == "@query-param":
        wanted = component.param("name")
        if type(wanted) is not str:
            raise VerificationError('"@query-param" needs a string name parameter')
        found = [
            _form_encode(value)
            for key, value in parse_qsl(target.query or "", keep_blank_values=True, errors="replace")
            if _form_encode(key) == wanted
        ]
        if len(found) != 1:
            # RFC 9421 section 2.2.8: a repeated parameter cannot be signed by name.
            raise VerificationError(f"query parameter {wanted!r} occurs {len(found)} times; it must occur once")
        return found[0]
    raise VerificationError(f"unsupported derived component {component.identifier}")


def _field_value(fields: Fields, component: Component) -> str:
    name = component.name
    if name != name.lower():
        raise VerificationError(f"component {component.identifier} must be lower case")
    unknown = {key for key, _ in component.params} - _FIELD_PARAMS
    if unknown:
        raise VerificationError(f"unknown parameters {sorted(unknown)} on {component.identifier}")
    if component.param("tr"):
        raise VerificationError(f"{component.identifier}: trailer fields are not supported")
    lines = fields.lines(name)
    if lines is None:
        raise VerificationError(f"covered field {name!r} is missing from the message")
    key, structured, binary = component.param("key"), component.param("sf"), component.param("bs")
    if binary:
        if key is not None or structured:
            raise VerificationError(f"{component.identifier}: bs cannot be combined with sf or key")
        return ", ".join(f":{b64encode(line.encode('utf-8')).decode('ascii')}:" for line in lines)
    combined = ", ".join(lines)
    if key is not None:
        members = _parse_dictionary(combined, name)
        if type(key) is not str or key not in members:
            raise VerificationError(f"{component.identifier}: no such member in {name!r}")
        return ser_item_or_inner_list(members[key])
    if structured:
        kind = _SF_TYPES.get(name)
        if kind is None:
            raise VerificationError(f"{component.identifier}: {name!r} is not a known structured field")
        try:
            value = http_sf.parse(combined.encode("ascii"), tltype=kind)
        except (ValueError, UnicodeEncodeError) as exc:
            raise VerificationError(f"{component.identifier}: value does not parse as a structured field") from exc
        return http_sf.ser(value)
    return combined


def signature_base(message: HttpMessage, signature_input: SignatureInput) -> bytes:
    """The exact bytes signed for ``signature_input`` over ``message`` (RFC 9421 section 2.5)."""
    lines = []
    seen = set()
    for component in signature_input.components:
        identifier = component.identifier
        if identifier in seen:
            raise VerificationError(f"component {identifier} is covered twice")
        if component.name == "@signature-params":
            raise VerificationError('"@signature-params" cannot be a covered component')
        seen.add(identifier)
        value = component_value(message, component)
        if "\n" in value or "\r" in value:
            raise VerificationError(f"value of {identifier} contains a line break")
        lines.append(f"{identifier}: {value}")
    lines.append(f'"@signature-params": {signature_input.serialize()}')
    try:
        return "\n".join(lines).encode("ascii")
    except UnicodeEncodeError as exc:
        # The base is US-ASCII; a field with other bytes has to be covered with ;bs.
        raise VerificationError("signature base is not ASCII; cover non-ASCII fields with ;bs") from exc


# ---------------------------------------------------------------------------
# Algorithms (RFC 9421 section 3.3)

ALGORITHMS = ("rsa-pss-sha512", "rsa-v1_5-sha256", "hmac-sha256", "ecdsa-p256-sha256", "ed25519")

_KEY_TYPES = {
    "rsa-pss-sha512": ("an RSA", rsa.RSAPublicKey, rsa.RSAPrivateKey),
    "rsa-v1_5-sha256": ("an RSA", rsa.RSAPublicKey, rsa.RSAPrivateKey),
    "ecdsa-p256-sha256": ("a P-256", ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey),
    "ed25519": ("an Ed25519", ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey),
    "hmac-sha256": ("a shared-secret (bytes)", bytes, bytes),
}

_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)


def algorithms_for_key(key: Any) -> tuple[str, ...]:
    """Algorithms a key can verify or sign with, most common in the fediverse first."""
    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        return ("rsa-v1_5-sha256", "rsa-pss-sha512")
    if isinstance(key, (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey)):
        return ("ed25519",)
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)) and isinstance(key.curve, ec.SECP256R1):
        return ("ecdsa-p256-sha256",)
    if isinstance(key, bytes):
        return ("hmac-sha256",)
    return ()


def _key_problem(algorithm: str, key: Any, private: bool) -> str | None:
    if algorithm not in _KEY_TYPES:
        return f"unsupported algorithm {algorithm!r}"
    label, public_type, private_type = _KEY_TYPES[algorithm]
    if not isinstance(key, private_type if private else public_type) or algorithm not in algorithms_for_key(key):
        return f"algorithm {algorithm} needs {label} key, not {type(key).__name__}"
    return None


def sign_bytes(algorithm: str, private_key: Any, data: bytes) -> bytes:
    """Sign ``data`` with ``algorithm``; ECDSA signatures come out as raw ``r || s``."""
    problem = _key_problem(algorithm, private_key, private=True)
    if problem:
        raise BadInput(problem)
    if algorithm == "rsa-v1_5-sha256":
        return private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if algorithm == "rsa-pss-sha512":
        return private_key.sign(data, _PSS, hashes.SHA512())
    if algorithm == "ecdsa-p256-sha256":
        r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if algorithm == "ed25519":
        return private_key.sign(data)
    return hmac.new(private_key, data, hashlib.sha256).digest()


def check_signature(algorithm: str, public_key: Any, data: bytes, signature: bytes) -> str | None:
    """``None`` if ``signature`` over ``data`` verifies with ``public_key``, else why it does not."""
    problem = _key_problem(algorithm, public_key, private=False)
    if problem:
        return problem
    try:
        if algorithm == "rsa-v1_5-sha256":
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif algorithm == "rsa-pss-sha512":
            public_key.verify(signature, data, _PSS, hashes.SHA512())
        elif algorithm == "ecdsa-p256-sha256":
            if len(signature) != 64:
                return f"ecdsa-p256-sha256 signature is {len(signature)} bytes, expected 64 (r || s)"
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            public_key.verify(der, data, ec.ECDSA(hashes.SHA256()))
        elif algorithm == "ed25519":
            public_key.verify(signature, data)
        elif not hmac.compare_digest(hmac.new(public_key, data, hashlib.sha256).digest(), signature):
            return "signature does not match"
    except InvalidSignature:
        return "signature does not match"
    return None
