"""A proposal as a poll: its Question with the live count, and the Updates that carry a new
count to the followers of the pool or cooperative.

The count (``votersCount`` and each option's ``replies.totalItems``) is how Mastodon reads
a poll's results. A Mastodon server sees it when it fetches the Question, and otherwise
only when it receives an ``Update`` of the Question; :func:`plan` decides when one is due
(:mod:`fedcommons.governance.announcing`) and :func:`announce` queues it.

These Updates are **delivered, not logged**. A count is a view of the log, not a decision:
the votes it counts are already entries, anyone recomputes it from them (the Tally), and
it changes with every vote. Logging it would add an entry per proposal per minute that
says nothing the log does not, and make every replica carry it. So each Update is signed
by the governed actor like any activity, queued in the durable delivery queue, and served
at its id while the queue keeps it; the last count sent is remembered (``poll_updates``)
so that a restart neither repeats nor loses the final one.
"""

from __future__ import annotations

from dataclasses import dataclass
import orjson

from ... import urls
from ...activities import PUBLIC
from ...errors import NotFound
from ...governance.announcing import FINAL, Count, Sent, next_announcement
from ...node import Node, now
from ...standing.clock import parse_micros
from ...store import actors as actor_store
from ...store import governance as governance_store
from ...store import log as log_store
from ...store import outgoing as outgoing_store
from ...store.db import transaction
from ..actors.signing import sign_as
from . import tallies

# Mastodon's own term, defined inline as Mastodon defines it.
MASTODON_TERMS = {"toot": "http://joinmastodon.org/ns#", "votersCount": "toot:votersCount"}


def question_document(node: Node, proposal_id: str) -> dict:
    """A local proposal's Question as its log entry holds it, with the Create's context."""
    row = governance_store.proposal(node.db, proposal_id)
    entry = log_store.entry(node.db, row.entry) if row else None
    if entry is None or entry.body is None:
        raise NotFound(f"no proposal {proposal_id} on this node (`fedcommons proposals POOL` lists them)")
    activity = orjson.loads(entry.body)
    question = dict(activity["object"])
    question["@context"] = activity["@context"]
    return question


def with_counts(question: dict, tally: dict) -> dict:
    """The Question with the live count, as Mastodon reads a poll's results: ``votersCount``
    and each option's ``replies.totalItems`` (electors counted, whatever their weight; the
    Tally has the weights); ``closed`` once it has ended."""
    counts = {option["name"]: 0 for option in question["oneOf"]}
    for vote in tally["votes"]:
        counts[vote["option"]] = counts.get(vote["option"], 0) + 1
    question = dict(question)
    question["oneOf"] = [{**option, "replies": {"type": "Collection", "totalItems": counts[option["name"]]}}
                         for option in question["oneOf"]]
    question["votersCount"] = len(tally["votes"])
    question["@context"] = [*question["@context"], MASTODON_TERMS]
    if tally["outcome"] != "open":
        question["closed"] = question["endTime"]
    return question


def end_of(question: dict) -> float:
    """When a proposal ends, in seconds."""
    return parse_micros(question["endTime"]) / 1_000_000


def count_of(question: dict) -> Count:
    """The count a Question made by :func:`with_counts` shows."""
    return Count(question["votersCount"], tuple(o["replies"]["totalItems"] for o in question["oneOf"]))


@dataclass(frozen=True)
class Announcement:
    """An Update of a proposal's Question that is due: the Question with its count, and whether it is the final one."""

    proposal: str
    governs: str
    question: dict
    count: Count
    final: bool


def live_question(node: Node, proposal_id: str, at: float) -> dict:
    """The Question with its count as of ``at`` (seconds; capped at the proposal's end)."""
    # Whole seconds, as the log's times are.
    tally = tallies.proposal_tally(node, proposal_id, as_of=int(at) * 1_000_000).document
    return with_counts(question_document(node, proposal_id), tally)


def plan(node: Node, proposal_id: str, *, at: float, interval: float, question: dict | None = None) -> Announcement | None:
    """The Update due for a proposal at ``at`` (seconds), or None. ``question``: its live
    Question when the caller already has it (counted from the same log)."""
    row = governance_store.proposal(node.db, proposal_id)
    if row is None:
        raise NotFound(f"no proposal {proposal_id} on this node")
    question = question or live_question(node, proposal_id, at)
    end = end_of(question)
    held = governance_store.poll_update(node.db, proposal_id)
    last = None if held is None else Sent(Count(held[0], tuple(held[1])), held[2], held[3])
    count = count_of(question)
    kind = next_announcement(last, count, now=at, end=end, interval=interval)
    if kind is None:
        return None
    return Announcement(proposal_id, row.governs, question, count, kind == FINAL)


def announce(node: Node, announcement: Announcement, *, at: float) -> str:
    """Queue the governed actor's signed Update of the Question for its followers and
    remember the count sent, in one transaction; returns the Update's id."""
    actor = actor_store.actor(node.db, announcement.governs)
    if actor is None or not actor.local:
        raise NotFound(f"{announcement.governs} is not an actor of this node")
    question = dict(announcement.question)
    context = question.pop("@context")
    followers = f"{actor.id}/followers"
    activity = {"@context": context, "id": urls.new_activity(node.url), "type": "Update", "actor": actor.id,
                "published": now(), "to": [PUBLIC], "cc": [followers], "object": question}
    pending = sign_as(node, actor, activity)
    count = announcement.count
    with transaction(node.db):
        outgoing_store.enqueue(node.db, activity["id"], actor.id, pending.body, [followers], now())
        governance_store.record_poll_update(node.db, announcement.proposal, count.voters, list(count.options),
                                            at, announcement.final)
    return activity["id"]
