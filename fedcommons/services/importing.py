"""Bulk import of contributions from JSON lines or CSV.

Every row is checked before anything is written: one bad row stops the import with its line
number and writes nothing, unless the caller asks to skip bad rows. The good rows are then
signed and appended in batches inside one transaction, so an interrupted import leaves
nothing half-written.
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import orjson

from ..errors import BadInput, FedcommonsError
from ..node import Node
from ..store.db import transaction
from . import log_writer
from .actors import require
from .contributions import Claim, check_claim, contribution_activity

FIELDS = ("pool", "as", "effort", "kind", "summary")
OPTIONAL = ("evidence", "date")
BATCH = 1000


@dataclass
class ImportResult:
    """What an import wrote and which rows it left out."""

    written: int = 0
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


def check_rows(node: Node, rows) -> tuple[list[tuple[int, Claim]], list[tuple[int, str]]]:
    """Check every row; returns the good claims and the (line, reason) of each bad row."""
    good, bad = [], []
    cache: dict[tuple[str, str], object] = {}

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
            good.append((number, check_claim(
                node, pool=actor(str(row["pool"]), "pool"), person=actor(str(row["as"]), "person"),
                effort=str(row["effort"]), kind=str(row["kind"]), summary=str(row["summary"]),
                evidence=evidence, when=row.get("date") or None,
            )))
        except FedcommonsError as exc:
            bad.append((number, str(exc)))
    return good, bad


def import_contributions(node: Node, path: Path, *, skip_bad: bool = False,
                         progress: Callable[[int], None] | None = None) -> ImportResult:
    """Check then append every contribution in a file; see the module docstring."""
    good, bad = check_rows(node, read_rows(path))
    if bad and not skip_bad:
        line, reason = bad[0]
        more = f" ({len(bad) - 1} more bad rows)" if len(bad) > 1 else ""
        raise BadInput(f"{path}:{line}: {reason}{more}; nothing was imported (--skip-bad imports the good rows)")
    result = ImportResult(bad=bad)
    with transaction(node.db):
        for start in range(0, len(good), BATCH):
            batch = [contribution_activity(node, claim) for _, claim in good[start:start + BATCH]]
            log_writer.append(node, batch)
            result.ids.extend(p.activity["object"]["id"] for p in batch)
            result.written += len(batch)
            if progress:
                progress(len(batch))
    return result
