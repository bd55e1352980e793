"""Who votes on a proposal, fixed at its start, from the governed pool's facts in the log.

- ``contributors`` (the default): everyone with a contribution to the pool published in
  the ``activeDays`` before the start (inclusive) and validated as of the start; one vote
  each.
- ``standing``: everyone with standing at the start, by the pool's own method then,
  weighted by their score.
- ``stewards``: the pool's stewards at the start, one vote each.
- A cooperative's proposal: the members it lists (the cooperative vouches for them), one
  vote each. (``members`` as a pool's electorate names nobody.)
"""

from __future__ import annotations

from decimal import Decimal

from fedcommons.standing.clock import EPOCH, MICROS_PER_DAY, ONE_MICROSECOND
from fedcommons.standing.governance import PoolState, pool_states, state_at
from fedcommons.standing.ledger import PoolLedger
from fedcommons.standing.methods import compute_standing
from fedcommons.standing.view import VALIDATED, resolve

from .records import Proposal
from .settings import CONTRIBUTORS, STANDING, STEWARDS, Settings, read_settings

ONE = Decimal(1)


def pool_state(ledger: PoolLedger, at: int) -> PoolState | None:
    """The pool's stewards, method and settings in force at ``at``."""
    return state_at(pool_states(ledger.records, ledger.pool), at)


def settings_at(ledger: PoolLedger, at: int) -> Settings:
    """The governance settings in force at ``at`` (the defaults before adoption)."""
    state = pool_state(ledger, at)
    return read_settings(state.governance if state is not None else None)


def electorate(ledger: PoolLedger, proposal: Proposal, settings: Settings) -> dict[str, Decimal]:
    """elector -> weight (> 0) for ``proposal``, as its start fixes it."""
    if proposal.members:
        return {member: ONE for member in proposal.members}
    start = proposal.start
    if settings.electorate == STEWARDS:
        state = pool_state(ledger, start)
        return {steward: ONE for steward in sorted(state.stewards)} if state else {}
    if settings.electorate == STANDING:
        state = pool_state(ledger, start)
        if state is None:
            return {}
        moment = EPOCH + start * ONE_MICROSECOND
        result = compute_standing(ledger, state.method, state.parameters, moment)
        return {row.contributor: Decimal(row.score) for row in result.rows if Decimal(row.score) > 0}
    if settings.electorate != CONTRIBUTORS:  # "members" on a pool: it has none
        return {}
    view = resolve(ledger, start)
    since = start - settings.active_days * MICROS_PER_DAY
    recent = (view.status == VALIDATED) & (view.published >= since) & (view.published <= start)
    return {view.names[i]: ONE for i in sorted(set(view.provider[recent].tolist()))}
