"""Bulk import of contributions from JSON lines or CSV.

Every row is checked before anything is written: one bad row stops the import with its line
number and writes nothing, unless the caller asks to skip bad rows. The good rows are then
signed and appended in batches, one short transaction each, so that another process (the
running server) gets the write lock between batches.

Imports are idempotent. Each row has a key: the one the file gives (`key`), or else one
derived from what the row says (pool, person, effort, kind, summary, evidence, date), never
from the file's name or the row's place in it, so a re-exported file is still recognised.
The key is published with the contribution (`importKey`), and the contribution's id is
derived from it: a row is imported when its contribution is recorded, which happens in the
same transaction as its entry, so importing a file again, or again after an interrupted
run, appends exactly the rows still missing.

Two rows of one file that say exactly the same thing are two contributions (two evenings
of weeding with no date, say): identical rows are numbered in the order they come, and the
number is part of the derived key. So the n-th such row of any file is the same contribution
as the n-th of another; work that recurs across files needs a date or a key to tell it apart.
"""

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import orjson

from ... import urls
from ...errors import BadInput, FedcommonsError
from ...node import Node
from ...store import contributions as contribution_store
from ...store.db import transaction
from ..actors.actors import require
from ..contributions.contributions import Claim, check_claim, contribution_activity
from ..log import log_writer

FIELDS = ("pool", "as", "effort", "kind", "summary")
OPTIONAL = ("evidence", "date", "key")
# Rows per transaction: a batch holds the write lock for about 0.1 s (bench/append.py);
# more rows make each wait longer, fewer make the import slower (a commit each).
BATCH = 1000
# Items per transaction for a source's run (git, a wiki) and its validation, which may be
# millions long: on a large log each entry writes a page of every random-keyed index, and
# a page written by one transaction is written once however many of its entries land on
# it. At 5,000 a 300,000-revision wiki import wrote 4.9 GB instead of 15.8 GB through the
# write-ahead log, in 0.56 of the wall time; a batch holds the write lock about half a
# second, which a delivery or an inbox write then waits at most.
SOURCE_BATCH = 5000
MAX_KEY = 200
DERIVED = "sha256:"  # what keys derived from a row's content start with


@dataclass(frozen=True)
class Row:
    """A checked row: where it was, its key, the contribution it claims and that one's id."""

    line: int
    key: str
    claim: Claim
    contribution_id: str


@dataclass
class ImportPlan:
    """What an import will write: the checked rows not yet imported."""

    rows: list[Row]
    already: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class ImportResult:
    """What an import wrote, what it found already imported, and which rows it left out."""

    written: int = 0
    already: int = 0
    ids: list[str] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)


def read_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, fields) for each row; JSON lines unless the file is CSV."""
    try:
        handle = open(path, newline="", encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}") from exc
    with handle:
        first = handle.readline()
        handle.seek(0)
        if path.suffix.lower() == ".csv" or (first and not first.lstrip().startswith("{")):
            yield from _csv_rows(handle)
        else:
            yield from _json_rows(handle)


def _json_rows(handle) -> Iterator[tuple[int, dict]]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield number, {"_error": f"not valid JSON: {exc.msg} at column {exc.colno}"}
            continue
        yield number, value if isinstance(value, dict) else {"_error": "each line must be a JSON object"}


def _csv_rows(handle) -> Iterator[tuple[int, dict]]:
    reader = csv.DictReader(handle)
    missing = [f for f in FIELDS if f not in (reader.fieldnames or [])]
    if missing:
        raise BadInput(f"the CSV header lacks {', '.join(missing)} (it needs {', '.join(FIELDS)})")
    for row in reader:
        if None in row:
            yield reader.line_num, {"_error": "more values than header columns"}
            continue
        evidence = (row.get("evidence") or "").split()
        yield reader.line_num, {**row, "evidence": evidence}


def check_rows(node: Node, rows) -> tuple[list[Row], list[tuple[int, str]]]:
    """Check every row and give it its key; returns the good rows and the (line, reason)
    of each bad one."""
    good, bad = [], []
    cache: dict[tuple[str, str], object] = {}
    given: dict[tuple[str, str], int] = {}  # (pool, key) -> line that gave it
    repeats: dict[bytes, int] = {}  # digest of the content -> how many rows said it so far

    def actor(name, kind):
        key = (name, kind)
        if key not in cache:
            try:
                cache[key] = require(node, name, kind)
            except FedcommonsError as exc:
                cache[key] = exc
        found = cache[key]
        if isinstance(found, Exception):
            raise found
        return found

    for number, row in rows:
        try:
            if "_error" in row:
                raise BadInput(row["_error"])
            missing = [f for f in FIELDS if not str(row.get(f) or "").strip()]
            if missing:
                raise BadInput(f"missing {', '.join(missing)}")
            unknown = sorted(set(row) - set(FIELDS) - set(OPTIONAL))
            if unknown:
                raise BadInput(f"unknown field {', '.join(unknown)}")
            evidence = row.get("evidence") or []
            if isinstance(evidence, str):
                evidence = [evidence]
            if not isinstance(evidence, list):
                raise BadInput("evidence must be a link or a list of links")
            when = row.get("date") or None
            if when is not None and not isinstance(when, str):
                raise BadInput("date must be a string: YYYY-MM-DD or an ISO 8601 time")
            claim = check_claim(
                node, pool=actor(str(row["pool"]), "pool"), person=actor(str(row["as"]), "person"),
                effort=str(row["effort"]), kind=str(row["kind"]), summary=str(row["summary"]),
                evidence=evidence, when=when,
            )
            key = _given_key(row.get("key"))
            if key is not None:
                first = given.setdefault((claim.pool.id, key), number)
                if first != number:
                    raise BadInput(f"key {key!r} was already used on line {first}")
            else:
                content = _content_digest(claim, dated=when is not None)
                repeats[content] = repeats.get(content, 0) + 1
                key = _derived_key(content, repeats[content])
            good.append(Row(number, key, claim, urls.imported_contribution(node.url, claim.pool.id, key)))
        except FedcommonsError as exc:
            bad.append((number, str(exc)))
    return good, bad


def _given_key(value) -> str | None:
    """The row's own key, checked; None when it has none (an empty CSV cell included)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadInput("key must be a string or an integer")
    key = str(value).strip()
    if not key:
        return None
    if len(key) > MAX_KEY:
        raise BadInput(f"key is {len(key)} characters; keep it under {MAX_KEY}")
    if not key.isprintable():
        raise BadInput("key must not contain control characters")
    if key.startswith(DERIVED):
        raise BadInput(f"keys starting with {DERIVED!r} are the ones derived from rows; choose another")
    return key


