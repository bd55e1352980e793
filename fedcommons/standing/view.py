"""What counts in a pool at a cut-off time: contribution statuses and live endorsements.

Every rule here gives the same answer whatever order the activities arrived in. Only
activities with ``published`` at or before the cut-off are looked at.

Contributions
    One row per contribution id. If the log holds several different versions of one id
    (a replayed or forged Create), the one with the earliest ``published`` counts, ties
    broken by provider URL, kind and effort.

Validations
    An ``Accept``/``Reject`` counts only if its actor was a steward of the pool at the
    validation's ``published`` time and is not the contribution's provider. When several
    count, the one with the latest ``published`` decides; at equal times a Reject beats
    an Accept (doubt is resolved against minting). Which steward sent it, or the
    activity id, never matters, so no arrival order can change the outcome. An
    ``Undo`` of a decision is not read: a steward changes a decision by sending the
    opposite one later.

Endorsements
    A ``Like`` counts only if it is of a contribution that is validated at the cut-off,
    its actor is not the contribution's provider, and it was not undone by its own actor
    (by id, or by an id-less embedded Like published at or after it). One endorsement per
    (endorser, contribution): of several Likes the latest ``published`` gives the weight,
    ties to the larger weight.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .governance import PoolState, pool_states
from .ledger import ACCEPT, Columns, PoolLedger

PENDING = 0
VALIDATED = 1
REJECTED = 2
STATUS_NAMES = {PENDING: "pending", VALIDATED: "validated", REJECTED: "rejected"}


@dataclass(frozen=True)
class LedgerView:
    """A pool as of ``as_of``: arrays indexed by contribution row, ids interned in ``names``."""

    pool: str
    as_of: int
    names: list[str]
    states: list[PoolState]
    contribution: np.ndarray
    provider: np.ndarray
    kind: np.ndarray
    minutes: np.ndarray
    published: np.ndarray
    status: np.ndarray
    endorser: np.ndarray
    endorsed: np.ndarray  # row of the endorsed contribution
    weight: np.ndarray  # millionths


def resolve(ledger: PoolLedger, as_of: int) -> LedgerView:
    """Apply the counting rules to ``ledger`` at ``as_of`` (microseconds).

    Every rule only looks at what was published by ``as_of``, so once ``as_of`` is past
    everything the ledger holds the view is the same for any later time but for its
    ``as_of``: that view is kept on the ledger until it reads another row.
    """
    cached = ledger.latest_view
    if cached is not None and cached[0] == ledger.version and as_of >= cached[1]:
        return replace(cached[2], as_of=as_of)
    view = _resolve(ledger, as_of)
    latest = _latest(ledger)
    if as_of >= latest:
        ledger.latest_view = (ledger.version, latest, view)
    return view


def _latest(ledger: PoolLedger) -> int:
    """The latest ``published`` of anything the ledger holds (the earliest time when empty)."""
    cols = ledger.columns()
    times = [int(column.max()) for column in (cols.contribution_published, cols.validation_published,
                                              cols.like_published, cols.undo_published) if len(column)]
    times.extend(record.published for record in ledger.records)
    return max(times, default=-(1 << 62))


def _resolve(ledger: PoolLedger, as_of: int) -> LedgerView:
    cols = ledger.columns()
    states = [s for s in pool_states(ledger.records, ledger.pool) if s.since <= as_of]
    rows = _contributions(cols, as_of)
    contribution, provider, kind, minutes, published = (
        cols.contribution[rows], cols.provider[rows], cols.kind[rows],
        cols.minutes[rows], cols.contribution_published[rows],
    )
    row_of = np.full(len(cols.names), -1, dtype=np.int64)
    row_of[contribution] = np.arange(len(contribution))
    status = _statuses(cols, ledger, states, as_of, row_of, provider)
    endorser, endorsed, weight = _endorsements(cols, as_of, row_of, provider, status)
    return LedgerView(
        pool=ledger.pool, as_of=as_of, names=cols.names, states=states,
        contribution=contribution, provider=provider, kind=kind, minutes=minutes,
        published=published, status=status,
        endorser=endorser, endorsed=endorsed, weight=weight,
    )


def _contributions(cols: Columns, as_of: int) -> np.ndarray:
    """Indices of the one counting version of each contribution published by ``as_of``."""
    candidates = np.flatnonzero(cols.contribution_published <= as_of)
    ids = cols.contribution[candidates]
    order = np.lexsort((cols.contribution_published[candidates], ids))
    ids_sorted = ids[order]
    first = _firsts(ids_sorted)
    chosen = candidates[order[first]]
    duplicated = np.flatnonzero(first & ~_lasts(ids_sorted))  # starts of runs longer than one
    if len(duplicated):
        # Rare: break ties by text, since interned numbers follow arrival order.
        names = cols.names
        ends = np.r_[np.flatnonzero(first)[1:], len(order)]
        group_end = dict(zip(np.flatnonzero(first).tolist(), ends.tolist()))
        position_in_chosen = np.cumsum(first) - 1
        for start in duplicated.tolist():
            versions = candidates[order[start:group_end[start]]].tolist()
            best = min(versions, key=lambda i: (
                int(cols.contribution_published[i]), names[cols.provider[i]],
                names[cols.kind[i]], float(cols.minutes[i]),
            ))
            chosen[position_in_chosen[start]] = best
    return chosen


def _statuses(cols: Columns, ledger: PoolLedger, states: list[PoolState], as_of: int,
              row_of: np.ndarray, provider: np.ndarray) -> np.ndarray:
    """Status of each contribution row after applying the validation rules."""
    status = np.zeros(len(provider), dtype=np.int8)
    if not states or len(cols.validation_object) == 0:
        return status
    row = row_of[cols.validation_object]
    when = cols.validation_published
    actor = cols.validation_actor
    counts = (row >= 0) & (when <= as_of)
    counts[counts] &= actor[counts] != provider[row[counts]]
    # Steward at the time: find the pool state in force, then test membership per state.
    since = np.array([s.since for s in states], dtype=np.int64)
    state_index = np.searchsorted(since, when, side="right") - 1
    steward = np.zeros(len(row), dtype=bool)
    for k, state in enumerate(states):
        members = [i for i in (ledger.lookup(url) for url in state.stewards) if i is not None]
        in_state = state_index == k
        steward[in_state] = np.isin(actor[in_state], members)
    counts &= steward
    picked = np.flatnonzero(counts)
    if len(picked) == 0:
        return status
    verdict = cols.validation_verdict[picked]
    # Latest wins; at equal times Reject (2) sorts after Accept (1) and so wins.
    order = np.lexsort((verdict, when[picked], row[picked]))
    rows_sorted = row[picked][order]
    last = _lasts(rows_sorted)
    final_rows = rows_sorted[last]
    final_verdict = verdict[order][last]
    status[final_rows] = np.where(final_verdict == ACCEPT, VALIDATED, REJECTED)
    return status


def _endorsements(cols: Columns, as_of: int, row_of: np.ndarray, provider: np.ndarray,
                  status: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(endorser, contribution row, weight) of every endorsement that counts."""
    empty = np.zeros(0, dtype=np.int64)
    if len(cols.like_actor) == 0:
        return empty, empty, empty
    row = row_of[cols.like_object]
    actor = cols.like_actor
    when = cols.like_published
    live = (row >= 0) & (when <= as_of)
    live[live] &= (status[row[live]] == VALIDATED) & (actor[live] != provider[row[live]])
    live &= ~_undone(cols, as_of)
    picked = np.flatnonzero(live)
    if len(picked) == 0:
        return empty, empty, empty
    # One endorsement per (endorser, contribution): the latest, ties to the larger weight.
    base = len(cols.names)
    pair = actor[picked] * base + row[picked]
    order = np.lexsort((cols.like_weight[picked], when[picked], pair))
    pairs_sorted = pair[order]
    last = _lasts(pairs_sorted)
    kept = picked[order[last]]
    return actor[kept], row[kept], cols.like_weight[kept]


