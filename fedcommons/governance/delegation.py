"""Liquid delegation: who passes their vote to whom at an instant, and whose vote reaches whom.

Rules (order-independent):

- A delegation is in force at ``at`` if it is the delegator's latest (``time``, then id)
  in its scope at or before ``at`` and no ``Undo`` of it by the delegator is at or before
  ``at``. A newer delegation in a scope replaces the older one; taking back the newest
  leaves none (an older one does not come back).
- For a proposal of a pool, a delegation in the pool beats one in a cooperative; a
  cooperative's counts only if it sustained the pool at the proposal's start.
- A chain is followed from each elector until someone who voted directly: their choice
  is the elector's, and the path is recorded. A cycle, or a chain that stops at someone
  who did not vote or has no vote, counts as no vote.
"""

from __future__ import annotations

from collections.abc import Iterable

from .records import Delegation, Revocation


def in_force(delegations: Iterable[Delegation], revocations: Iterable[Revocation], scopes: list[str],
             at: int, recorders: frozenset[str] | None = None) -> dict[str, str]:
    """delegator -> delegate at ``at``; ``scopes`` in order of precedence (the pool first).

    A delegation recorded from another server counts only when its scope's actor recorded
    it, and an Undo recorded so only when one of ``recorders`` did (they vouch for the
    arrival time).
    """
    def trusted(item) -> bool:
        return item.recorder is None or (recorders is not None and item.recorder in recorders)

    undone: dict[tuple[str, str], int] = {}  # (actor, delegation id) -> latest Undo's time
    for r in revocations:
        if r.time <= at and trusted(r):
            key = (r.actor, r.target)
            undone[key] = max(undone.get(key, r.time), r.time)
    latest: dict[tuple[str, str], Delegation] = {}
    for d in delegations:
        if d.time > at or d.scope not in scopes or d.recorder not in (None, d.scope):
            continue
        key = (d.delegator, d.scope)
        held = latest.get(key)
        if held is None or (d.time, d.id) > (held.time, held.id):
            latest[key] = d
    chosen: dict[str, str] = {}
    for delegator in {delegator for delegator, _ in latest}:
        for scope in scopes:
            d = latest.get((delegator, scope))
            if d is None or undone.get((delegator, d.id), -1) >= d.time:
                continue
            chosen[delegator] = d.delegate
            break
    return chosen


def follow(elector: str, direct: dict[str, str], eligible, delegates: dict[str, str]) -> tuple[str | None, list[str], str]:
    """(option or None, path, why) for ``elector``: their own vote, or their delegate chain's.

    ``direct`` maps each direct voter to their option; only a voter in ``eligible`` (the
    electorate) ends a chain.
    """
    path = [elector]
    seen = {elector}
    current = elector
    while True:
        if current in direct and current in eligible:
            return direct[current], path, "voted" if current == elector else "delegated"
        nxt = delegates.get(current)
        if nxt is None:
            return None, path, "no vote" if current == elector else "the chain ends at someone who did not vote"
        if nxt in seen:
            return None, path + [nxt], "the chain of delegations is a cycle"
        path.append(nxt)
        seen.add(nxt)
        current = nxt
