"""SQL for imports from sources of peer production: sources, runs, aliases, waiting items.

Aliases, identities and waiting items are private: they hold source identities such as
e-mail addresses, which are shown to stewards and never served or logged.
"""

from dataclasses import dataclass
from itertools import islice
from typing import Iterable, Sequence

import orjson
from .database import Database


@dataclass(frozen=True)
class SourceRow:
    """A source a pool imports from, and where its last run stopped."""

    name: str
    pool: str
    type: str
    location: str
    settings: dict
    cursor: str | None
    created_at: str


@dataclass(frozen=True)
class RunRow:
    """One run of an import: what it read and what became of it."""

    id: int
    source: str
    pool: str
    started_at: str
    finished_at: str | None
    items: int
    recorded: int
    waiting: int
    bots: int
    skipped: int
    minutes: dict
    validated: int


@dataclass(frozen=True)
class IdentityRow:
    """A source identity a pool's sources named, with what it maps to (None: unmapped)."""

    key: str
    name: str
    aka: list
    bot: bool
    actor: str | None


def add_source(db: Database, row: SourceRow) -> None:
    """Record a new source (the caller checked the name is free)."""
    db.conn.execute(
        "INSERT INTO import_sources (name, pool, type, location, settings, cursor, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (row.name, row.pool, row.type, row.location, orjson.dumps(row.settings).decode(), row.cursor,
         row.created_at),
    )


_SOURCE_COLUMNS = "name, pool, type, location, settings, cursor, created_at"


def _source(row) -> SourceRow:
    return SourceRow(row[0], row[1], row[2], row[3], orjson.loads(row[4]), row[5], row[6])


def source(db: Database, name: str) -> SourceRow | None:
    """A source by name."""
    row = db.conn.execute(f"SELECT {_SOURCE_COLUMNS} FROM import_sources WHERE name = ?", (name,)).fetchone()
    return _source(row) if row else None


def sources(db: Database) -> list[SourceRow]:
    """Every source, by name."""
    return [_source(r) for r in db.conn.execute(f"SELECT {_SOURCE_COLUMNS} FROM import_sources ORDER BY name")]


def set_cursor(db: Database, name: str, cursor: str | None) -> None:
    """Where the source's next run starts."""
    db.conn.execute("UPDATE import_sources SET cursor = ? WHERE name = ?", (cursor, name))


def start_run(db: Database, source_name: str, pool: str, started_at: str) -> int:
    """A new run; returns its number."""
    return int(db.conn.execute("INSERT INTO import_runs (source, pool, started_at) VALUES (?, ?, ?) RETURNING id",
                               (source_name, pool, started_at)).fetchone()[0])


def add_to_run(db: Database, run: int, *, items: int = 0, recorded: int = 0, waiting: int = 0,
               bots: int = 0, skipped: int = 0, minutes: dict | None = None, validated: int = 0) -> None:
    """Add a batch's counts to a run (in the batch's transaction)."""
    merged = None
    if minutes:
        (current,) = db.conn.execute("SELECT minutes FROM import_runs WHERE id = ?", (run,)).fetchone()
        totals = orjson.loads(current)
        for rule, value in minutes.items():
            totals[rule] = totals.get(rule, 0) + value
        merged = orjson.dumps(totals).decode()
    db.conn.execute(
        "UPDATE import_runs SET items = items + ?, recorded = recorded + ?, waiting = waiting + ?, "
        "bots = bots + ?, skipped = skipped + ?, validated = validated + ?, "
        "minutes = coalesce(?, minutes) WHERE id = ?",
        (items, recorded, waiting, bots, skipped, validated, merged, run),
    )


def finish_run(db: Database, run: int, finished_at: str) -> None:
    """Mark a run as done."""
    db.conn.execute("UPDATE import_runs SET finished_at = ? WHERE id = ?", (finished_at, run))


_RUN_COLUMNS = "id, source, pool, started_at, finished_at, items, recorded, waiting, bots, skipped, minutes, validated"


def run(db: Database, run_id: int) -> RunRow | None:
    """A run by number."""
    row = db.conn.execute(f"SELECT {_RUN_COLUMNS} FROM import_runs WHERE id = ?", (run_id,)).fetchone()
    return RunRow(*row[:10], orjson.loads(row[10]), row[11]) if row else None


def runs(db: Database, pool: str | None = None, limit: int = 100) -> list[RunRow]:
    """The latest runs, newest first (of one pool, or all)."""
    where, args = ("WHERE pool = ?", (pool, limit)) if pool else ("", (limit,))
    return [RunRow(*r[:10], orjson.loads(r[10]), r[11]) for r in db.conn.execute(
        f"SELECT {_RUN_COLUMNS} FROM import_runs {where} ORDER BY id DESC LIMIT ?", args)]


def _pairs_by_key(db: Database, select: str, scope: str, keys: Iterable[str]) -> dict[str, str]:
    """`select` (ending in ``key IN``) for `scope` and each chunk of `keys`, as a dict."""
    found: dict[str, str] = {}
    keys = iter(set(keys))
    # Chunks well under SQLite's limit on bound parameters (999 before 3.32).
    while chunk := list(islice(keys, 500)):
        found.update(db.conn.execute(f"{select} ({', '.join('?' * len(chunk))})", (scope, *chunk)))
    return found


def aliases_for(db: Database, pool: str, keys: Iterable[str]) -> dict[str, str]:
    """key -> actor, for those of the keys a steward mapped in this pool."""
    return _pairs_by_key(db, "SELECT key, actor FROM aliases WHERE pool = ? AND key IN", pool, keys)


