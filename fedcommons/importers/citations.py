"""What the two citation sources share: DOIs, ORCIDs, names, the file and the cursor.

The sources themselves are :class:`~fedcommons.importers.cff.CffSource` (a CITATION.cff)
and :class:`~fedcommons.importers.crossref.CrossrefSource` (Crossref work records). Both
read the whole file and check all of it before they yield anything, so a bad file yields
nothing at all: the pipeline never records half of one.
"""

import hashlib
import re
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Sequence
from urllib.parse import quote

from ..errors import BadInput
from .items import Item, Person, Read

MAX_SHOWN = 80  # characters of a refused value quoted back in an error
MAX_SUMMARY = 500  # what a contribution's summary may hold (services/contributions)

# Crossref's advice for modern DOIs is 10.NNNN+/suffix; the suffix may hold almost any
# printable character, so only whitespace and control characters are refused.
_DOI = re.compile(r"10\.\d{4,9}(?:\.\d+)*/[^\s\x00-\x1f\x7f]+")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")
_ORCID = re.compile(r"(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.IGNORECASE)


def shown(value: object) -> str:
    """A refused value as an error quotes it: short, on one line."""
    text = " ".join(repr(value).split())
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def read_bytes(path: Path, limit: int) -> bytes:
    """A file's bytes, refused with BadInput when missing, unreadable or over ``limit``."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise BadInput(f"{path}: {size} bytes; a citation file may have at most {limit}")
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    if len(data) > limit:  # grew while being read
        raise BadInput(f"{path}: more than {limit} bytes; a citation file may have at most {limit}")
    return data


def decode(data: bytes, where: str) -> str:
    """UTF-8 text (a byte-order mark allowed), or BadInput naming the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise BadInput(f"{where}: line {line}: not UTF-8 text") from exc


def doi(value: object, where: str) -> str:
    """A DOI in lower case (DOIs are case-insensitive), given bare, as ``doi:`` or as a
    resolver URL; BadInput naming ``where`` when it is not one."""
    if isinstance(value, str):
        text = value.strip()
        for prefix in _DOI_PREFIXES:
            if text.lower().startswith(prefix):
                text = text[len(prefix):]
                break
        if _DOI.fullmatch(text):
            return text.lower()
    raise BadInput(f"{where}: {shown(value)} is not a DOI (10.NNNN/suffix)")


def doi_url(value: str) -> str:
    """The DOI's resolver URL, with the characters a URL cannot carry as they are escaped."""
    return "https://doi.org/" + quote(value, safe="/:;()[]-._~!$&'*+,=@")


def orcid(value: object, where: str) -> str:
    """The identity key of an ORCID iD (``orcid:0000-0002-1825-0097``), given bare or as
    its URL; BadInput naming ``where`` when it is malformed or its check digit is wrong."""
    match = _ORCID.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise BadInput(f"{where}: {shown(value)} is not an ORCID iD (https://orcid.org/NNNN-NNNN-NNNN-NNNN)")
    bare = match.group(1).upper()
    if _orcid_check_digit(bare[:-1].replace("-", "")) != bare[-1]:
        raise BadInput(f"{where}: {bare} is not an ORCID iD: its check digit is wrong")
    return f"orcid:{bare}"


def _orcid_check_digit(digits: str) -> str:
    """ISO 7064 MOD 11-2, as ORCID computes the last character of an iD."""
    total = 0
    for digit in digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def name_key(name: str) -> str:
    """The identity key of someone known only by name (``name:Ada Lovelace``): a public
    name, already in the citation, to be bound to an actor by a steward like any alias."""
    return "name:" + clean(name)


def clean(text: str) -> str:
    """Text in one line: NFC, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def summary(text: str) -> str:
    """A title as a contribution's summary: one line, within the summary's length."""
    text = clean(text)
    return text if len(text) <= MAX_SUMMARY else text[:MAX_SUMMARY - 1] + "…"


def at_midnight(year: int, month: int = 1, day: int = 1) -> datetime:
    """The start of a day in UTC: a work's date when the metadata gives no time."""
    return datetime(year, month, day, tzinfo=timezone.utc)


def person(identity: str, name: str, role: str = "author") -> Person:
    """A citation's person: shares left equal, never a bot."""
    return Person(identity=identity, name=name or identity, role=role)


def resume(items: Sequence[Item], cursor: str | None) -> Iterator[Read]:
    """Yield ``items`` after ``cursor``, each with the cursor that resumes after it.

    A cursor is ``N:digest``: N items read, and a digest of their keys in order. When the
    file still starts with those same N items the read goes on after them; when it has
    changed (edited, reordered, replaced) or the cursor is not one of ours, it starts
    again from the first item. The pipeline records no key twice, so starting again
    costs a re-read and never a duplicate, whereas skipping on a stale count could leave
    a gap.
    """
    digest = hashlib.sha256()
    cursors = []
    for item in items:
        digest.update(item.key.encode() + b"\n")
        cursors.append(f"{len(cursors) + 1}:{digest.hexdigest()[:32]}")
    start = 0
    count, _, _ = (cursor or "").partition(":")
    if count.isdigit() and 0 < int(count) <= len(cursors) and cursors[int(count) - 1] == cursor:
        start = int(count)
    for item, after in zip(items[start:], cursors[start:]):
        yield Read(item, after)


def one_line(message: str) -> str:
    """A library's message (a parser's, a validator's) on one line, not too long."""
    text = " ".join(message.split())
    return text if len(text) <= 200 else text[:199] + "…"
