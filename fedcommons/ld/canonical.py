"""Canonical forms: RFC 8785 JCS for JSON values, RDFC-1.0 for JSON-LD documents.

The log stores the canonical bytes of every activity and eddsa-jcs-2022 proofs sign
them, so two machines must produce the same bytes for the same value. Number
serialisation (ECMAScript shortest round-trip form) and UTF-16 key ordering are easy to
get subtly wrong, so the reference work is done by the maintained ``rfc8785`` package.

That package is pure Python (about 80 µs for a 1 KB activity), which alone would eat
most of the budget for signing or verifying thousands of activities a second. For the
values that make up nearly every activity, ``orjson`` with sorted keys already writes
the JCS bytes (the same escapes, UTF-8 as is, Python's shortest float digits), about
seven times faster than the standard ``json`` encoder; so :func:`canonicalize` first
checks, without copying, that the value is one of those and only then takes that path.
Everything else (integral or very large/small floats, keys outside the range where
code-point and UTF-16 order agree, subclasses, anything invalid) goes to ``rfc8785``.
A property test holds the two paths byte-equal.

:func:`canonicalize_rdf` gives RDFC-1.0 N-Quads, needed only to verify the
eddsa-rdfc-2022 proofs other servers make.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import orjson
import rfc8785

from fedcommons.errors import BadInput, FedcommonsError

_MAX_SAFE_INTEGER = 2**53 - 1


def _encode_plain(obj: Any) -> bytes:
    """JCS bytes of a value `_is_plain` accepts; orjson.JSONEncodeError past its nesting limit."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


# In JSON text: a lead byte of a UTF-8 character at or above U+E000 (where UTF-16 and
# code-point order may differ).
_HIGH_CHARACTER = re.compile(rb"[\xee-\xf4]")


def canonicalize_checked(obj: Any) -> tuple[bytes, bool]:
    """The JCS bytes of ``obj``, and whether it took the fast path: if so, any part of
    it may later be canonicalized with ``plain=True`` (a proof check over a document whose
    bytes were just computed, say)."""
    try:
        if _is_plain(obj):
            return _encode_plain(obj), True
    except (RecursionError, orjson.JSONEncodeError):
        pass
    return _canonicalize_reference(obj), False


def _float_is_plain(value: float) -> bool:
    # Python's repr and ECMAScript both print the shortest round-trip digits; they only
    # differ in layout: Python switches to exponent form outside [1e-4, 1e16) and keeps
    # ".0" on integral values, ECMAScript does neither.
    return 1e-4 <= abs(value) < 1e16 and not value.is_integer()


def parse_plain(text: bytes) -> tuple[Any, bool]:
    """Parse JSON text; also say whether the value is certainly plain (see `canonicalize`).

    The parser sees every number token, so no walk of the parsed value is needed to know
    that it holds no float and no integer beyond ±(2**53 - 1).
    """
    # Any \u escape could spell such a character, or a lone surrogate.
    plain = b"\\u" not in text and (text.isascii() or _HIGH_CHARACTER.search(text) is None)

    def on_float(token: str) -> float:
        nonlocal plain
        value = float(token)
        if not _float_is_plain(value):
            plain = False
        return value

    def on_int(token: str) -> int:
        nonlocal plain
        value = int(token)
        if not -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
            plain = False
        return value

    value = json.loads(text, parse_float=on_float, parse_int=on_int)
    return value, plain


