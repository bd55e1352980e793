"""Moving a node's data from its SQLite file to a PostgreSQL database (`fedcommons db migrate`).

- Refused while the node's server runs: the command starts only when no other process
  has the SQLite file open (a server, even an idle one, or another command), and switches
  only under an exclusive lock on it, so that nothing can be written to the file after the
  switch where nobody would read it again. Every row is read from one snapshot (one read
  transaction), and the node switches only if nothing was written to the file since that
  snapshot (SQLite's data_version): a process that wrote meanwhile stops the switch (run
  the command again; it copies what changed).
- Resumable: tables are copied in key order, in batches, each committed with the copy's
  progress in the target (store/copying.py). A run after a killed one re-reads what was
  copied, checks it is still what the source holds (a SHA-256 of the rows), and goes on
  from there; a table the source changed below that point is copied again from its start,
  where the target allows (the log and the other append-only tables never allow it: then
  the copy must start over in an empty database).
- Verified: the copy's log is verified as `fedcommons log verify` does, and must end at
  the source's root; every table must hold as many rows as the source's, and the counts
  its triggers rebuilt must equal the source's. Only then does config.json name the new
  database. The keys and settings stay in the home; the SQLite file stays where it is.
"""

import hashlib
from contextlib import closing
from dataclasses import dataclass, replace
from itertools import chain, islice
from pathlib import Path
from typing import Callable, Iterator

from ...config import Config, load_config, save_config, with_setting
from ...errors import BadInput, Conflict, HomeError, IntegrityError
from ...log.merkle import root_at
from ...node import Node
from ...store import copying
from ...store import log as log_store
from ...store.database import Database
from ...store.db import StoreError, check_server_url, open_db
from ...store.postgresql import redacted
from ..log.verify import verify_log

BATCH = 1000

Progress = Callable[[int, int], None]  # (rows done, rows in all)


@dataclass(frozen=True)
class MoveReport:
    """What `move_to_postgresql` did."""

    database: str  # the new database's URL, without its password
    sqlite_file: Path  # left where it was
    tables: int
    rows: int
    copied: int  # rows written by this run (the others by an earlier, interrupted one)
    resumed: bool
    entries: int
    root: bytes


def move_to_postgresql(home: Path, url: str, *, batch: int = BATCH, progress: Progress | None = None) -> MoveReport:
    """Copy the SQLite node in `home` to the PostgreSQL database `url`, verify the copy,
    then switch the node's settings to it. BadInput, HomeError or Conflict, with nothing
    changed, for a URL that is not PostgreSQL's, a node already on PostgreSQL, or a
    database that holds another node."""
    config = load_config(home)
    if config.on_postgresql:
        raise BadInput(f"this node already keeps its data in PostgreSQL ({redacted(config.database_url)})")
    url = check_server_url(url, option="--to")
    if batch < 1:
        raise BadInput("--batch-size must be at least 1")
    path = Path(config.database)
    if not path.exists():
        raise HomeError(f"no database at {path}: nothing to move")
    busy = ("the node's SQLite database is open in another process (is `fedcommons serve` running?): "
            "stop it, then run this command again")
    with copying.sole_use(path) as alone:
        if not alone:
            raise Conflict(busy)
    target = copying.open_target(url)
    try:
        source = open_db(path)  # brings its schema up to date, so both have the same tables
        try:
            report = _copy(config, source, target, url, batch, progress)
        finally:
            source.close()
        # Nobody may open the file from here until the settings name the copy: a server
        # started meanwhile would go on writing where nobody will read.
        with copying.sole_use(path) as alone:
            if not alone:
                raise Conflict(busy)
            # The file's own settings, not those the environment adds, with the new database.
            save_config(with_setting(load_config(config.home, environ={}), database_url=url))
        copying.finish(target)
        return report
    finally:
        target.close()


