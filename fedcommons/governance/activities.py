"""Builders for governance activities. Pure: ids and times are passed in.

A proposal is a ``Question`` its pool (or cooperative) publishes to its followers, so a
Mastodon user who follows the pool sees a poll and can vote in it; a vote is the
``Create{Note}`` Mastodon sends for a poll vote; a delegation is an ``["Activity",
"Delegate"]`` that other fediverse servers may ignore.
"""

from __future__ import annotations

from html import escape

from fedcommons.activities import ACTOR_BASE, ACTOR_TERMS, PUBLIC, context_for

QUESTION_TERMS = ("governs", "proposer", "change", "members")
DELEGATE_TERMS = ("Delegate",)


def proposal(*, activity_id: str, question_id: str, governs: str, proposer: str, title: str,
             options: list[tuple[str, dict | None]], published: str, end_time: str,
             members: list[str] | None = None) -> dict:
    """Create{Question} by ``governs``: ``options`` are (name, change or None)."""
    followers = f"{governs}/followers"
    one_of = []
    for name, change in options:
        option = {"type": "Note", "name": name, "replies": {"type": "Collection", "totalItems": 0}}
        if change is not None:
            option["change"] = change
        one_of.append(option)
    question = {
        "id": question_id,
        "type": "Question",
        "attributedTo": governs,
        "governs": governs,
        "proposer": proposer,
        "name": title,
        "content": f"<p>{escape(title)}</p>",
        "oneOf": one_of,
        "endTime": end_time,
        "published": published,
        "to": [PUBLIC],
        "cc": [followers],
    }
    if members is not None:
        question["members"] = sorted(members)
    return {
        "@context": list(context_for(QUESTION_TERMS)),
        "id": activity_id,
        "type": "Create",
        "actor": governs,
        "published": published,
        "to": [PUBLIC],
        "cc": [followers],
        "object": question,
    }


def vote(*, activity_id: str, voter: str, question: str, author: str, option: str, published: str) -> dict:
    """A poll vote, shaped as Mastodon sends one, with a ``published`` time."""
    return {
        "@context": list(context_for()),
        "id": activity_id,
        "type": "Create",
        "actor": voter,
        "published": published,
        "to": [author],
        "object": {"id": f"{activity_id}#note", "type": "Note", "name": option, "attributedTo": voter,
                   "inReplyTo": question, "to": [author], "published": published},
    }


def delegation(*, activity_id: str, delegator: str, delegate: str, scope: str, published: str) -> dict:
    """``delegator`` gives their vote in ``scope`` (a pool, or a cooperative's pools) to ``delegate``."""
    return {
        "@context": list(context_for(DELEGATE_TERMS)),
        "id": activity_id,
        "type": ["Activity", "Delegate"],
        "actor": delegator,
        "object": delegate,
        "target": scope,
        "published": published,
        "to": [scope, delegate],
    }


def revocation(*, activity_id: str, delegator: str, delegation_id: str, scope: str, published: str) -> dict:
    """Undo of a delegation: the delegator takes their vote back."""
    return {
        "@context": list(context_for()),
        "id": activity_id,
        "type": "Undo",
        "actor": delegator,
        "object": delegation_id,
        "published": published,
        "to": [scope],
    }


def recording(*, activity_id: str, recorder: str, received: dict, target: str, published: str) -> dict:
    """Add{the activity as received} by the governed actor, at its arrival (see records.py)."""
    return {
        "@context": list(context_for()),
        "id": activity_id,
        "type": "Add",
        "actor": recorder,
        "object": received,
        "target": target,
        "published": published,
    }


def governed_update(*, activity_id: str, actor: str, obj: dict, published: str) -> dict:
    """Update of a pool or cooperative that may carry governance settings and cite a tally."""
    # The term only when used, so that the Updates of pools keep the context they had.
    extra = ("payoutConstraints",) if "payoutConstraints" in obj else ()
    return {
        "@context": list(context_for(ACTOR_TERMS + ("governance", "tally") + extra, ACTOR_BASE)),
        "id": activity_id,
        "type": "Update",
        "actor": actor,
        "published": published,
        "to": [PUBLIC],
        "cc": [f"{obj['id']}/followers"],
        "object": obj,
    }