def add_alias(db: Database, pool: str, key: str, actor: str, steward: str, at: str) -> None:
    """Map a source identity to an actor in a pool (replacing an earlier mapping)."""
    db.conn.execute(
        "INSERT INTO aliases (pool, key, actor, confirmed_by, confirmed_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (pool, key) DO UPDATE SET actor = excluded.actor, confirmed_by = excluded.confirmed_by, "
        "confirmed_at = excluded.confirmed_at",
        (pool, key, actor, steward, at))


def remove_alias(db: Database, pool: str, key: str) -> bool:
    """Forget a mapping; False when there was none."""
    return db.conn.execute("DELETE FROM aliases WHERE pool = ? AND key = ?", (pool, key)).rowcount > 0


def aliases(db: Database, pool: str | None = None) -> list[tuple[str, str, str, str, str]]:
    """(pool, key, actor, confirmed_by, confirmed_at) of every alias (of one pool, or all)."""
    where, args = ("WHERE pool = ?", (pool,)) if pool else ("", ())
    return list(db.conn.execute(
        f"SELECT pool, key, actor, confirmed_by, confirmed_at FROM aliases {where} ORDER BY pool, key", args))


def note_identities(db: Database, pool: str, seen: Sequence[tuple[str, str, list, bool]]) -> None:
    """Remember identities a source named: (key, name, other keys of the same person, bot)."""
    conn = db.conn
    for key, name, aka, bot in seen:
        row = conn.execute("SELECT aka FROM import_identities WHERE pool = ? AND key = ?", (pool, key)).fetchone()
        if row is None:
            conn.execute("INSERT INTO import_identities (pool, key, name, aka, bot) VALUES (?, ?, ?, ?, ?)",
                         (pool, key, name, orjson.dumps(sorted(set(aka))).decode(), int(bot)))
        elif aka and not set(aka) <= set(orjson.loads(row[0])):
            merged = sorted(set(orjson.loads(row[0])) | set(aka))
            conn.execute("UPDATE import_identities SET aka = ? WHERE pool = ? AND key = ?",
                         (orjson.dumps(merged).decode(), pool, key))


def identities(db: Database, pool: str) -> list[IdentityRow]:
    """Every identity a pool's sources named, with its alias if any."""
    return [IdentityRow(r[0], r[1], orjson.loads(r[2]), bool(r[3]), r[4]) for r in db.conn.execute(
        "SELECT i.key, i.name, i.aka, i.bot, a.actor FROM import_identities i "
        "LEFT JOIN aliases a ON a.pool = i.pool AND a.key = i.key WHERE i.pool = ? ORDER BY i.key", (pool,))]


def add_waiting(db: Database, pool: str, rows: Sequence[tuple[str, str, int, dict]]) -> int:
    """Keep items' parts for identities with no alias: (key, item key, run, data). Returns
    how many were new (an item already waiting is kept as it was)."""
    return db.conn.executemany(
        "INSERT INTO import_waiting (pool, key, item, run, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(pool, key, item, run_id, orjson.dumps(data).decode()) for key, item, run_id, data in rows]).rowcount


def waiting_for(db: Database, pool: str, key: str) -> list[tuple[str, int, dict]]:
    """(item key, run, data) of what waits for one identity, oldest first."""
    return [(r[0], r[1], orjson.loads(r[2])) for r in db.conn.execute(
        "SELECT item, run, data FROM import_waiting WHERE pool = ? AND key = ? ORDER BY rowid", (pool, key))]


def drop_waiting(db: Database, pool: str, key: str) -> None:
    """Forget what waited for an identity (it was recorded)."""
    db.conn.execute("DELETE FROM import_waiting WHERE pool = ? AND key = ?", (pool, key))


def waiting_counts(db: Database, pool: str) -> dict[str, int]:
    """identity -> number of items waiting for it."""
    return dict(db.conn.execute("SELECT key, count(*) FROM import_waiting WHERE pool = ? GROUP BY key", (pool,)))


def session_lasts(db: Database, source_name: str, keys: Iterable[str]) -> dict[str, str]:
    """identity -> time of its latest item read from this source."""
    return _pairs_by_key(db, "SELECT key, last FROM import_sessions WHERE source = ? AND key IN", source_name, keys)


def set_session_lasts(db: Database, source_name: str, lasts: dict[str, str]) -> None:
    """Save identities' latest item times for this source."""
    db.conn.executemany("INSERT INTO import_sessions (source, key, last) VALUES (?, ?, ?) "
                        "ON CONFLICT (source, key) DO UPDATE SET last = excluded.last",
                        [(source_name, key, last) for key, last in lasts.items()])


def add_recorded(db: Database, rows: Iterable[tuple[str, int]]) -> None:
    """Remember which run recorded which contribution."""
    db.conn.executemany("INSERT INTO import_recorded (contribution, run) VALUES (?, ?) ON CONFLICT DO NOTHING",
                        list(rows))


def recorded_in(db: Database, run_id: int) -> list[str]:
    """The contributions a run recorded, in order."""
    return [r[0] for r in db.conn.execute(
        "SELECT contribution FROM import_recorded WHERE run = ? ORDER BY rowid", (run_id,))]


def has_legacy_ids(db: Database, pool: str) -> bool:
    """Whether the pool holds source imports recorded before imported ids sorted by time
    (listed once, by migration 142): their parts are looked up under both forms of id."""
    return db.conn.execute("SELECT 1 FROM import_legacy_pools WHERE pool = ?", (pool,)).fetchone() is not None
