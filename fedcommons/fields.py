"""Reading fields of documents that came from other servers, each checked for its shape.

A reader returns a field in the one shape the code wants, None (or an empty list) when it
is absent or null, and raises :class:`Malformed`, naming the field, for anything else: a
number where a URL belongs, a list where one object does, a URL of a hundred kilobytes.
Whatever the inbox reads from a remote activity goes through these, so a malformed field
fails its own item with a reason instead of a TypeError somewhere below.
"""

import math
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from .errors import BadInput

# Longer than any URL a real server mints; what is longer is an attempt to bloat storage.
MAX_URL = 2048


class Malformed(BadInput):
    """A field of a remote document has a shape ActivityStreams does not allow there."""


def describe(value: Any) -> str:
    """What a value is, in words for an error (never the value itself, which may be huge)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _reference(value: Any, field: str) -> str:
    """One reference: a string, or an embedded object's string `id`."""
    if isinstance(value, dict):
        value = value.get("id")
        field = f"{field}.id"
    if not isinstance(value, str) or not value:
        raise Malformed(f"{field} is {describe(value)}, not a URL")
    if len(value) > MAX_URL:
        raise Malformed(f"{field} is {describe(value)}, longer than a URL may be ({MAX_URL})")
    return value


def ref(doc: dict, field: str) -> str | None:
    """What one-valued `field` refers to: a URL string, or an embedded object's `id`."""
    value = doc.get(field)
    if value is None:
        return None
    if isinstance(value, list):
        raise Malformed(f"{field} is a list; one object or its URL was expected")
    return _reference(value, field)


def refs(doc: dict, field: str) -> list[str]:
    """What a many-valued `field` (to, cc, attributedTo) refers to: URLs from a string, an
    object with an `id`, or a list of those, in order and each once."""
    value = doc.get(field)
    if value is None:
        return []
    found = [_reference(v, f"{field}[]") for v in value] if isinstance(value, list) else [_reference(value, field)]
    return list(dict.fromkeys(found))


def is_http_url(value: Any) -> bool:
    """A string naming an http(s) resource on a host."""
    if not isinstance(value, str) or len(value) > MAX_URL:
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def url(doc: dict, field: str) -> str | None:
    """An http(s) URL given as a string (an `id`, say); None when absent."""
    value = doc.get(field)
    if value is None:
        return None
    if not is_http_url(value):
        raise Malformed(f"{field} is {describe(value)}, not an http(s) URL")
    return value


def embedded(doc: dict, field: str) -> dict | None:
    """An object embedded in `field`; None when the field is absent or only a URL."""
    value = doc.get(field)
    if value is None or isinstance(value, str):
        return None
    if not isinstance(value, dict):
        raise Malformed(f"{field} is {describe(value)}, not an object")
    return value


def objects(doc: dict, field: str) -> list[dict]:
    """The objects in a many-valued `field` (tag): one object or a list; bare links are skipped."""
    value = doc.get(field)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, (dict, str)):
            raise Malformed(f"{field} holds {describe(item)}, not an object or a link")
    return [item for item in items if isinstance(item, dict)]


def text(doc: dict, field: str) -> str | None:
    """A plain string field; None when absent."""
    value = doc.get(field)
    if value is None or isinstance(value, str):
        return value
    raise Malformed(f"{field} is {describe(value)}, not text")


def number(doc: dict, field: str) -> Decimal | None:
    """A finite number, given as a JSON number or a decimal string (xsd:decimal); not a boolean."""
    value = doc.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise Malformed(f"{field} is {describe(value)}, not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise Malformed(f"{field} is not a finite number")
    try:
        parsed = Decimal(str(value)) if len(str(value)) <= 40 else None
    except InvalidOperation:
        parsed = None
    if parsed is None or not parsed.is_finite():
        raise Malformed(f"{field} is {describe(value)}, not a number")
    return parsed


def object_id(activity: dict) -> str | None:
    """The id of an activity's object, whether embedded or a bare URL; None for anything else.

    Lenient, for reading the log; the inbox reads `object` with :func:`ref`, which refuses."""
    obj = activity.get("object")
    if isinstance(obj, str):
        return obj
    if isinstance(obj, dict):
        value = obj.get("id")
        return value if isinstance(value, str) else None
    return None


def first_type(value: Any) -> str | None:
    """``types(value)[0]``, or None when it has none, without making the list (asked of
    every entry appended)."""
    t = value.get("type") if isinstance(value, dict) else None
    if isinstance(t, str):
        return t
    if isinstance(t, list):
        return next((x for x in t if isinstance(x, str)), None)
    return None


def types(value: Any) -> list[str]:
    """An object's types as a list (AS2 allows a string or an array); [] for anything else."""
    t = value.get("type") if isinstance(value, dict) else None
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [x for x in t if isinstance(x, str)]
    return []
