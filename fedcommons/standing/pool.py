"""What a pool's own log entries say: its method, stewards, and contributions with status.

Small accessors for the web pages and the CLI; they apply the same rules as the
standing computation (see :mod:`fedcommons.standing.governance` and
:mod:`fedcommons.standing.view`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fedcommons.errors import NotFound

from .clock import format_micros, micros_of
from .governance import pool_states, state_at
from .ledger import PoolLedger
from .view import STATUS_NAMES, resolve


@dataclass(frozen=True)
class ContributionStatus:
    """One contribution as of a time: status is 'pending', 'validated' or 'rejected'."""

    id: str
    contributor: str
    kind: str
    minutes: float
    published: str
    status: str


def pool_method(ledger: PoolLedger, as_of: datetime) -> tuple[str, dict]:
    """The pool's (method, full parameters) in force at ``as_of``; NotFound before its Create."""
    state = state_at(pool_states(ledger.records, ledger.pool), micros_of(as_of))
    if state is None:
        raise NotFound(f"no Create of pool {ledger.pool} published at or before {as_of.isoformat()}")
    return state.method, state.parameters


def stewards(ledger: PoolLedger, at: datetime) -> tuple[str, ...]:
    """The pool's stewards at ``at``, sorted; empty before the pool was created."""
    state = state_at(pool_states(ledger.records, ledger.pool), micros_of(at))
    return tuple(sorted(state.stewards)) if state else ()


def contributions(ledger: PoolLedger, as_of: datetime,
                  contributor: str | None = None) -> list[ContributionStatus]:
    """Contributions published by ``as_of`` (only ``contributor``'s when given), with status.

    Sorted by contributor, then ``published``, then id.
    """
    view = resolve(ledger, micros_of(as_of))
    names = view.names
    rows = range(len(view.contribution))
    if contributor is not None:
        wanted = ledger.lookup(contributor)
        if wanted is None:
            return []
        rows = (view.provider == wanted).nonzero()[0].tolist()
    found = [
        ContributionStatus(
            id=names[view.contribution[r]],
            contributor=names[view.provider[r]],
            kind=names[view.kind[r]],
            minutes=float(view.minutes[r]),
            published=format_micros(view.published[r]),
            status=STATUS_NAMES[int(view.status[r])],
        )
        for r in rows
    ]
    found.sort(key=lambda c: (c.contributor, c.published, c.id))
    return found