def _content_digest(claim: Claim, *, dated: bool) -> bytes:
    """The SHA-256 of what a row says, normalised ("90m" and "1.5h" say the same). An
    undated row is dated at import time, so its time is no part of what it says."""
    # Digests, not orjson's bytes, are what the caller keeps: each of those holds 4 KB.
    return hashlib.sha256(orjson.dumps([
        claim.pool.id, claim.person.id, claim.minutes, claim.kind, claim.summary,
        list(claim.evidence), claim.published if dated else None,
    ])).digest()


def _derived_key(content_digest: bytes, occurrence: int) -> str:
    # A hash, not the content: the key is published with the entry, and the content is
    # there already; the hash only makes the key short and fixed in size.
    return DERIVED + hashlib.sha256(content_digest + b"%d" % occurrence).hexdigest()


def plan_import(node: Node, path: Path, *, skip_bad: bool = False) -> ImportPlan:
    """Check every row of a file and leave out those already imported; writes nothing.

    BadInput names the first bad row, unless `skip_bad`.
    """
    good, bad = check_rows(node, read_rows(path))
    if bad and not skip_bad:
        line, reason = bad[0]
        more = f" ({len(bad) - 1} more bad rows)" if len(bad) > 1 else ""
        raise BadInput(f"{path}:{line}: {reason}{more}; nothing was imported (--skip-bad imports the good rows)")
    fresh = _not_imported(node, good)
    return ImportPlan(rows=fresh, already=len(good) - len(fresh), bad=bad)


def _not_imported(node: Node, rows: list[Row]) -> list[Row]:
    known = contribution_store.known(node.db, (row.contribution_id for row in rows))
    return [row for row in rows if row.contribution_id not in known]


def write_import(node: Node, plan: ImportPlan, *, batch: int = BATCH,
                 progress: Callable[[int], None] | None = None) -> ImportResult:
    """Sign and append the planned rows, `batch` rows per transaction."""
    if batch < 1:
        raise BadInput(f"the batch size must be at least 1, not {batch}")
    result = ImportResult(already=plan.already, bad=plan.bad)
    for start in range(0, len(plan.rows), batch):
        chunk = plan.rows[start:start + batch]
        # Signing is most of the work: done before taking the write lock.
        signed = [(row, contribution_activity(node, row.claim, import_key=row.key)) for row in chunk]
        with transaction(node.db):
            # Another import of the same rows may have run since the plan was made.
            fresh = {row.contribution_id for row in _not_imported(node, chunk)}
            pending = [(row, p) for row, p in signed if row.contribution_id in fresh]
            log_writer.append(node, [p for _, p in pending])
        result.ids.extend(row.contribution_id for row, _ in pending)
        result.written += len(pending)
        result.already += len(chunk) - len(pending)
        if progress:
            progress(len(chunk))
    return result


def import_contributions(node: Node, path: Path, *, skip_bad: bool = False, batch: int = BATCH,
                         progress: Callable[[int], None] | None = None) -> ImportResult:
    """Check every row of a file, then append those not yet imported; see the module docstring."""
    plan = plan_import(node, path, skip_bad=skip_bad)
    if progress and plan.already:
        progress(plan.already)
    return write_import(node, plan, batch=batch, progress=progress)
