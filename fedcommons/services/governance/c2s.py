"""Votes and delegations posted through the ActivityPub API (a person's outbox).

A client votes as Mastodon does, with a ``Note`` (bare, or in a ``Create``) whose ``name``
is the option and whose ``inReplyTo`` is the proposal; it delegates with an
``["Activity", "Delegate"]`` (``object``: the delegate, ``target``: the pool or
cooperative) and takes it back with an ``Undo`` of it. Each is checked and signed as the
command line does it (:mod:`.proposals`), by the ``writer``.
"""

from ...errors import BadInput
from ...fields import types
from ...store import governance as governance_store
from ...store.actors import ActorRow
from ..contributions.c2s_input import reference
from . import proposals


def _vote_of(body: dict) -> tuple[str, str] | None:
    """(proposal, option) when ``body`` is a vote, else None."""
    note = body.get("object") if types(body)[:1] == ["Create"] else body
    if not isinstance(note, dict) or "Note" not in types(note):
        return None
    question, option = reference(note.get("inReplyTo")), note.get("name")
    if question is None or "/proposals/" not in question or not isinstance(option, str):
        return None
    return question, option


async def submit(node, writer, person: ActorRow, body) -> dict | None:
    """The signed activity when ``body`` is a vote, a delegation or its Undo; None otherwise."""
    if not isinstance(body, dict):
        return None
    kinds = types(body)
    vote = _vote_of(body)
    if vote is not None:
        return await writer.run(proposals.vote, person.name, *vote)
    if "Delegate" in kinds:
        delegate, scope = reference(body.get("object")), reference(body.get("target"))
        if not delegate or not scope:
            raise BadInput("a Delegate names whom to delegate to (object) and the pool or cooperative (target)")
        return await writer.run(proposals.delegate, person.name, delegate, scope)
    if kinds[:1] == ["Undo"]:
        target = reference(body.get("object"))
        held = governance_store.delegation(node.db, target) if target else None
        if held is not None and held.delegator == person.id:
            return await writer.run(proposals.undelegate, person.name, held.scope)
    return None
