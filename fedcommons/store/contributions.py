"""SQL for the contribution and endorsement projections."""

from itertools import groupby, islice
from operator import attrgetter
from typing import Iterable, Iterator, NamedTuple, Sequence

from .database import Database


class ContributionRow(NamedTuple):
    """A contribution as projected from the log (a tuple: one is made for every contribution
    appended or read)."""

    id: str
    entry: int
    pool: str
    contributor: str
    minutes: int
    kind: str
    summary: str
    published: str
    claim: str | None = None
    status: str = "pending"
    decided_by: str | None = None
    reason: str | None = None
    decision_entry: int | None = None


_COLUMNS = (
    "id, entry, pool, contributor, minutes, kind, summary, published, claim, status, decided_by, "
    "reason, decision_entry"
)


def insert_contributions(db: Database, rows: Sequence[ContributionRow]) -> None:
    """Record new contributions (pending until a steward decides); a known id is kept as it was.
    Each pool's count moves by the rows actually inserted, once per run of rows of one pool
    (a row trigger cost more than the insert itself)."""
    conn = db.conn
    added: dict[str, int] = {}
    for pool, run in groupby(rows, key=attrgetter("pool")):
        inserted = conn.executemany(  # a row's fields are the columns, in their order
            f"INSERT INTO contributions ({_COLUMNS}) VALUES ({', '.join('?' * 13)}) ON CONFLICT DO NOTHING", run,
        ).rowcount
        added[pool] = added.get(pool, 0) + inserted
    conn.executemany(
        "INSERT INTO pool_contribution_counts (pool, count) VALUES (?, ?)"
        " ON CONFLICT (pool) DO UPDATE SET count = pool_contribution_counts.count + excluded.count",
        [(pool, count) for pool, count in added.items() if count],
    )


def contribution(db: Database, contribution_id: str) -> ContributionRow | None:
    """A contribution by URL."""
    row = db.conn.execute(
        f"SELECT {_COLUMNS} FROM contributions WHERE id = ?", (contribution_id,)
    ).fetchone()
    return ContributionRow(*row) if row else None


def _among(db: Database, columns: str, contribution_ids: Iterable[str], condition: str = "") -> Iterator[tuple]:
    """`columns` of the recorded contributions among the ids (and meeting `condition`),
    asked in chunks well under SQLite's limit on bound parameters (999 before 3.32)."""
    ids = iter(contribution_ids)
    while chunk := list(islice(ids, 500)):
        marks = ", ".join("?" * len(chunk))
        yield from db.conn.execute(f"SELECT {columns} FROM contributions WHERE id IN ({marks}){condition}", chunk)


def known(db: Database, contribution_ids: Iterable[str]) -> set[str]:
    """Those of the ids that are recorded contributions."""
    return {row[0] for row in _among(db, "id", contribution_ids)}


def pending_contributors(db: Database, contribution_ids: Iterable[str]) -> list[tuple[str, str]]:
    """(id, contributor) of the contributions among the ids that are still pending."""
    return list(_among(db, "id, contributor", contribution_ids, " AND status = 'pending'"))


def decide(db: Database, contribution_id: str, status: str, decided_by: str,
           reason: str | None, entry: int) -> None:
    """Record a steward's validation or rejection."""
    db.conn.execute(
        "UPDATE contributions SET status = ?, decided_by = ?, reason = ?, decision_entry = ? "
        "WHERE id = ?",
        (status, decided_by, reason, entry, contribution_id),
    )


class Decision(NamedTuple):
    """A steward's validation or rejection as the log records it."""

    contribution: str
    status: str
    decided_by: str | None
    reason: str | None
    entry: int


def decide_pending(db: Database, decisions: Sequence[Decision]) -> None:
    """Record decisions in order, each only on a contribution still pending (a decision on
    an unknown or already decided contribution changes nothing)."""
    db.conn.executemany(
        "UPDATE contributions SET status = ?, decided_by = ?, reason = ?, decision_entry = ? "
        "WHERE id = ? AND status = 'pending'",
        [(d.status, d.decided_by, d.reason, d.entry, d.contribution) for d in decisions],
    )


def pending_among(db: Database, contribution_ids: Iterable[str]) -> set[str]:
    """Those of the ids that are recorded contributions still pending."""
    return {row[0] for row in _among(db, "id", contribution_ids, " AND status = 'pending'")}


def contributions_of_pool(db: Database, pool_id: str, status: str | None = None,
                          limit: int = 100, offset: int = 0) -> list[ContributionRow]:
    """A pool's contributions, newest first."""
    sql = f"SELECT {_COLUMNS} FROM contributions WHERE pool = ?"
    args: list = [pool_id]
    if status:
        sql += " AND status = ?"
        args.append(status)
    sql += " ORDER BY entry DESC LIMIT ? OFFSET ?"
    args += [limit, offset]
    return [ContributionRow(*r) for r in db.conn.execute(sql, args)]


def contributions_of(db: Database, contributor: str) -> list[ContributionRow]:
    """A contributor's contributions across pools, newest first."""
    return [
        ContributionRow(*r)
        for r in db.conn.execute(
            f"SELECT {_COLUMNS} FROM contributions WHERE contributor = ? ORDER BY entry DESC",
            (contributor,),
        )
    ]


def insert_endorsement(db: Database, contribution_id: str, actor_id: str, activity_id: str,
                       entry: int) -> None:
    """Record an endorsement."""
    db.conn.execute(
        "INSERT INTO endorsements (contribution, actor, activity_id, entry) VALUES (?, ?, ?, ?)",
        (contribution_id, actor_id, activity_id, entry),
    )


def has_endorsed(db: Database, contribution_id: str, actor_id: str) -> bool:
    """Whether an actor already endorsed a contribution."""
    return db.conn.execute(
        "SELECT 1 FROM endorsements WHERE contribution = ? AND actor = ?",
        (contribution_id, actor_id),
    ).fetchone() is not None


def count_of_pool(db: Database, pool_id: str, status: str | None = None) -> int:
    """How many contributions a pool has received (only those with `status`, if given)."""
    if status is None:
        row = db.conn.execute("SELECT count FROM pool_contribution_counts WHERE pool = ?", (pool_id,)).fetchone()
        return row[0] if row else 0
    return db.conn.execute("SELECT count(*) FROM contributions WHERE pool = ? AND status = ?",
                           (pool_id, status)).fetchone()[0]


def claimed(db: Database, note_id: str) -> bool:
    """Whether a Note was already recorded as a contribution claim."""
    return db.conn.execute("SELECT 1 FROM contributions WHERE claim = ?", (note_id,)).fetchone() is not None


def remove_endorsement(db: Database, activity_id: str) -> bool:
    """Drop an endorsement by its Like's id (an Undo); False if there was none."""
    return db.conn.execute("DELETE FROM endorsements WHERE activity_id = ?", (activity_id,)).rowcount > 0


def every_contribution(db: Database, batch: int = 5000) -> Iterator[ContributionRow]:
    """Every contribution in log order, read in pages so memory stays flat."""
    last = -1
    while True:
        rows = db.conn.execute(f"SELECT {_COLUMNS} FROM contributions WHERE entry > ? ORDER BY entry LIMIT ?",
                               (last, batch)).fetchall()
        if not rows:
            return
        yield from (ContributionRow(*row) for row in rows)
        last = rows[-1][1]


def count_all(db: Database) -> int:
    """How many contributions the node knows."""
    return db.conn.execute("SELECT count(*) FROM contributions").fetchone()[0]
