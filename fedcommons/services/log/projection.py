"""Keep the query tables in step with the log, inside the append transaction.

The log is the source of truth; these tables only make queries cheap. Each rule here reads
one activity as it is appended. Checks that decide whether an activity may be appended at
all (who may validate what) happen before, in the services that build or accept it.
"""

from decimal import ROUND_HALF_EVEN, Decimal

from ...effort import quantity_minutes
from ...errors import BadInput
from ...payout.defaults import read_defaults
from ...fields import first_type, object_id, types
from ...node import Node
from ...store import actors as actor_store
from ...store import contributions as contribution_store
from ...store import coops as coop_store
from ..governance import projection as governance

DEFAULT_METHOD = {"method": "effort/1", "parameters": {}}


def apply_all(node: Node, entries: list[tuple[int, dict]]) -> None:
    """Project appended activities in log order. The bulk of a busy log (new contributions,
    and the Accepts that validate them) is written with one statement per run of such
    entries instead of one per entry; the statements run in log order, so each entry still
    sees the ones before it (a decision the contribution just inserted, a second decision
    on the same contribution the first one)."""
    contributions: list[contribution_store.ContributionRow] = []
    decisions: list[contribution_store.Decision] = []
    for idx, activity in entries:
        row = _new_contribution(idx, activity)
        if row is not None:
            if decisions:
                contribution_store.decide_pending(node.db, decisions)
                decisions = []
            contributions.append(row)
            continue
        decision = _decision_of(idx, activity)
        if contributions:
            contribution_store.insert_contributions(node.db, contributions)
            contributions = []
        if decision is not None:
            decisions.append(decision)
            continue
        if decisions:
            contribution_store.decide_pending(node.db, decisions)
            decisions = []
        apply(node, idx, activity)
    if contributions:
        contribution_store.insert_contributions(node.db, contributions)
    if decisions:
        contribution_store.decide_pending(node.db, decisions)


def apply(node: Node, idx: int, activity: dict) -> None:
    """Project one appended activity."""
    kind = (types(activity) or [""])[0]
    handler = _HANDLERS.get(kind)
    if handler:
        handler(node, idx, activity)


def _new_contribution(idx: int, activity: dict) -> contribution_store.ContributionRow | None:
    obj = activity.get("object")
    if not isinstance(obj, dict) or first_type(activity) != "Create" or "Contribution" not in types(obj):
        return None
    claim = obj.get("claim")
    return contribution_store.ContributionRow(
        id=obj["id"],
        entry=idx,
        pool=obj.get("receiver", ""),
        contributor=obj.get("provider") or obj.get("attributedTo", ""),
        minutes=_minutes(obj.get("effortQuantity")),
        kind=str(obj.get("kind", "")),
        summary=str(obj.get("name", "")),
        published=str(obj.get("published") or activity.get("published", "")),
        claim=claim if isinstance(claim, str) else None,
    )


def _minutes(effort) -> int:
    """Whole minutes of an effortQuantity, rounded; 0 for one the standing ledger would not
    count (absent, unreadable or over a week), so the tables and the standings agree."""
    minutes = quantity_minutes(effort)
    if type(minutes) is int or minutes is None:
        return minutes or 0
    return int(minutes.to_integral_value(rounding=ROUND_HALF_EVEN))


def _create(node: Node, idx: int, activity: dict) -> None:
    obj = activity.get("object")
    if not isinstance(obj, dict):
        return
    obj_types = types(obj)
    if "Contribution" in obj_types:
        row = _new_contribution(idx, activity)
        contribution_store.insert_contributions(node.db, [row])
    elif "CommonPool" in obj_types:
        _pool(node, obj)
    elif "Distribution" in obj_types:
        _distribution(node, idx, activity, obj)
    elif "Question" in obj_types:
        governance.question(node, idx, activity, obj)


def _pool(node: Node, obj: dict) -> None:
    if actor_store.pool(node.db, obj["id"]) or not actor_store.actor(node.db, obj["id"]):
        return
    method = obj.get("standingMethod") or DEFAULT_METHOD
    actor_store.insert_pool(
        node.db,
        actor_store.PoolRow(
            id=obj["id"],
            license=obj.get("license"),
            method=method.get("method", "effort/1"),
            parameters=method.get("parameters") or {},
            requires_approval=bool(obj.get("manuallyApprovesFollowers", False)),
        ),
        list(obj.get("stewards") or []),
    )


