"""Proposals, votes and delegations read from log activities (compact ActivityStreams JSON).

Nothing here depends on the order activities arrive in; :mod:`.tally` decides what counts.
What is read (anything malformed is skipped, never an error):

- **A proposal**: ``Create{Question}`` whose actor is the governed pool or cooperative,
  which is also the Question's ``attributedTo`` and its ``governs``. Its ``oneOf`` holds 2
  to 20 options with distinct names; an option may carry a ``change`` (the governed
  parameters it sets). ``endTime`` must be after ``published``. Of two Creates of one
  Question id, the earliest counts.
- **A vote**: ``Create{Note}`` whose Note has ``inReplyTo`` (the Question) and ``name``
  (an option), by the Note's ``attributedTo`` (Mastodon's poll vote). Its time is the
  activity's ``published``. A vote that came from another server is recorded by the
  governed actor as ``Add{object: the vote as received}`` at its arrival: its time is the
  ``Add``'s ``published``, because the sender's clock vouches for nothing (Mastodon's
  vote carries none).
- **A delegation**: ``Delegate`` (``type`` ``["Activity", "Delegate"]``): ``actor``
  delegates their vote in ``target`` (a pool, or a cooperative for every pool it
  sustains) to ``object``. ``Undo`` of it, by id, by its own actor, takes it back. Both
  may arrive inside an ``Add`` like votes.
- **A cooperative's pools and settings**: ``Update`` of a ``Cooperative`` by itself, with
  ``sustains`` and, once it adopted governance, ``governance``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from fedcommons.errors import BadInput
from fedcommons.standing.clock import parse_micros

from .settings import COOP_PARAMETERS, POOL_PARAMETERS, check_change

MAX_OPTIONS = 20
# Types whose activities say nothing about governance (validations, endorsements).
_NEVER_GOVERNANCE = frozenset({"Accept", "Reject", "Like", "Follow", "Delete"})
MAX_NAME = 200


@dataclass(frozen=True)
class Option:
    """One answer of a proposal, with the parameters it sets (None: change nothing)."""

    name: str
    change: dict | None


@dataclass(frozen=True)
class Proposal:
    """A Question as the log holds it; times in microseconds."""

    id: str
    governs: str
    proposer: str | None
    options: tuple[Option, ...]
    start: int
    end: int
    members: tuple[str, ...] = ()  # a cooperative's members at the start (its electorate)
    order_key: str = ""

    def option(self, name: str) -> Option | None:
        """The option called ``name``, or None."""
        return next((o for o in self.options if o.name == name), None)


@dataclass(frozen=True)
class Vote:
    """A vote: ``voter`` chose ``option`` of ``question`` at ``time``; ``recorder`` is the actor
    that recorded it from another server (None when the voter's own activity is in the log)."""

    question: str
    voter: str
    option: str
    time: int
    id: str
    recorder: str | None = None


@dataclass(frozen=True)
class Delegation:
    """``delegator`` gives their vote in ``scope`` to ``delegate`` from ``time``."""

    id: str
    delegator: str
    delegate: str
    scope: str
    time: int
    recorder: str | None = None


@dataclass(frozen=True)
class Revocation:
    """``actor`` takes back their delegation ``target`` (an id) at ``time``."""

    actor: str
    target: str
    time: int
    recorder: str | None = None


@dataclass
class GovernanceLog:
    """Everything the log says about governance; feed it with :meth:`add`."""

    proposals: dict[str, Proposal] = field(default_factory=dict)
    votes: list[Vote] = field(default_factory=list)
    delegations: list[Delegation] = field(default_factory=list)
    revocations: list[Revocation] = field(default_factory=list)
    sustains: list[tuple[str, int, frozenset[str]]] = field(default_factory=list)  # coop, time, pools
    coop_settings: list[tuple[str, int, str, dict]] = field(default_factory=list)  # coop, time, id, raw

    def add(self, activity: object) -> None:
        """Read one activity; anything that is not governance, or is malformed, is skipped."""
        if type(activity) is not dict:
            return
        kind = activity.get("type")
        if type(kind) is str and kind in _NEVER_GOVERNANCE:  # most of a busy log: out at once
            return
        kinds = [kind] if type(kind) is str else _types(activity)
        if "Create" in kinds:
            obj = activity.get("object")
            if type(obj) is not dict:
                return
            obj_kinds = _types(obj)
            if "Question" in obj_kinds:
                self._proposal(activity)
                return
            if "Note" not in obj_kinds or "Contribution" in obj_kinds:
                return
        if "Add" in kinds:
            inner = activity.get("object")
            recorder, time = _ref(activity.get("actor")), parse_micros(activity.get("published"))
            if type(inner) is dict and recorder and time is not None:
                self._read(inner, time, recorder)
            return
        if "Update" in kinds:
            self._coop_update(activity)
            return
        time = parse_micros(activity.get("published"))
        if time is not None:
            self._read(activity, time, None)

    def extend(self, activities) -> GovernanceLog:
        """Read every activity of an iterable; returns the log."""
        for activity in activities:
            self.add(activity)
        return self

    def _read(self, activity: dict, time: int, recorder: str | None) -> None:
        """A vote, delegation or revocation at ``time`` (its own, or its recording's)."""
        kinds = _types(activity)
        actor = _ref(activity.get("actor"))
        ident = activity.get("id")
        if actor is None:
            return
        if "Create" in kinds:
            note = activity.get("object")
            if type(note) is not dict or "Note" not in _types(note) or "Contribution" in _types(note):
                return
            question, option = _ref(note.get("inReplyTo")), note.get("name")
            author = note.get("attributedTo", actor)
            if question is None or _ref(author) != actor or not _name(option):
                return
            vote_id = ident if type(ident) is str else _ref(note.get("id")) or ""
            self.votes.append(Vote(question, actor, option, time, vote_id, recorder))
        elif "Delegate" in kinds:
            delegate, scope = _ref(activity.get("object")), _ref(activity.get("target"))
            if type(ident) is str and ident and delegate and scope and delegate != actor:
                self.delegations.append(Delegation(ident, actor, delegate, scope, time, recorder))
        elif "Undo" in kinds:
            target = _ref(activity.get("object"))
            if target:
                self.revocations.append(Revocation(actor, target, time, recorder))

    def _proposal(self, activity: dict) -> None:
        question = activity.get("object")
        if type(question) is not dict or "Question" not in _types(question):
            return
        proposal = read_proposal(activity, question)
        if proposal is None:
            return
        held = self.proposals.get(proposal.id)
        if held is None or (proposal.start, proposal.order_key) < (held.start, held.order_key):
            self.proposals[proposal.id] = proposal

    def _coop_update(self, activity: dict) -> None:
        coop = activity.get("object")
        actor = _ref(activity.get("actor"))
        time = parse_micros(activity.get("published"))
        if type(coop) is not dict or "Cooperative" not in _types(coop) or coop.get("id") != actor:
            return
        if time is None:
            return
        if type(coop.get("governance")) is dict:
            ident = activity.get("id")
            self.coop_settings.append((actor, time, ident if type(ident) is str else "", coop["governance"]))
        sustains = coop.get("sustains")
        if type(sustains) is not list:
            return
        pools = frozenset(p for p in (_ref(s.get("pool")) if type(s) is dict else None for s in sustains) if p)
        self.sustains.append((actor, time, pools))

    def settings_of(self, coop: str, at: int) -> dict | None:
        """The governance settings a cooperative's latest Update at or before ``at`` set
        (ties: the larger activity id), or None."""
        held = [(time, ident, raw) for c, time, ident, raw in self.coop_settings if c == coop and time <= at]
        return max(held, key=lambda item: item[:2])[2] if held else None

    def sustaining(self, pool: str, at: int) -> frozenset[str]:
        """The cooperatives that sustained ``pool`` at ``at`` (each one's latest Update)."""
        latest: dict[str, tuple[int, frozenset[str]]] = {}
        for coop, time, pools in self.sustains:
            if time <= at and (coop not in latest or time >= latest[coop][0]):
                latest[coop] = (time, pools)
        return frozenset(coop for coop, (_, pools) in latest.items() if pool in pools)


def read_proposal(activity: dict, question: dict) -> Proposal | None:
    """The proposal a ``Create{Question}`` makes, or None when it is not a valid one."""
    actor = _ref(activity.get("actor"))
    ident = question.get("id")
    governs = _ref(question.get("governs"))
    if not (type(ident) is str and ident and actor and governs == actor
            and _ref(question.get("attributedTo")) == actor):
        return None
    start = parse_micros(question.get("published") or activity.get("published"))
    end = parse_micros(question.get("endTime"))
    if start is None or end is None or end <= start:
        return None
    parameters = COOP_PARAMETERS if "members" in question else POOL_PARAMETERS
    raw = question.get("oneOf")
    if type(raw) is not list or not 2 <= len(raw) <= MAX_OPTIONS:
        return None
    options = []
    for item in raw:
        if type(item) is not dict or not _name(item.get("name")):
            return None
        change = item.get("change")
        if change is not None:
            try:
                change = check_change(change, parameters)
            except BadInput:
                return None
        options.append(Option(item["name"], change))
    if len({o.name for o in options}) != len(options):
        return None
    members: tuple[str, ...] = ()
    if "members" in question:
        listed = question["members"]
        if type(listed) is not list or not listed or not all(type(m) is str and m for m in listed):
            return None
        members = tuple(sorted(set(listed)))
    proposer = _ref(question.get("proposer"))
    try:
        order_key = json.dumps(question, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return None
    return Proposal(ident, governs, proposer, tuple(options), start, end, members, order_key)


def _name(value: object) -> bool:
    return type(value) is str and 0 < len(value.strip()) and len(value) <= MAX_NAME


def _types(value: dict) -> list:
    kinds = value.get("type")
    if type(kinds) is str:
        return [kinds]
    return [k for k in kinds if type(k) is str] if type(kinds) is list else []


def _ref(value: object) -> str | None:
    """A URL from a string or an object's ``id``."""
    if type(value) is dict:
        value = value.get("id")
    return value if type(value) is str and value else None
