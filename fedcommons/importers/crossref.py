"""Crossref work records as a source: each work is an item, credited to its authors.

The file holds JSON in either shape Crossref gives it: one work record per line (JSON
lines), or one API response (``{"status": "ok", "message": {...}}`` for a work,
``message.items`` for a list of works); a line may itself be such a response.

- key: ``doi:`` and the work's DOI, in lower case (DOIs are case-insensitive);
- evidence: ``https://doi.org/`` and the DOI;
- time: the work's ``published`` date, else ``issued``, else ``created``, at the start
  of the day (UTC) when only a day, a month or a year is known;
- summary: the first title (inline markup such as JATS ``<scp>`` removed);
- people: the ``author`` list (editors and other contributors did other work), keyed by
  ORCID (``orcid:`` and the bare iD) else by name (``name:Given Family``);
- kind: where authors carry CRediT contributor roles (``role`` entries of vocabulary
  ``credit``, or any role given as a CRediT term URI), the work yields one item per
  role, keyed ``doi:<doi>#<kind>`` and credited to the authors in that role, so each
  contribution has one kind; authors without one stay in the plain ``doi:<doi>`` item.
  Without CRediT roles a work is one item with no kind (the pool's default applies).
- no effort: the pipeline's default for citations is ``claim/1``.
"""

import html
import json
import re
from pathlib import Path
from typing import Iterator

from .. import credit
from ..errors import BadInput
from . import citations
from .citations import shown
from .items import Item, Person, Read

MAX_BYTES = 64 << 20  # some 10,000 full work records
_MARKUP = re.compile(r"<[^<>]*>")
_DATES = ("published", "issued", "created")


class CrossrefSource:
    """A file of Crossref work records: ``CrossrefSource(path).read(cursor)`` yields an
    item per work (per CRediT role where given), in the file's order."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def read(self, cursor: str | None) -> Iterator[Read]:
        """The works after ``cursor`` (see :func:`~fedcommons.importers.citations.resume`);
        the whole file is checked first, so a bad one yields nothing and raises BadInput."""
        items = read_crossref(citations.read_bytes(self.path, MAX_BYTES), str(self.path))
        yield from citations.resume(items, cursor)


def read_crossref(data: bytes, where: str) -> list[Item]:
    """The items in a Crossref file's bytes; ``where`` names the file in errors."""
    items: list[Item] = []
    for place, record in records(citations.decode(data, where), where):
        items.extend(work_items(record, f"{where}: {place}"))
    return items


def records(text: str, where: str) -> Iterator[tuple[str, dict]]:
    """Each work record with the place it was found (``line 3``, ``message.items[4]``)."""
    try:
        whole = _json(text, where)
    except BadInput:
        whole = None  # JSON lines, or not JSON: read line by line
    if isinstance(whole, dict):
        yield from _unwrapped(whole, "", where)
        return
    if isinstance(whole, list):  # a JSON array of records
        for n, document in enumerate(whole):
            if not isinstance(document, dict):
                raise BadInput(f"{where}: [{n}] is a {_json_type(document)}, not a Crossref work record")
            yield from _unwrapped(document, f"[{n}]", where)
        return
    found = False
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        document = _json(line, f"{where}: line {number}")
        if not isinstance(document, dict):
            raise BadInput(f"{where}: line {number}: a {_json_type(document)}, not a Crossref work record")
        found = True
        yield from _unwrapped(document, f"line {number}", where)
    if not found:
        raise BadInput(f"{where}: no Crossref work record in it")


