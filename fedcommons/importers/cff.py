"""A CITATION.cff file as a source: one item, the work the file describes.

The file says how to cite a piece of software or a dataset; its ``authors`` made that
work, so the item is the work itself, credited to them. ``references`` (the works it
builds on) and ``preferred-citation`` (often a paper about it) are other people's work,
with their own DOIs and their own authors: they are not this pool's contributions and
yield nothing (a Crossref record of such a paper is read by the Crossref source).

- key: ``doi:`` and the work's DOI (``doi``, else the first DOI in ``identifiers``);
  without one, ``url:`` and its repository (``repository-code``, ``url``, ``repository``,
  ``repository-artifact``, the first given); without that, ``title:`` and its title;
- evidence: the DOI's resolver URL, else that http(s) URL, else none;
- time: ``date-released``, else when the file was last modified;
- people: the authors, each keyed by ORCID (``orcid:…``), else e-mail (a private key that
  stays in the alias table, the key git commits have), else name (``name:…``); an
  entity (an organisation, a team) like a person, by its ORCID or its name;
- no kind and no effort: the pipeline's default for citations is ``claim/1``.

The file is read as YAML with PyYAML's safe loader and validated against the CFF 1.2.0
JSON schema, shipped in ``schemas/``. Files that declare an older 1.x ``cff-version``
(1.0.x, 1.1.0; GitHub and many repositories still carry them) are read when they are
valid under 1.2.0 apart from the version itself: the keys read here mean the same in
all of them, and the 1.2.0 schema is the stricter one (dates only as YYYY-MM-DD, no
empty strings), so nothing is read that 1.2.0 would refuse. Any other version is refused.
"""

import functools
import hashlib
import json
import re
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Iterator

import jsonschema
import yaml

from ..errors import BadInput
from . import citations
from .citations import shown
from .items import Item, Person, Read

MAX_BYTES = 1 << 20  # the largest CITATION.cff files, long reference lists included, are ~100 KB
MAX_NODES = 100_000  # values in the document, aliases counted each time they are used
SCHEMA = "cff-1.2.0.schema.json"
_OLDER = re.compile(r"1\.[01]\.\d+")  # read as 1.2.0 (see the module's docstring)
# What a contribution accepts as evidence (check_fields in services/contributions, a layer up).
_EVIDENCE = re.compile(r"https?://[^/?#\s]+(?:[/?#]\S*)?", re.IGNORECASE)
_REPOSITORIES = ("repository-code", "url", "repository", "repository-artifact")
_MAX_TITLE_KEY = 200  # a longer title is keyed by its digest