def _update(node: Node, idx: int, activity: dict) -> None:
    obj = activity.get("object")
    if isinstance(obj, dict) and "Cooperative" in types(obj):
        _sustains(node, activity, obj)
        _payout_defaults(node, activity, obj)
        governance.coop_update(node, activity, obj)
        return
    if not isinstance(obj, dict) or "CommonPool" not in types(obj):
        return
    pool_id = obj.get("id")
    if not actor_store.pool(node.db, pool_id):
        return
    if "standingMethod" in obj:
        method = obj["standingMethod"] or DEFAULT_METHOD
        actor_store.update_pool_method(
            node.db, pool_id, method.get("method", "effort/1"), method.get("parameters") or {}
        )
    if "stewards" in obj:
        actor_store.set_stewards(node.db, pool_id, list(obj["stewards"]))
    governance.pool_update(node, pool_id, obj)


def _sustains(node: Node, activity: dict, obj: dict) -> None:
    """A cooperative's Update of itself replaces the pools it sustains (only its own counts)."""
    coop = obj.get("id")
    if activity.get("actor") != coop or not isinstance(obj.get("sustains"), list):
        return
    pairs = []
    for entry in obj["sustains"]:
        if isinstance(entry, dict) and isinstance(entry.get("pool"), str):
            weight = entry.get("weight", "1")
            pairs.append((entry["pool"], weight if isinstance(weight, str) else str(Decimal(str(weight)))))
    coop_store.set_sustains(node.db, coop, pairs)


def _payout_defaults(node: Node, activity: dict, obj: dict) -> None:
    """A cooperative's Update of itself that states ``payoutConstraints`` replaces its defaults;
    one that does not leaves them. Malformed ones (only another node could log them) are skipped."""
    coop = obj.get("id")
    if activity.get("actor") != coop or "payoutConstraints" not in obj:
        return
    try:
        defaults = read_defaults(obj["payoutConstraints"])
    except BadInput:
        return
    coop_store.set_payout_defaults(node.db, coop, defaults)


def _distribution(node: Node, idx: int, activity: dict, obj: dict) -> None:
    """A Distribution its cooperative published itself (the one whose key signed it)."""
    coop = obj.get("cooperative")
    if not isinstance(obj.get("id"), str) or activity.get("actor") != coop or obj.get("attributedTo") != coop:
        return
    payouts = obj.get("payouts")
    coop_store.insert_distribution(node.db, coop_store.DistributionRow(
        id=obj["id"], coop=coop, entry=idx, amount=str(obj.get("amount", "")),
        currency=str(obj.get("currency", "")), policy=str(obj.get("policy", "")),
        period=obj.get("period") if isinstance(obj.get("period"), str) else None,
        recipients=len(payouts) if isinstance(payouts, list) else 0,
        published=str(obj.get("published") or activity.get("published", "")),
    ))


def _decision_of(idx: int, activity: dict) -> contribution_store.Decision | None:
    """The steward's decision an Accept or Reject records (it takes effect only on a pending
    contribution), or None for any other activity."""
    kind = (types(activity) or [""])[0]
    if kind not in ("Accept", "Reject"):
        return None
    target = object_id(activity)
    if not target:
        return None
    status = "validated" if kind == "Accept" else "rejected"
    reason = activity.get("content") if status == "rejected" else None
    return contribution_store.Decision(target, status, activity.get("actor"), reason, idx)


def _decision(node: Node, idx: int, activity: dict) -> None:
    decision = _decision_of(idx, activity)
    if decision is not None:
        contribution_store.decide_pending(node.db, [decision])


def _like(node: Node, idx: int, activity: dict) -> None:
    target = object_id(activity)
    actor = activity.get("actor")
    if not target or not isinstance(actor, str):
        return
    if contribution_store.contribution(node.db, target) and not contribution_store.has_endorsed(
        node.db, target, actor
    ):
        contribution_store.insert_endorsement(node.db, target, actor, activity["id"], idx)


def _undo(node: Node, idx: int, activity: dict) -> None:
    target = object_id(activity)
    if target:
        contribution_store.remove_endorsement(node.db, target)
        governance.revocation(node, activity)


def _activity(node: Node, idx: int, activity: dict) -> None:
    """Activities typed ["Activity", ...]: of ours, only a Delegate."""
    if "Delegate" in types(activity):
        governance.delegation(node, idx, activity)


def _add(node: Node, idx: int, activity: dict) -> None:
    governance.recorded(node, idx, activity)


def _delete(node: Node, idx: int, activity: dict) -> None:
    """An author withdrawing a contribution nobody has decided on yet."""
    target = object_id(activity)
    row = contribution_store.contribution(node.db, target) if target else None
    if row is not None and row.status == "pending" and row.contributor == activity.get("actor"):
        contribution_store.decide(node.db, target, "rejected", activity.get("actor"),
                                  "withdrawn by its author", idx)


_HANDLERS = {
    "Undo": _undo,
    "Activity": _activity,
    "Add": _add,
    "Delete": _delete,
    "Create": _create,
    "Update": _update,
    "Accept": _decision,
    "Reject": _decision,
    "Like": _like,
}