def _json(text: str, where: str) -> object:
    """One JSON document, or BadInput saying why it is not one."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{where}: not JSON: {exc.msg} (column {exc.colno})") from exc
    except ValueError as exc:  # a number of more digits than Python converts
        raise BadInput(f"{where}: not JSON this reads: {citations.one_line(str(exc))}") from exc
    except RecursionError as exc:
        raise BadInput(f"{where}: nested too deeply to be Crossref records") from exc


def _unwrapped(document: dict, place: str, where: str) -> Iterator[tuple[str, dict]]:
    """The works of one JSON object: the record itself, or those of an API response."""
    if "message" not in document or "DOI" in document:
        yield place or "the record", document
        return
    at = f"{place}: " if place else ""
    if document.get("status") != "ok":
        raise BadInput(f"{where}: {at}a Crossref response with status {shown(document.get('status'))}, not 'ok'")
    message = document["message"]
    if not isinstance(message, dict):
        raise BadInput(f"{where}: {at}message is a {_json_type(message)}, not a work or a list of works")
    if "items" not in message:
        yield f"{at}message", message
        return
    if not isinstance(message["items"], list):
        raise BadInput(f"{where}: {at}message.items is a {_json_type(message['items'])}, not a list of works")
    for n, record in enumerate(message["items"]):
        if not isinstance(record, dict):
            raise BadInput(f"{where}: {at}message.items[{n}] is a {_json_type(record)}, not a work record")
        yield f"{at}message.items[{n}]", record


def work_items(record: dict, where: str) -> list[Item]:
    """The items of one work record: one, or one per CRediT role its authors carry."""
    if "DOI" not in record:
        raise BadInput(f"{where}: no DOI; a Crossref work record names its work by DOI")
    found = citations.doi(record["DOI"], f"{where}: DOI")
    when = _date(record, where)
    title = _title(record, where) or found
    evidence = citations.doi_url(found)
    plain: list[Person] = []
    by_kind: dict[str, list[Person]] = {}
    for n, author in enumerate(_list(record, "author", where)):
        person, kinds = _author(author, f"{where}: author[{n}]")
        for kind in kinds:
            by_kind.setdefault(kind, []).append(person)
        if not kinds:
            plain.append(person)
    items = []
    if plain or not by_kind:
        items.append(Item(key=f"doi:{found}", time=when, summary=title, evidence=evidence,
                          people=_once(plain)))
    for kind in (k for k in credit.KINDS if k in by_kind):  # CRediT's order, whatever the file's
        people = tuple(Person(p.identity, p.name, role=kind) for p in _once(by_kind[kind]))
        items.append(Item(key=f"doi:{found}#{kind}", time=when, summary=title, evidence=evidence,
                          people=people, kind=kind))
    return items


def _author(author: object, where: str) -> tuple[Person, list[str]]:
    """One author as a person, and the kinds of the CRediT roles they had."""
    if not isinstance(author, dict):
        raise BadInput(f"{where}: a {_json_type(author)}, not an author")
    parts = [_text(author, k, where) for k in ("given", "family")]
    name = citations.clean(" ".join(p for p in parts if p) or _text(author, "name", where) or "")
    if author.get("ORCID") is not None:
        identity = citations.orcid(author["ORCID"], f"{where}.ORCID")
    elif name:
        identity = citations.name_key(name)
    else:
        raise BadInput(f"{where}: no given, family or name, and no ORCID, to know the author by")
    kinds = []
    for n, role in enumerate(_list(author, "role", where)):
        kind = _credit_kind(role, f"{where}.role[{n}]")
        if kind and kind not in kinds:
            kinds.append(kind)
    return citations.person(identity, name or identity.removeprefix("orcid:")), kinds


def _credit_kind(role: object, where: str) -> str | None:
    """The kind of a CRediT role entry; None for roles of other vocabularies (author, editor)."""
    if not isinstance(role, dict):
        raise BadInput(f"{where}: a {_json_type(role)}, not a role")
    name = role.get("role")
    vocabulary = role.get("vocabulary")
    is_uri = isinstance(name, str) and name.startswith(("http://", "https://"))
    if not (isinstance(vocabulary, str) and vocabulary.casefold() == "credit") and not is_uri:
        return None
    found = credit.role_for(name) if isinstance(name, str) else None
    if found is None:
        if is_uri and vocabulary != "credit":
            return None  # a URI of some other taxonomy
        raise BadInput(f"{where}: {shown(name)} is not one of the 14 CRediT roles")
    return found.kind


def _date(record: dict, where: str):
    """When the work came out: the first of published, issued, created with a year."""
    for field in _DATES:
        value = record.get(field)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise BadInput(f"{where}: {field} is a {_json_type(value)}, not a Crossref date")
        parts = value.get("date-parts")
        first = parts[0] if isinstance(parts, list) and parts and isinstance(parts[0], list) else None
        if not first or not _whole(first[0], 1, 9999):
            continue  # Crossref writes [[null]] for an unknown date
        month = first[1] if len(first) > 1 and _whole(first[1], 1, 12) else 1
        day = first[2] if len(first) > 2 and _whole(first[2], 1, 31) else 1
        try:
            return citations.at_midnight(first[0], month, day)
        except ValueError:  # the 31st of a shorter month
            return citations.at_midnight(first[0], month)
    raise BadInput(f"{where}: no date (published, issued or created) with a year")


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _title(record: dict, where: str) -> str:
    """The first title as plain text, or '' when the work has none."""
    titles = record.get("title", [])
    if isinstance(titles, str):
        titles = [titles]
    if not isinstance(titles, list) or not all(isinstance(t, str) for t in titles):
        raise BadInput(f"{where}: title is not a list of strings")
    for title in titles:
        text = citations.summary(html.unescape(_MARKUP.sub(" ", title)))
        if text:
            return text
    return ""


def _list(record: dict, field: str, where: str) -> list:
    value = record.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadInput(f"{where}: {field} is a {_json_type(value)}, not a list")
    return value


def _text(record: dict, field: str, where: str) -> str | None:
    value = record.get(field)
    if value is not None and not isinstance(value, str):
        raise BadInput(f"{where}.{field}: a {_json_type(value)}, not text")
    return value


def _once(people: list[Person]) -> tuple[Person, ...]:
    """Each identity once, in order (an author listed twice does not get two shares)."""
    first: dict[str, Person] = {}
    for person in people:
        first.setdefault(person.identity, person)
    return tuple(first.values())


def _json_type(value: object) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", int: "number",
            float: "number", type(None): "null"}.get(type(value), type(value).__name__)
