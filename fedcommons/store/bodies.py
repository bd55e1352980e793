"""Log entry bodies at rest: compressed with dictionaries kept in the database.

A row of `log_entries` holds its body either as it is (`dictionary` NULL: entries written
before the log had a dictionary) or compressed with the dictionary `dictionary` names in
`body_dictionaries`. Every reader goes through `open_body`, so what leaves the store is
always the canonical bytes that were signed and hashed (see `fedcommons/log/compression.py`).
"""

import sqlite3
from datetime import datetime, timezone
from typing import Sequence

from .database import Database

from ..errors import IntegrityError
from ..log import compression


def open_body(db: Database, idx: int, dictionary: int | None, stored: bytes | None) -> bytes | None:
    """The canonical bytes of entry `idx`'s stored body (None stays None: a redacted entry).
    IntegrityError when a compressed body is damaged (a bad disk, a hand edit)."""
    if stored is None:
        return None
    try:
        return _open(db.conn, dictionary, stored)
    except compression.Damaged as e:
        raise IntegrityError(f"entry {idx}: its stored body cannot be decompressed ({e})") from None


def open_bodies(db: Database, first: int, rows: Sequence[tuple[int | None, bytes | None]]) -> list[bytes | None]:
    """:func:`open_body` of consecutive entries ``first, first + 1, ...`` given as
    (dictionary, stored bytes), decompressed a run of one dictionary at a time with one
    reused decompressor: what a reader of the whole log goes through."""
    conn = db.conn
    out: list[bytes | None] = []
    start = 0
    while start < len(rows):
        key = rows[start][0]
        end = start + 1
        while end < len(rows) and rows[end][0] == key:
            end += 1
        run = [stored for _, stored in rows[start:end]]
        if key is None or None in run:
            out.extend(open_body(db, first + start + k, key, stored) for k, stored in enumerate(run))
        else:
            try:
                out.extend(compression.decompress_many(key, lambda k: load_dictionary(conn, k), run))
            except compression.Damaged:
                # Again one at a time, for the error that names the damaged entry.
                out.extend(open_body(db, first + start + k, key, stored) for k, stored in enumerate(run))
        start = end
    return out


def load_dictionary(conn: sqlite3.Connection, key: int) -> bytes:
    """The dictionary stored under `key`."""
    row = conn.execute("SELECT dictionary FROM body_dictionaries WHERE key = ?", (key,)).fetchone()
    if row is None:
        raise LookupError(f"the log cites body dictionary {key}, which the database lacks")
    return row[0]


def pack_bodies(db: Database, size_before: int, bodies: Sequence[bytes]) -> list[tuple[int | None, bytes]]:
    """(dictionary, stored bytes) for bodies about to be appended at `size_before`; trains a
    fresh dictionary when the log passes a training size (the caller holds the transaction)."""
    conn = db.conn
    if compression.due_for_training(size_before, size_before + len(bodies)):
        _train(conn, size_before, bodies)
    newest = conn.execute(
        "SELECT key FROM body_dictionaries ORDER BY trained_at_size DESC LIMIT 1"
    ).fetchone()
    if newest is None:
        return [(None, body) for body in bodies]
    key = newest[0]

    def load(k: int) -> bytes:  # read only when this thread has no compressor for it yet
        return load_dictionary(conn, k)

    return [(key, stored) for stored in compression.compress_all(key, load, bodies)]


def _train(conn: sqlite3.Connection, size_before: int, bodies: Sequence[bytes]) -> None:
    """Train and store a dictionary on the newest entries (those being appended included)."""
    wanted = max(0, compression.SAMPLES - len(bodies))
    rows = conn.execute(
        "SELECT dictionary, body FROM log_entries WHERE idx >= ? AND body IS NOT NULL ORDER BY idx",
        (size_before - wanted,),
    ).fetchall() if wanted else []
    samples = [_open(conn, d, b) for d, b in rows] + list(bodies[-compression.SAMPLES:])
    try:
        dictionary = compression.train(samples)
    except compression.TrainingFailed:
        return  # bodies stay as they are until the next training size; nothing is lost
    conn.execute(
        "INSERT INTO body_dictionaries (key, dictionary, trained_at_size, created_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (compression.dictionary_key(dictionary), dictionary, size_before + len(bodies),
         datetime.now(timezone.utc).isoformat(timespec="seconds")),
    )


def _open(conn: sqlite3.Connection, dictionary: int | None, stored: bytes) -> bytes:
    if dictionary is None:
        return stored
    return compression.decompress(dictionary, lambda key: load_dictionary(conn, key), stored)


def compress_existing(conn: sqlite3.Connection) -> None:
    """Migration step: train a dictionary on an existing log and compress its bodies in
    place. Leaf hashes, indexes and ids stay; only the stored form of each body changes."""
    size = conn.execute("SELECT coalesce(max(idx) + 1, 0) FROM log_entries").fetchone()[0]
    if size < compression.FIRST_TRAINING:
        return  # the log trains its first dictionary when appends bring it there
    step = max(1, size // compression.SAMPLES)  # a sample spread over the whole log
    samples = [r[0] for r in conn.execute(
        "SELECT body FROM log_entries WHERE idx % ? = 0 AND body IS NOT NULL AND dictionary IS NULL",
        (step,),
    )]
    try:
        dictionary = compression.train(samples)
    except compression.TrainingFailed:
        return
    key = compression.dictionary_key(dictionary)
    conn.execute(
        "INSERT INTO body_dictionaries (key, dictionary, trained_at_size, created_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (key, dictionary, size, datetime.now(timezone.utc).isoformat(timespec="seconds")),
    )
    # The append-only trigger refuses any update that keeps a body; this one re-encodes
    # the same bytes, so it is lifted for the conversion and put back as it was.
    trigger = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'log_entries_only_redact'"
    ).fetchone()
    conn.execute("DROP TRIGGER IF EXISTS log_entries_only_redact")
    start = 0
    while start < size:
        rows = conn.execute(
            "SELECT idx, body FROM log_entries WHERE idx >= ? AND idx < ? AND body IS NOT NULL "
            "AND dictionary IS NULL", (start, start + 5000),
        ).fetchall()
        conn.executemany(
            "UPDATE log_entries SET body = ?, dictionary = ? WHERE idx = ?",
            [(compression.compress(key, lambda _: dictionary, body), key, idx) for idx, body in rows],
        )
        start += 5000
    if trigger is not None:
        conn.execute(trigger[0])
