"""Keep the governance tables in step with the log (called from services.log.projection).

What counts is decided by the tally from the log itself; these tables only list
proposals and delegations cheaply, and remember which proposals were settled.
"""

from ...fields import types
from ...governance.records import read_proposal
from ...node import Node
from ...standing.clock import format_micros
from ...store import governance as governance_store

SECOND = 1_000_000


def question(node: Node, idx: int, activity: dict, obj: dict) -> None:
    """A proposal its pool or cooperative published."""
    proposal = read_proposal(activity, obj)
    if proposal is None:
        return
    title = obj.get("name") if isinstance(obj.get("name"), str) else proposal.id
    # Whole seconds, rounded up, so the text compares with `now()` stamps as times do.
    end = format_micros(-(-proposal.end // SECOND) * SECOND)
    governance_store.insert_proposal(node.db, governance_store.ProposalRow(
        id=proposal.id, governs=proposal.governs, entry=idx, proposer=proposal.proposer, title=title,
        end_time=end, outcome=None, tally=None, settled_at=None))


def delegation(node: Node, idx: int, activity: dict, published: str | None = None) -> None:
    """A Delegate, direct or recorded (then dated by its recording)."""
    actor, delegate, scope = activity.get("actor"), activity.get("object"), activity.get("target")
    when = published or activity.get("published")
    ident = activity.get("id")
    if not all(isinstance(v, str) and v for v in (actor, delegate, scope, when, ident)) or actor == delegate:
        return
    governance_store.insert_delegation(node.db, governance_store.DelegationRow(
        id=ident, delegator=actor, delegate=delegate, scope=scope, published=when, revoked_at=None, entry=idx))


def revocation(node: Node, activity: dict, published: str | None = None) -> None:
    """An Undo of a delegation by its delegator."""
    target, actor = activity.get("object"), activity.get("actor")
    when = published or activity.get("published")
    if isinstance(target, str) and isinstance(actor, str) and isinstance(when, str):
        governance_store.revoke_delegation(node.db, target, actor, when)


def recorded(node: Node, idx: int, activity: dict) -> None:
    """An Add by which a governed actor recorded a delegation or its Undo from elsewhere."""
    inner = activity.get("object")
    published = activity.get("published")
    if not isinstance(inner, dict) or not isinstance(published, str):
        return
    kinds = types(inner)
    if "Delegate" in kinds:
        delegation(node, idx, inner, published)
    elif "Undo" in kinds:
        revocation(node, inner, published)


def coop_update(node: Node, activity: dict, obj: dict) -> None:
    """A cooperative's Update of itself that adopts governance or changes its settings."""
    if activity.get("actor") == obj.get("id") and isinstance(obj.get("governance"), dict):
        governance_store.set_governance(node.db, obj["id"], obj["governance"])


def pool_update(node: Node, pool_id: str, obj: dict) -> None:
    """The governed settings a pool Update may carry besides stewards and method."""
    if isinstance(obj.get("governance"), dict):
        governance_store.set_governance(node.db, pool_id, obj["governance"])
    if "license" in obj and (obj["license"] is None or isinstance(obj["license"], str)):
        governance_store.set_license(node.db, pool_id, obj["license"])
    if isinstance(obj.get("manuallyApprovesFollowers"), bool):
        governance_store.set_requires_approval(node.db, pool_id, obj["manuallyApprovesFollowers"])