def _undone(cols: Columns, as_of: int) -> np.ndarray:
    """Which Likes an Undo by their own actor, published by ``as_of``, takes back."""
    undone = np.zeros(len(cols.like_actor), dtype=bool)
    valid = cols.undo_published <= as_of
    if not valid.any():
        return undone
    base = len(cols.names)
    by_id = valid & (cols.undo_target >= 0)
    if by_id.any():
        undo_keys = cols.undo_target[by_id] * base + cols.undo_actor[by_id]
        has_id = cols.like_id >= 0
        like_keys = cols.like_id * base + cols.like_actor
        undone |= has_id & np.isin(like_keys, undo_keys)
    by_object = valid & (cols.undo_object >= 0)
    if by_object.any():
        keys = cols.undo_object[by_object] * base + cols.undo_actor[by_object]
        times = cols.undo_published[by_object]
        order = np.lexsort((times, keys))
        keys_sorted = keys[order]
        last = _lasts(keys_sorted)
        unique_keys = keys_sorted[last]
        latest = times[order][last]
        like_keys = cols.like_object * base + cols.like_actor
        at = np.minimum(np.searchsorted(unique_keys, like_keys), len(unique_keys) - 1)
        undone |= (unique_keys[at] == like_keys) & (cols.like_published <= latest[at])
    return undone


def _firsts(sorted_keys: np.ndarray) -> np.ndarray:
    """Mask of the first element of each run of equal keys."""
    mask = np.ones(len(sorted_keys), dtype=bool)
    mask[1:] = sorted_keys[1:] != sorted_keys[:-1]
    return mask


def _lasts(sorted_keys: np.ndarray) -> np.ndarray:
    """Mask of the last element of each run of equal keys."""
    mask = np.ones(len(sorted_keys), dtype=bool)
    mask[:-1] = sorted_keys[1:] != sorted_keys[:-1]
    return mask