class CffSource:
    """A ``CITATION.cff`` file: ``CffSource(path).read(cursor)`` yields the work's item."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def read(self, cursor: str | None) -> Iterator[Read]:
        """The file's one item, unless ``cursor`` says it was read already (see
        :func:`~fedcommons.importers.citations.resume`). BadInput for a bad file."""
        data = citations.read_bytes(self.path, MAX_BYTES)
        try:
            modified = datetime.fromtimestamp(self.path.stat().st_mtime, timezone.utc)
        except OSError as exc:
            raise BadInput(f"{self.path}: cannot read it ({exc.strerror or exc})") from exc
        yield from citations.resume([read_cff(data, str(self.path), modified)], cursor)


def read_cff(data: bytes, where: str, modified: datetime) -> Item:
    """The item a CITATION.cff's bytes describe; ``where`` names the file in errors and
    ``modified`` is the item's time when the file has no ``date-released``."""
    document = load(data, where)
    check(document, where)
    title = document["title"]
    found = _doi(document, where)
    repository = next((document[k].rstrip("/") for k in _REPOSITORIES if k in document), None)
    if found:
        key = f"doi:{found}"
    elif repository:
        key = f"url:{repository}"
    else:
        key = _title_key(title)
    evidence = citations.doi_url(found) if found else repository
    if evidence is not None and not _EVIDENCE.fullmatch(evidence):
        evidence = None  # an ftp URL, or one with a space: shown, never linked
    released = document.get("date-released")
    when = citations.at_midnight(*map(int, released.split("-"))) if released else modified
    return Item(key=key, time=when, summary=citations.summary(title), evidence=evidence,
                people=_authors(document["authors"], where))


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, with YAML dates read back as the text the schema expects.

    The schema asks tools to cast YAML dates to strings before validating; a timestamp
    (``2018-09-05T00:00:00.000Z``, as some tools wrote ``date-released``) is cast to the
    calendar date it was written on, the only part a release date has.
    """


def _date_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    try:
        value = loader.construct_yaml_timestamp(node)
    except ValueError as exc:  # 2021-02-30: shaped like a date, but no such day
        raise yaml.constructor.ConstructorError(None, None, f"{node.value!r} is not a date ({exc})",
                                                node.start_mark) from exc
    return (value.date() if isinstance(value, datetime) else value).isoformat()


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _date_text)


def load(data: bytes, where: str) -> object:
    """The YAML document in ``data``, or BadInput naming the line where it stops being YAML."""
    text = citations.decode(data, where)
    try:
        document = yaml.load(text, Loader=_Loader)  # safe: _Loader is a SafeLoader, no Python tags
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise BadInput(f"{where}: line {line}: not YAML: {citations.one_line(exc.problem or str(exc))}") from exc
    except yaml.YAMLError as exc:
        raise BadInput(f"{where}: not YAML: {citations.one_line(str(exc))}") from exc
    except RecursionError as exc:
        raise BadInput(f"{where}: nested too deeply to be a citation file") from exc
    _count_values(document, where)
    return document


def _count_values(document: object, where: str) -> None:
    """Refuse a document of more than MAX_NODES values, each alias counted as often as
    it is used: a few lines of YAML aliases can stand for billions of values, and
    validating them would never end. A self-referring alias stops here too."""
    stack, seen = [document], 0
    while stack:
        value = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise BadInput(f"{where}: more than {MAX_NODES} values (YAML aliases counted each time they are used)")
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


@functools.cache
def _validator() -> jsonschema.Draft7Validator:
    schema = json.loads(resources.files(__package__).joinpath("schemas", SCHEMA).read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def check(document: object, where: str) -> None:
    """BadInput naming the place where ``document`` breaks the CFF 1.2.0 schema."""
    if not isinstance(document, dict):
        raise BadInput(f"{where}: not a CITATION.cff: the file holds {type(document).__name__}, not a mapping of keys")
    version = document.get("cff-version")
    if isinstance(version, str) and _OLDER.fullmatch(version):
        document = {**document, "cff-version": "1.2.0"}
    elif isinstance(version, str) and version != "1.2.0":
        raise BadInput(f"{where}: cff-version {shown(version)} is not one this reads (1.0.x, 1.1.0 or 1.2.0)")
    try:
        error = _closest(_validator().iter_errors(document))
    except RecursionError as exc:
        raise BadInput(f"{where}: nested too deeply to be a citation file") from exc
    if error is not None:
        place = _place(error.absolute_path)
        message = error.message
        if error.validator == "enum":  # the schema's lists (licences, countries) run to hundreds
            message = f"{shown(error.instance)} is not one of the {len(error.validator_value)} values allowed here"
        raise BadInput(f"{where}: {place + ': ' if place else ''}{citations.one_line(message)} (CFF 1.2.0 schema)")


def _closest(errors) -> jsonschema.ValidationError | None:
    """The error to show. An author is a person or an entity (``anyOf``): rather than "not
    valid under any of the given schemas", show what is wrong under the alternative the
    value came nearest to (fewest errors), such as the person's malformed ORCID."""
    error = jsonschema.exceptions.best_match(errors)
    while error is not None and error.context:
        branches: dict[object, list] = {}
        for sub in error.context:
            branches.setdefault(sub.schema_path[0], []).append(sub)
        error = jsonschema.exceptions.best_match(min(branches.values(), key=len))
    return error


def _place(path) -> str:
    """``authors[0].orcid`` for the path of a schema error."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _doi(document: dict, where: str) -> str | None:
    if "doi" in document:
        return citations.doi(document["doi"], f"{where}: doi")
    for n, identifier in enumerate(document.get("identifiers", ())):
        if identifier["type"] == "doi":
            return citations.doi(identifier["value"], f"{where}: identifiers[{n}].value")
    return None


def _title_key(title: str) -> str:
    text = citations.clean(title)
    if len(text) <= _MAX_TITLE_KEY:
        return f"title:{text}"
    return "title:sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _authors(authors: list[dict], where: str) -> tuple[Person, ...]:
    """The authors as people, in the file's order, each identity once."""
    people: dict[str, Person] = {}
    for n, author in enumerate(authors):
        if "name" in author:  # an entity: the schema requires its name
            name = citations.clean(author["name"])
        else:
            parts = (author.get(k) for k in ("given-names", "name-particle", "family-names"))
            name = citations.clean(" ".join(str(p) for p in parts if p))
            if author.get("name-suffix"):
                name = f"{name}, {citations.clean(str(author['name-suffix']))}"
        name = name or citations.clean(author.get("alias", ""))
        if "orcid" in author:
            identity = citations.orcid(author["orcid"], f"{where}: authors[{n}].orcid")
        elif "email" in author:
            identity = "email:" + author["email"].strip().lower()
        elif name:
            identity = citations.name_key(name)
        else:
            raise BadInput(f"{where}: authors[{n}]: no name, alias, ORCID or e-mail to know the author by")
        people.setdefault(identity, citations.person(identity, name or f"author {n + 1}"))
    return tuple(people.values())