def _copy(config: Config, source: Database, target: Database, url: str, batch: int,
          progress: Progress | None) -> MoveReport:
    """Copy, check and verify; Conflict when the source changed meanwhile."""
    shown = redacted(url)
    if not copying.lock_copy(target):
        raise Conflict(f"another `fedcommons db migrate` is copying into {shown}: let it finish")
    resumed = copying.has_progress(target)
    if resumed:
        if copying.copy_source(target) != config.url:
            raise HomeError(f"{shown} holds an unfinished copy of the node {copying.copy_source(target)}; "
                            "name a new or empty database")
    elif copying.holds_node(target):
        raise HomeError(f"{shown} already holds a node; name a new or empty database")
    else:
        copying.start_progress(target, config.url)
    copying.install_schema(target)
    tables = copying.target_tables(target)
    _check_same_tables(source, tables)

    version = copying.begin_snapshot(source)
    try:
        counts = {table.name: copying.count_rows(source, table.name) for table in tables}
        total, done, copied = sum(counts.values()), 0, 0
        before = copying.progress(target)

        def tick(rows: int) -> None:
            nonlocal done
            done += rows
            if progress is not None:
                progress(done, total)

        for table in tables:
            copied += _copy_table(source, target, table, before.get(table.name), batch, tick, shown)
        size = log_store.log_size(source)
        root = root_at(size, lambda level, index: log_store.node(source, level, index))
    finally:
        copying.end_snapshot(source)
    copying.advance_identities(target)

    for table in tables:
        if copying.count_rows(target, table.name) != counts[table.name]:
            raise IntegrityError(f"the copy's {table.name} holds {copying.count_rows(target, table.name)} rows, "
                                 f"the source's {counts[table.name]}")
    copy_config = replace(config, database_url=url)
    report = verify_log(Node(copy_config, target))
    if (report.entries, report.root) != (size, root):
        raise IntegrityError(f"the copy's log verifies to {report.entries} entries and root {report.root.hex()}, "
                             f"the source's is {size} entries and root {root.hex()}")

    if not copying.unchanged_since(source, version):
        raise Conflict("the node's SQLite database was written while it was being copied (is `fedcommons serve` "
                       "running?): stop the server, then run this command again; it copies only what changed")
    return MoveReport(database=shown, sqlite_file=Path(config.database), tables=len(tables), rows=total,
                      copied=copied, resumed=resumed, entries=size, root=root)


def _check_same_tables(source: Database, tables: list[copying.Table]) -> None:
    """Both databases must have the same tables and columns (a difference is a bug: the
    PostgreSQL schema must follow every SQLite migration)."""
    found = copying.source_columns(source)
    expected = {table.name: tuple(c for c in table.columns if c != copying.ROWID) for table in tables}
    for name in copying.INSTALLED:
        found.pop(name, None)
    for name in sorted(set(found) | set(expected)):
        if found.get(name) != expected.get(name):
            raise IntegrityError(f"table {name} differs between the SQLite and the PostgreSQL schema: "
                                 "this version cannot copy it")


def _copy_table(source: Database, target: Database, table: copying.Table, before: copying.Progress | None,
                batch: int, tick: Callable[[int], None], shown: str) -> int:
    """Copy what a table holds past what an earlier run copied; the rows written."""
    if before is not None:
        with closing(copying.read_rows(source, table, batch)) as batches:
            rows, digest = chain.from_iterable(batches), hashlib.sha256()
            if _same_prefix(rows, before, digest, batch, tick):
                return _append(target, table, rows, digest, before.rows, batch, tick, shown)
        # The source changed below what was copied: copy the table again from its start.
    with closing(copying.read_rows(source, table, batch)) as batches:
        return _append(target, table, chain.from_iterable(batches), hashlib.sha256(), None, batch, tick, shown)


def _append(target: Database, table: copying.Table, rows: Iterator[tuple], digest, kept: int | None,
            batch: int, tick: Callable[[int], None], shown: str) -> int:
    """Write `rows` in batches after the `kept` rows already copied (None: empty the
    table first); the rows written."""
    restart, written = kept is None, 0
    for chunk in _chunks(rows, batch):
        copying.add_rows(digest, chunk)
        written += len(chunk)
        _write(target, table, chunk, copying.Progress((kept or 0) + written, digest.hexdigest()), restart, shown)
        restart = False
        tick(len(chunk))
    if restart:  # nothing to copy, but the table is emptied of what the schema put in it
        _write(target, table, [], copying.Progress(0, copying.EMPTY_DIGEST), True, shown)
    return written


def _same_prefix(rows: Iterator[tuple], before: copying.Progress, digest, batch: int,
                 tick: Callable[[int], None]) -> bool:
    """Read as many rows as were copied, into `digest`: whether they are the rows copied
    (as many, with the same SHA-256)."""
    left = before.rows
    while left:
        chunk = list(islice(rows, min(batch, left)))
        if not chunk:
            return False
        copying.add_rows(digest, chunk)
        left -= len(chunk)
        tick(len(chunk))
    return digest.hexdigest() == before.digest


def _chunks(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _write(target: Database, table: copying.Table, chunk: list[tuple], done: copying.Progress, restart: bool,
           shown: str) -> None:
    try:
        copying.write_batch(target, table, chunk, done, restart=restart)
    except StoreError as exc:
        if not restart:
            raise
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise HomeError(f"the node's {table.name} changed since an earlier run copied part of it, and {shown} "
                        f"refuses to copy it again ({why}): drop that database, make an empty one, and run "
                        "this command again") from exc
