"""A pool's stewards and standing method over time, from its Create and steward Updates.

Rules (all order-independent: records are sorted by ``published``, ties by their
canonical JSON):

- The earliest ``Create`` of the pool object starts its history; later Creates of the
  same id count for nothing. Its ``stewards`` (a non-empty list of URLs) are the first
  stewards; without them the creator is the only steward.
- An ``Update`` counts only if its actor is a steward at its ``published`` time and it is
  not earlier than the Create. A field it carries replaces the current value; an empty
  or malformed ``stewards`` list, or a ``standingMethod`` that does not validate, leaves
  that field as it was (a pool can then never lock itself out or become uncomputable).
  ``"standingMethod": null`` restores the default.
- A pool adopts governance with a ``governance`` object (its settings, read by
  :func:`fedcommons.governance.settings.read_settings`; an unreadable one is ignored).
  From then on a steward's Update counts for nothing: only an Update whose actor is the
  pool itself and which cites a ``tally`` (an applied proposal) changes stewards, method
  or settings. ``"governance": null`` is ignored: governance, once adopted, is left only
  by a proposal.
- A change takes effect at its ``published`` instant: a validation at that same instant
  already sees the new stewards.
- Without any ``standingMethod`` the pool uses ``effort/1`` with default parameters.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from fedcommons.errors import BadInput
from fedcommons.governance.settings import read_settings

from .ledger import MISSING, PoolRecord
from .parameters import EFFORT, read_parameters

DEFAULT_METHOD = EFFORT


@dataclass(frozen=True)
class PoolState:
    """What held from ``since`` (microseconds) until the next state."""

    since: int
    stewards: frozenset[str]
    method: str
    parameters: dict
    governance: dict | None = None  # the settings in full once governance is adopted


def pool_states(records: list[PoolRecord], pool: str | None = None) -> list[PoolState]:
    """The pool's successive states, oldest first; empty when the pool was never created.

    ``pool`` is the pool's URL: without it, no applied proposal (an Update by the pool
    itself) is recognised."""
    creates = sorted((r for r in records if r.kind == "Create"), key=_order)
    if not creates:
        return []
    create = creates[0]
    stewards = _stewards(create.stewards) or frozenset([create.actor])
    method = _method(create.standing_method) or _default_method()
    states = [PoolState(create.published, stewards, *method, _settings(create.governance))]
    updates = sorted(
        (r for r in records if r.kind == "Update" and r.published >= create.published), key=_order
    )
    for update in updates:
        current = states[-1]
        if current.governance is None:
            if update.actor not in current.stewards:
                continue
        elif not (pool is not None and update.actor == pool and type(update.tally) is str and update.tally):
            continue
        new_stewards = _stewards(update.stewards) or current.stewards
        new_method = _method(update.standing_method) or (current.method, current.parameters)
        new_settings = _settings(update.governance) or current.governance
        if (new_stewards, new_method, new_settings) != (
                current.stewards, (current.method, current.parameters), current.governance):
            states.append(PoolState(update.published, new_stewards, *new_method, new_settings))
    return states


def state_at(states: list[PoolState], when: int) -> PoolState | None:
    """The state in force at ``when`` (microseconds), or None before the pool existed."""
    position = bisect.bisect_right([s.since for s in states], when) - 1
    return states[position] if position >= 0 else None


def _order(record: PoolRecord) -> tuple[int, str]:
    return record.published, record.order_key


def _stewards(value: object) -> frozenset[str] | None:
    """A steward set from a non-empty list of URL strings, else None (the field is ignored)."""
    if type(value) is not list or not value:
        return None
    if not all(type(url) is str and url for url in value):
        return None
    return frozenset(value)


def _settings(value: object) -> dict | None:
    """Governance settings in full from a ``governance`` value; None when absent or unusable."""
    if type(value) is not dict:
        return None
    try:
        return read_settings(value).as_dict()
    except BadInput:
        return None


def _default_method() -> tuple[str, dict]:
    return DEFAULT_METHOD, read_parameters(DEFAULT_METHOD, None).normalized


def _method(value: object) -> tuple[str, dict] | None:
    """(method, normalised parameters) from a ``standingMethod`` value; None when unusable."""
    if value is MISSING:
        return None
    if value is None:
        return _default_method()
    if type(value) is not dict:
        return None
    try:
        params = read_parameters(value.get("method"), value.get("parameters"))
    except BadInput:
        return None
    return params.method, params.normalized
