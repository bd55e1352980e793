"""SQL for the log: entries, Merkle nodes and checkpoints."""

from typing import Iterator, NamedTuple, Sequence

from .database import Database

from .bodies import open_bodies, open_body, pack_bodies


class EntryRow(NamedTuple):
    """One log entry as stored (a tuple: one is made for every entry appended or read)."""

    idx: int
    leaf_hash: bytes
    body: bytes | None
    activity_id: str
    type: str
    actor: str
    object_id: str | None
    origin: str
    verified_by: str | None
    recorded_at: str


_ENTRY_COLUMNS = (
    "idx, leaf_hash, body, activity_id, type, actor, object_id, origin, verified_by, recorded_at, dictionary"
)


def _entry(db: Database, row: tuple) -> EntryRow:
    """An EntryRow from a row of _ENTRY_COLUMNS, its body back in canonical form."""
    idx, leaf, stored, *rest, dictionary = row
    return EntryRow(idx, leaf, open_body(db, idx, dictionary, stored), *rest)


def log_size(db: Database) -> int:
    """Number of entries in the log."""
    row = db.conn.execute("SELECT max(idx) FROM log_entries").fetchone()
    return 0 if row[0] is None else row[0] + 1


def insert_entries(db: Database, rows: Sequence[EntryRow]) -> None:
    """Append entries (the caller holds the write transaction and chose the indexes)."""
    if not rows:
        return
    packed = pack_bodies(db, rows[0].idx, [r.body for r in rows])
    db.conn.executemany(
        f"INSERT INTO log_entries ({_ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                r.idx, r.leaf_hash, stored, r.activity_id, r.type, r.actor, r.object_id,
                r.origin, r.verified_by, r.recorded_at, dictionary,
            )
            for r, (dictionary, stored) in zip(rows, packed)
        ],
    )


def insert_nodes(db: Database, nodes: Sequence[tuple[int, int, bytes]]) -> None:
    """Store complete Merkle subtrees (level, index, hash)."""
    db.conn.executemany("INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)", nodes)


def node(db: Database, level: int, index: int) -> bytes:
    """The stored hash of one complete subtree; KeyError if it is not stored."""
    row = db.conn.execute(
        "SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?", (level, index)
    ).fetchone()
    if row is None:
        raise KeyError(f"no Merkle node at level {level} index {index}")
    return row[0]


def entry(db: Database, idx: int) -> EntryRow | None:
    """One entry by index."""
    row = db.conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM log_entries WHERE idx = ?", (idx,)
    ).fetchone()
    return _entry(db, row) if row else None


def entry_by_activity(db: Database, activity_id: str) -> EntryRow | None:
    """The entry recording an activity, by the activity's id."""
    row = db.conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM log_entries WHERE activity_id = ?", (activity_id,)
    ).fetchone()
    return _entry(db, row) if row else None


def iter_entries(
    db: Database, start: int = 0, stop: int | None = None, batch: int = 2000
) -> Iterator[EntryRow]:
    """Entries in index order, fetched in pages so memory stays flat on any log size."""
    idx = start
    while stop is None or idx < stop:
        limit = batch if stop is None else min(batch, stop - idx)
        rows = db.conn.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM log_entries WHERE idx >= ? ORDER BY idx LIMIT ?",
            (idx, limit),
        ).fetchall()
        if not rows:
            return
        for row in rows:
            yield _entry(db, row)
        idx = rows[-1][0] + 1


class Leaf(NamedTuple):
    """What a reader of the whole log needs of an entry: its index, leaf hash and bytes."""

    idx: int
    leaf_hash: bytes
    body: bytes | None


def iter_leaves(db: Database, start: int = 0, stop: int | None = None, batch: int = 10000) -> Iterator[Leaf]:
    """(index, leaf hash, bytes) in index order, paged: the cheap way to read a large log.
    A page's bodies are decompressed together (:func:`~fedcommons.store.bodies.open_bodies`);
    10,000 entries a page hold about 30 MB of bodies."""
    idx = start
    while stop is None or idx < stop:
        limit = batch if stop is None else min(batch, stop - idx)
        rows = db.conn.execute(
            "SELECT idx, leaf_hash, body, dictionary FROM log_entries WHERE idx >= ? ORDER BY idx LIMIT ?",
            (idx, limit),
        ).fetchall()
        if not rows:
            return
        if rows[-1][0] - rows[0][0] == len(rows) - 1:  # no gap: the bodies open as one run
            bodies = open_bodies(db, rows[0][0], [(dictionary, stored) for _, _, stored, dictionary in rows])
        else:
            bodies = [open_body(db, i, dictionary, stored) for i, _, stored, dictionary in rows]
        yield from map(Leaf, [i for i, _, _, _ in rows], [leaf for _, leaf, _, _ in rows], bodies)
        idx = rows[-1][0] + 1


def insert_checkpoint(db: Database, size: int, root: bytes, note: str, signed_at: str) -> None:
    """Record a signed checkpoint."""
    db.conn.execute(
        "INSERT INTO checkpoints (size, root, note, signed_at) VALUES (?, ?, ?, ?)",
        (size, root, note, signed_at),
    )


def latest_checkpoint(db: Database) -> tuple[int, bytes, str] | None:
    """(size, root, note) of the newest checkpoint."""
    return db.conn.execute(
        "SELECT size, root, note FROM checkpoints ORDER BY size DESC LIMIT 1"
    ).fetchone()


def checkpoints(db: Database) -> list[tuple[int, bytes, str]]:
    """Every stored checkpoint, oldest first."""
    return db.conn.execute("SELECT size, root, note FROM checkpoints ORDER BY size").fetchall()


def entries_by_actor(db: Database, actor: str, limit: int, offset: int = 0) -> list[EntryRow]:
    """An actor's entries, newest first (their outbox)."""
    return [
        _entry(db, r)
        for r in db.conn.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM log_entries WHERE actor = ? ORDER BY idx DESC LIMIT ? OFFSET ?",
            (actor, limit, offset),
        )
    ]


def count_by_actor(db: Database, actor: str) -> int:
    """How many entries an actor authored."""
    return db.conn.execute("SELECT count(*) FROM log_entries WHERE actor = ?", (actor,)).fetchone()[0]


def entry_by_object(db: Database, object_id: str, type_: str = "Create") -> EntryRow | None:
    """The entry that created (or otherwise acted on) an object."""
    row = db.conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM log_entries WHERE object_id = ? AND type = ? ORDER BY idx LIMIT 1",
        (object_id, type_),
    ).fetchone()
    return _entry(db, row) if row else None


def write_probe(db: Database) -> None:
    """Write and take back a row change inside the caller's transaction: proves the write
    lock was granted and the file is writable (the transaction itself rolls nothing
    back: the row is written as it was)."""
    db.conn.execute("UPDATE _migrations SET name = name WHERE number = (SELECT max(number) FROM _migrations)")

def created_by(db: Database, actor: str, stop: int, *, start: int = 0) -> Iterator[EntryRow]:
    """The Create entries ``actor`` authored at indexes [start, stop) of the log, oldest first."""
    for row in db.conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM log_entries WHERE actor = ? AND idx >= ? AND idx < ? AND type = 'Create' "
        "ORDER BY idx",
        (actor, start, stop),
    ):
        yield _entry(db, row)
