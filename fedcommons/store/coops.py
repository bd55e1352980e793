"""SQL for cooperatives: their members, the pools they sustain, and their distributions."""

import json
from dataclasses import dataclass

from .database import Database


def add_members(db: Database, coop: str, people: list[str]) -> None:
    """Let local people act for a cooperative (already members are kept)."""
    db.conn.executemany(
        "INSERT INTO coop_members (coop, person) VALUES (?, ?) ON CONFLICT DO NOTHING", [(coop, p) for p in people]
    )


def members(db: Database, coop: str) -> list[str]:
    """The people who may act for a cooperative, by URL."""
    return [r[0] for r in db.conn.execute(
        "SELECT person FROM coop_members WHERE coop = ? ORDER BY person", (coop,)
    )]


def is_member(db: Database, coop: str, person: str) -> bool:
    """Whether ``person`` may act for ``coop``."""
    return db.conn.execute(
        "SELECT 1 FROM coop_members WHERE coop = ? AND person = ?", (coop, person)
    ).fetchone() is not None


def set_sustains(db: Database, coop: str, sustains: list[tuple[str, str]]) -> None:
    """Replace the (pool URL, weight as a decimal string) pairs a cooperative sustains."""
    db.conn.execute("DELETE FROM coop_sustains WHERE coop = ?", (coop,))
    db.conn.executemany(
        "INSERT INTO coop_sustains (coop, pool, weight) VALUES (?, ?, ?)",
        [(coop, pool, weight) for pool, weight in sustains],
    )


def sustains(db: Database, coop: str) -> list[tuple[str, str]]:
    """(pool URL, weight) of every pool a cooperative sustains, by pool URL."""
    return [(r[0], r[1]) for r in db.conn.execute(
        "SELECT pool, weight FROM coop_sustains WHERE coop = ? ORDER BY pool", (coop,)
    )]


def set_payout_defaults(db: Database, coop: str, constraints: dict) -> None:
    """Replace a cooperative's default payout constraints (``{}``: none)."""
    db.conn.execute(
        "INSERT INTO coop_payout_defaults (coop, constraints) VALUES (?, ?) "
        "ON CONFLICT (coop) DO UPDATE SET constraints = excluded.constraints",
        (coop, json.dumps(constraints, sort_keys=True)),
    )


def payout_defaults(db: Database, coop: str) -> dict:
    """A cooperative's default payout constraints as its latest Update stated them ({} if none)."""
    row = db.conn.execute("SELECT constraints FROM coop_payout_defaults WHERE coop = ?", (coop,)).fetchone()
    return json.loads(row[0]) if row else {}


@dataclass(frozen=True)
class DistributionRow:
    """A published Distribution: where its Create is in the log, and what it says in brief."""

    id: str
    coop: str
    entry: int
    amount: str
    currency: str
    policy: str
    period: str | None
    recipients: int
    published: str


_COLUMNS = "id, coop, entry, amount, currency, policy, period, recipients, published"


def insert_distribution(db: Database, row: DistributionRow) -> None:
    """Record a Distribution read from the log (a repeated id is ignored: the first counts)."""
    db.conn.execute(
        f"INSERT INTO distributions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (row.id, row.coop, row.entry, row.amount, row.currency, row.policy, row.period,
         row.recipients, row.published),
    )


def distribution(db: Database, distribution_id: str) -> DistributionRow | None:
    """One Distribution by URL."""
    row = db.conn.execute(f"SELECT {_COLUMNS} FROM distributions WHERE id = ?", (distribution_id,)).fetchone()
    return DistributionRow(*row) if row else None


def distributions(db: Database, coop: str, *, currency: str | None = None, newest_first: bool = True,
                  limit: int | None = None, offset: int = 0) -> list[DistributionRow]:
    """A cooperative's Distributions in log order (newest first unless asked otherwise)."""
    sql = f"SELECT {_COLUMNS} FROM distributions WHERE coop = ?"
    args: list = [coop]
    if currency is not None:
        sql += " AND currency = ?"
        args.append(currency)
    sql += " ORDER BY entry DESC" if newest_first else " ORDER BY entry"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        args += [limit, offset]
    return [DistributionRow(*r) for r in db.conn.execute(sql, args)]


def count_distributions(db: Database, coop: str) -> int:
    """How many Distributions a cooperative published."""
    return db.conn.execute("SELECT count(*) FROM distributions WHERE coop = ?", (coop,)).fetchone()[0]


def every_distribution(db: Database) -> list[DistributionRow]:
    """Every Distribution of every cooperative, in log order."""
    return [DistributionRow(*r) for r in db.conn.execute(f"SELECT {_COLUMNS} FROM distributions ORDER BY entry")]