def canonicalize(obj: Any, *, plain: bool = False) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of the JSON value ``obj``.

    ``plain=True`` says the caller knows the value takes the fast path (it came from
    :func:`parse_plain`, or parts of it did), which saves walking it.

    Raises :class:`BadInput` for values JSON cannot carry exactly: NaN and infinities,
    integers beyond ±(2**53 - 1) not written as the double they stand for, non-string keys,
    lone surrogates, types other than dict/list/tuple/str/int/float/bool/None, and
    nesting too deep to walk.
    """
    try:
        if plain or _is_plain(obj):
            return _encode_plain(obj)
    except (RecursionError, orjson.JSONEncodeError):
        pass  # let the reference path report it with a precise message
    return _canonicalize_reference(obj)


# Shared constant values (our inline @context) that were checked once and are never
# mutated: the walk below skips them. Keyed by id; the dict keeps each value alive.
_KNOWN_PLAIN: dict[int, Any] = {}


def freeze_plain(value: Any) -> Any:
    """Check once that a shared, never-mutated value takes the fast path, and remember it.

    Every activity we write carries the same inline ``@context``; walking it again for
    each of thousands of activities a second was a third of the cost of signing.
    """
    if not _is_plain(value):
        raise BadInput("a shared constant must be plain JSON")
    _KNOWN_PLAIN[id(value)] = value
    return value


def _is_plain(value: Any) -> bool:
    """True when orjson with sorted keys writes exactly the JCS bytes of ``value``."""
    if id(value) in _KNOWN_PLAIN:
        return True
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER
    if kind is float:
        return _float_is_plain(value)
    if kind is dict:
        for key, item in value.items():
            # Code-point order (Python) equals UTF-16 order (JCS) unless a key holds a
            # character at or above U+E000, where astral characters sort differently.
            if type(key) is not str or not (key.isascii() or max(key) < "\ue000"):
                return False
            # Strings are most leaves; skipping the call for them halves the walk.
            if type(item) is not str and not _is_plain(item):
                return False
        return True
    if kind is list or kind is tuple:
        for item in value:
            if type(item) is not str and not _is_plain(item):
                return False
        return True
    return False


def _canonicalize_reference(obj: Any) -> bytes:
    """Canonicalize with the ``rfc8785`` package, mapping its errors to :class:`BadInput`."""
    try:
        try:
            return rfc8785.dumps(obj)
        except rfc8785.IntegerDomainError:
            # Canonical output for a large double, e.g. 1152921504606847000 for 2**60,
            # parses back in Python as an int that rfc8785 refuses, which would make
            # canonical bytes impossible to canonicalize again.
            return rfc8785.dumps(_canonical_integers_as_floats(obj))
    except rfc8785.IntegerDomainError as exc:
        raise BadInput(
            f"cannot canonicalize: {exc}; a JSON number is a double, so integers beyond "
            "±(2**53 - 1) must be written exactly as their double prints; send such "
            "values as strings"
        ) from exc
    except rfc8785.FloatDomainError as exc:
        raise BadInput(f"cannot canonicalize: {exc} (JSON has no NaN or infinity)") from exc
    except rfc8785.CanonicalizationError as exc:
        raise BadInput(f"cannot canonicalize: {exc}") from exc
    except UnicodeError as exc:
        raise BadInput(f"cannot canonicalize: a string or key is not valid Unicode ({exc})") from exc
    except RecursionError as exc:
        # A cyclic structure or absurd nesting: refuse instead of crashing the worker.
        raise BadInput("cannot canonicalize: value is cyclic or nested too deeply") from exc


def _canonical_integers_as_floats(value: Any) -> Any:
    """Copy of ``value`` where each large integer written exactly as JCS prints its
    nearest double becomes that double.

    Any other large integer (9007199254740993, 10**30) is left as it is, so it is still
    refused: accepting it would silently sign different digits than the caller gave.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) <= _MAX_SAFE_INTEGER:
            return value
        try:
            as_float = float(value)
        except OverflowError:
            return value
        return as_float if rfc8785.dumps(as_float) == str(value).encode() else value
    if isinstance(value, dict):
        return {k: _canonical_integers_as_floats(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical_integers_as_floats(v) for v in value]
    return value


# --- RDF Dataset Canonicalization (RDFC-1.0, formerly URDNA2015) -------------------
#
# Only eddsa-rdfc-2022 proofs from other servers need this; our own proofs use JCS.
# pyld is imported on first use so that the JCS path stays light.

_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S*|_:\S+")
# Values inside these keys are literals or processing hints, never IRIs to check.
_LITERAL_KEYWORDS = frozenset({"@value", "@language", "@direction", "@index"})


def canonicalize_rdf(document: Any, *, document_loader: Any = None) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document, in JSON-LD "safe mode".

    A property that does not expand to an IRI, or a relative ``@id``/``@type``, would
    vanish from the RDF and so escape any signature made over it; such documents raise
    :class:`BadInput` instead of being silently trimmed. Contexts come from
    ``document_loader`` (default: the offline loader of pinned contexts), so an unknown
    context raises :class:`~fedcommons.errors.UnknownContext`. Blank-node hashing work
    is bounded (as rdf-canonize does) so a crafted graph cannot stall the process.
    """
    # pyld takes about 0.3 s to import and only this path needs it (the loader imports it
    # too): the commands and requests that never canonicalize RDF do not pay for it.
    from pyld import jsonld

    if document_loader is None:
        from fedcommons.ld.loader import document_loader  # imports pyld: see above
    # No base IRI: pyld would otherwise resolve relative IRIs against a made-up
    # http://example.org/base/, hiding them from the safe-mode check below.
    options = {"documentLoader": document_loader, "base": None}
    dropped: list[str | None] = []
    try:
        expanded = jsonld.JsonLdProcessor(on_property_dropped=dropped.append).expand(
            document, options
        )
        if dropped:
            detail = f" ({dropped[0]})" if dropped[0] else ""
            raise BadInput(
                f"JSON-LD safe mode: a property{detail} is not defined by the @context "
                "and would be dropped from the signed data"
            )
        _require_absolute_iris(expanded)
        dataset = jsonld.JsonLdProcessor().to_rdf(
            expanded, {**options, "produceGeneralizedRdf": False}
        )
        return _bounded_urdna2015()().main(dataset, {"format": "application/n-quads"})
    except jsonld.JsonLdError as exc:
        raise _jsonld_error(exc) from exc
    except RecursionError as exc:
        raise BadInput("cannot canonicalize: JSON-LD document nested too deeply") from exc


def _require_absolute_iris(node: Any) -> None:
    """Refuse what RDF would silently drop from expanded JSON-LD: relative ``@id`` and
    ``@type`` values and blank-node property names."""
    if isinstance(node, list):
        for item in node:
            _require_absolute_iris(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "@id":
            _require_iri(value, "@id")
        elif key == "@type":
            for kind in value if isinstance(value, list) else [value]:
                if isinstance(kind, str) and kind.startswith("_:"):
                    # An undefined type under "@vocab": "_:" becomes an anonymous
                    # blank node, so any other undefined type would verify as well.
                    raise BadInput(
                        f"JSON-LD safe mode: type {kind[2:]!r} is not defined by the @context"
                    )
                if kind != "@json":
                    _require_iri(kind, "@type")
        elif key not in _LITERAL_KEYWORDS:
            if key.startswith("_:"):
                # ActivityStreams maps undefined terms to blank nodes ("@vocab": "_:"),
                # and RDF has no blank-node predicates: the property would vanish.
                raise BadInput(
                    f"JSON-LD safe mode: property {key[2:]!r} is not defined by the "
                    "@context and would be dropped from the signed data"
                )
            _require_absolute_iris(value)


def _require_iri(value: Any, where: str) -> None:
    if not (isinstance(value, str) and _ABSOLUTE_IRI.fullmatch(value)):
        raise BadInput(
            f"JSON-LD safe mode: {where} {value!r} is not an absolute IRI and would be "
            "dropped from the signed data"
        )


def _jsonld_error(exc: Exception) -> Exception:
    """Our error for a pyld failure: the loader's own error if it caused it, else BadInput."""
    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, FedcommonsError):
            return type(cause)(str(cause))
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    message = exc.args[0] if exc.args else type(exc).__name__
    code = getattr(exc, "code", None)
    return BadInput(f"not valid JSON-LD: {message}" + (f" ({code})" if code else ""))


@functools.cache
def _bounded_urdna2015() -> type:
    """URDNA2015 from pyld with a cap on deep (N-degree) hashing per blank node."""
    from pyld.canon import URDNA2015  # imported when first needed, as in canonicalize_rdf

    class BoundedURDNA2015(URDNA2015):
        def __init__(self) -> None:
            super().__init__()
            self._deep_iterations: dict[str, int] = {}

        def hash_n_degree_quads(self, id_, issuer):  # type: ignore[no-untyped-def]
            # rdf-canonize's default: each blank node may be deep-hashed at most as
            # many times as there are blank nodes. Poison graphs need far more.
            done = self._deep_iterations.get(id_, 0)
            if done > len(self.blank_node_info):
                raise BadInput(
                    "cannot canonicalize: RDF graph needs too much blank-node work "
                    "(possible poison graph)"
                )
            self._deep_iterations[id_] = done + 1
            return super().hash_n_degree_quads(id_, issuer)

    return BoundedURDNA2015
