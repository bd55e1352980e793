"""Votes and delegations that arrive in an inbox: poll votes from any fediverse server
(Mastodon's ``Create{Note}`` with ``name`` and ``inReplyTo``), and ``Delegate`` and its
``Undo`` from fedcommons nodes.

Each one concerning a proposal or a scope of this node is recorded by the governed pool
or cooperative, signed by it, as ``Add{the activity as received}`` dated at its arrival:
the tally counts it at that time (see fedcommons.governance.records). Fields are read with
the typed readers of :mod:`fedcommons.fields`, so a malformed one fails its item alone
and records nothing.
"""

from .. import fields, urls
from ..governance.activities import recording
from ..node import Node, now
from ..services.actors.signing import sign_as
from ..services.log import log_writer
from ..store import actors as actor_store
from ..store import governance as governance_store
from ..store.inbox import InboxItem

Result = tuple[str, str | None]

# A vote or a delegation is a few hundred bytes; what is recorded stays in the log for
# ever, so one that arrives padded to the inbox's limit is not recorded.
MAX_RECORDED = 8192


def too_large(item: InboxItem) -> Result | None:
    """Why an activity is too large to record, or None."""
    if len(item.body) > MAX_RECORDED:
        return "ignored", f"a vote or delegation of {len(item.body)} bytes is not recorded (at most {MAX_RECORDED})"
    return None


def vote_of(node: Node, note: dict) -> str | None:
    """The local proposal a Note answers, or None (then it is no vote of ours)."""
    question = fields.ref(note, "inReplyTo")
    if question is None or governance_store.proposal(node.db, question) is None:
        return None
    return question


def check_vote(node: Node, item: InboxItem, activity: dict, note: dict, question: str) -> Result | None:
    """Why a vote on one of our proposals is ignored, or None when it is to be recorded."""
    option = fields.text(note, "name")
    if too_large(item):
        return too_large(item)
    if fields.ref(activity, "actor") != item.actor:
        return "ignored", "a vote must name its actor by URL"
    if (fields.ref(note, "attributedTo") or item.actor) != item.actor:
        return "ignored", "the vote is not by the activity's actor"
    if not option or not option.strip():
        return "ignored", "a vote names an option (the Note's name)"
    row = governance_store.proposal(node.db, question)
    if row.end_time <= now():
        return "ignored", f"the proposal ended at {row.end_time}: a vote now counts for nothing"
    return None


def delegation_scope(node: Node, item: InboxItem, activity: dict) -> tuple[str | None, str | None]:
    """(the local scope a Delegate is for, or None, and why it is ignored)."""
    if too_large(item):
        return None, too_large(item)[1]
    if fields.ref(activity, "actor") != item.actor:
        return None, "a delegation must name its actor by URL"
    scope = fields.ref(activity, "target")
    delegate = fields.ref(activity, "object")
    if fields.url(activity, "id") is None or fields.text(activity, "published") is None:
        return None, "a delegation needs an id and a published time"
    if delegate is None or delegate == item.actor:
        return None, "a delegation names someone else (its object)"
    target = actor_store.actor(node.db, scope) if scope else None
    if target is None or not target.local or target.kind not in ("pool", "cooperative"):
        return None, f"{scope} is not a pool or cooperative of this node"
    return target.id, None


def revocation_scope(node: Node, item: InboxItem, activity: dict) -> str | None:
    """The local scope of the delegation an Undo takes back, when its delegator sends it."""
    if too_large(item):
        return None
    target = fields.ref(activity, "object")
    held = governance_store.delegation(node.db, target) if target else None
    if held is None or held.delegator != item.actor or not urls.is_local(node.url, held.scope):
        return None
    return held.scope


def record(node: Node, recorder: str, activity: dict, target: str) -> Result:
    """The governed actor's signed Add of ``activity`` as received, dated now (the writer's
    effect: runs in its transaction)."""
    actor = actor_store.actor(node.db, recorder)
    entry = recording(activity_id=urls.new_activity(node.url), recorder=recorder, received=activity,
                      target=target, published=now())
    log_writer.append(node, [sign_as(node, actor, entry)])
    return "processed", None
