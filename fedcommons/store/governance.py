"""SQL for governance: pools' settings and the proposals projected from the log."""

import json
from dataclasses import dataclass

from .database import Database


@dataclass(frozen=True)
class ProposalRow:
    """A proposal: where its Question is in the log, and how it was settled (None while open)."""

    id: str
    governs: str
    entry: int
    proposer: str | None
    title: str
    end_time: str
    outcome: str | None
    tally: str | None
    settled_at: str | None


_COLUMNS = "id, governs, entry, proposer, title, end_time, outcome, tally, settled_at"


def set_governance(db: Database, actor: str, settings: dict) -> None:
    """Record a pool's or cooperative's governance settings (adopted, or changed by a proposal)."""
    db.conn.execute("INSERT INTO governed (actor, settings) VALUES (?, ?) "
                    "ON CONFLICT (actor) DO UPDATE SET settings = excluded.settings",
                    (actor, json.dumps(settings, sort_keys=True)))


def governance(db: Database, actor: str) -> dict | None:
    """A pool's or cooperative's governance settings, or None when it has not adopted governance."""
    row = db.conn.execute("SELECT settings FROM governed WHERE actor = ?", (actor,)).fetchone()
    return json.loads(row[0]) if row else None


def set_license(db: Database, pool: str, license: str | None) -> None:
    """Record a pool's licence."""
    db.conn.execute("UPDATE pools SET license = ? WHERE id = ?", (license, pool))


def set_requires_approval(db: Database, pool: str, requires: bool) -> None:
    """Record whether a steward approves each follower of a pool."""
    db.conn.execute("UPDATE pools SET requires_approval = ? WHERE id = ?", (int(requires), pool))


def insert_proposal(db: Database, row: ProposalRow) -> None:
    """Record a proposal; one already held keeps its first record."""
    db.conn.execute(
        f"INSERT INTO proposals ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (row.id, row.governs, row.entry, row.proposer, row.title, row.end_time, row.outcome, row.tally,
         row.settled_at),
    )


def proposal(db: Database, proposal_id: str) -> ProposalRow | None:
    """A proposal by its Question's id."""
    row = db.conn.execute(f"SELECT {_COLUMNS} FROM proposals WHERE id = ?", (proposal_id,)).fetchone()
    return ProposalRow(*row) if row else None


def proposals(db: Database, governs: str) -> list[ProposalRow]:
    """A pool's or cooperative's proposals, the newest end first."""
    return [ProposalRow(*r) for r in db.conn.execute(
        f"SELECT {_COLUMNS} FROM proposals WHERE governs = ? ORDER BY end_time DESC, id", (governs,)
    )]


def unannounced(db: Database, limit: int = 200) -> list[ProposalRow]:
    """Proposals of this node's own pools and cooperatives whose final count has not been
    sent to their followers yet, the earliest end first."""
    return [ProposalRow(*r) for r in db.conn.execute(
        f"SELECT {', '.join('p.' + c for c in _COLUMNS.split(', '))} FROM proposals p "
        "JOIN actors a ON a.id = p.governs AND a.local = 1 "
        "LEFT JOIN poll_updates u ON u.proposal = p.id WHERE u.final IS NULL OR u.final = 0 "
        "ORDER BY p.end_time, p.id LIMIT ?", (limit,)
    )]


def poll_update(db: Database, proposal_id: str) -> tuple[int, list[int], float, bool] | None:
    """(voters, count per option, sent at in seconds, final) of the last count sent for a proposal."""
    row = db.conn.execute("SELECT voters, options, sent_at, final FROM poll_updates WHERE proposal = ?",
                          (proposal_id,)).fetchone()
    return (row[0], json.loads(row[1]), row[2], bool(row[3])) if row else None


def record_poll_update(db: Database, proposal_id: str, voters: int, options: list[int], at: float,
                       final: bool) -> None:
    """Remember the count just sent for a proposal."""
    db.conn.execute(
        "INSERT INTO poll_updates (proposal, voters, options, sent_at, final) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (proposal) DO UPDATE SET voters = excluded.voters, options = excluded.options, "
        "sent_at = excluded.sent_at, final = excluded.final",
        (proposal_id, voters, json.dumps(options), at, int(final)))


def due(db: Database, now: str, limit: int = 50) -> list[ProposalRow]:
    """Proposals whose end has passed (``end_time`` <= ``now``, both UTC ISO text) and
    that are not settled yet, the earliest first."""
    return [ProposalRow(*r) for r in db.conn.execute(
        f"SELECT {_COLUMNS} FROM proposals WHERE settled_at IS NULL AND end_time <= ? "
        "ORDER BY end_time, id LIMIT ?", (now, limit)
    )]


def settle(db: Database, proposal_id: str, outcome: str, tally: str, at: str) -> None:
    """Record a proposal's final outcome and the Tally that says it."""
    db.conn.execute("UPDATE proposals SET outcome = ?, tally = ?, settled_at = ? WHERE id = ?",
                    (outcome, tally, at, proposal_id))


@dataclass(frozen=True)
class DelegationRow:
    """A delegation the log holds; ``revoked_at`` once its delegator took it back."""

    id: str
    delegator: str
    delegate: str
    scope: str
    published: str
    revoked_at: str | None
    entry: int


_DELEGATION_COLUMNS = "id, delegator, delegate, scope, published, revoked_at, entry"


def insert_delegation(db: Database, row: DelegationRow) -> None:
    """Record a delegation (one already held keeps its first record)."""
    db.conn.execute(
        f"INSERT INTO delegations ({_DELEGATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (row.id, row.delegator, row.delegate, row.scope, row.published, row.revoked_at, row.entry),
    )


def revoke_delegation(db: Database, delegation_id: str, delegator: str, at: str) -> bool:
    """Mark a delegation taken back by its own delegator; whether one was."""
    cursor = db.conn.execute(
        "UPDATE delegations SET revoked_at = ? WHERE id = ? AND delegator = ? AND revoked_at IS NULL",
        (at, delegation_id, delegator),
    )
    return cursor.rowcount > 0


def delegation(db: Database, delegation_id: str) -> DelegationRow | None:
    """A delegation by id."""
    row = db.conn.execute(f"SELECT {_DELEGATION_COLUMNS} FROM delegations WHERE id = ?",
                          (delegation_id,)).fetchone()
    return DelegationRow(*row) if row else None


def current_delegations(db: Database, scope: str) -> list[DelegationRow]:
    """Each delegator's latest delegation in ``scope`` that was not taken back, by delegator."""
    return [DelegationRow(*r) for r in db.conn.execute(
        f"SELECT {_DELEGATION_COLUMNS} FROM delegations d WHERE scope = ? AND revoked_at IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM delegations n WHERE n.scope = d.scope AND n.delegator = d.delegator "
        "AND (n.published > d.published OR (n.published = d.published AND n.id > d.id))) "
        "ORDER BY delegator", (scope,)
    )]
