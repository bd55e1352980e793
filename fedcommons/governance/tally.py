"""The tally of a proposal: a pure function of the log's activities and an instant.

Rules (docs/methods.md, "Governance: the tally", says them for people):

- Only votes from ``start`` up to, not including, ``endTime`` (and not after ``asOf``)
  are read. A vote recorded from another server counts only when the governed actor
  recorded it. Of a voter's votes, the latest counts (ties: the larger activity id); one
  whose option the proposal does not offer counts for nothing.
- Each elector (see :mod:`.electorate`) counts once, with their weight: their own vote,
  else their delegation chain's (see :mod:`.delegation`), as in force at ``endTime`` (or
  ``asOf`` while the proposal is open). A direct vote overrides the voter's delegation.
- A direct vote by someone outside the electorate counts for nothing, and ends no chain.
- Quorum: the weight counted must be at least ``quorum`` times the electorate's weight
  (and more than nothing). Majority: the option with the most weight wins if it has more
  than half of the weight counted (``majority`` 1/2), or at least ``majority`` of it for a
  larger majority; a tie for the most weight is no majority.
- Before ``endTime`` the outcome is ``open``; after it, ``adopted`` (with the winner),
  ``no quorum`` or ``no majority``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from fedcommons.errors import BadInput, NotFound
from fedcommons.standing.ledger import PoolLedger

from .delegation import follow, in_force
from .electorate import electorate as electorate_of
from .electorate import settings_at
from .records import GovernanceLog, Proposal, Vote
from .settings import Settings, read_settings

OPEN, ADOPTED, NO_QUORUM, NO_MAJORITY = "open", "adopted", "no quorum", "no majority"


@dataclass(frozen=True)
class CountedVote:
    """An elector's vote as counted: the option, their weight and the path to who chose it."""

    elector: str
    option: str
    weight: Decimal
    path: tuple[str, ...]


@dataclass(frozen=True)
class Uncounted:
    """Someone whose vote, or whose electorate place, counted for nothing, and why."""

    who: str
    reason: str
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tally:
    """A proposal's tally at ``as_of`` (microseconds)."""

    proposal: Proposal
    settings: Settings
    as_of: int
    electorate: dict[str, Decimal]
    counted: tuple[CountedVote, ...]
    uncounted: tuple[Uncounted, ...]
    totals: dict[str, Decimal]
    outcome: str
    winner: str | None

    @property
    def electorate_weight(self) -> Decimal:
        return sum(self.electorate.values(), Decimal(0))

    @property
    def participation(self) -> Decimal:
        return sum((v.weight for v in self.counted), Decimal(0))

    @property
    def change(self) -> dict | None:
        """What the adopted option sets, or None (nothing adopted, or an option without change)."""
        if self.outcome != ADOPTED or self.winner is None:
            return None
        option = self.proposal.option(self.winner)
        return option.change if option else None


def direct_votes(votes: Iterable[Vote], proposal: Proposal, until: int) -> tuple[dict[str, str], list[Uncounted]]:
    """voter -> option of each voter's latest valid vote in [start, until); and the invalid ones."""
    latest: dict[str, Vote] = {}
    ignored = []
    for vote in votes:
        if vote.question != proposal.id or vote.time < proposal.start or vote.time >= until:
            continue
        if vote.recorder is not None and vote.recorder != proposal.governs:
            continue
        if proposal.option(vote.option) is None:
            ignored.append(Uncounted(vote.voter, f"{vote.option!r} is not an option of the proposal"))
            continue
        held = latest.get(vote.voter)
        if held is None or (vote.time, vote.id) > (held.time, held.id):
            latest[vote.voter] = vote
    return {voter: vote.option for voter, vote in latest.items()}, ignored


def count(proposal: Proposal, settings: Settings, electorate: dict[str, Decimal], log: GovernanceLog,
          as_of: int) -> Tally:
    """The tally of ``proposal`` at ``as_of`` from what ``log`` holds (see the module docstring)."""
    until = min(as_of + 1, proposal.end)  # votes at asOf itself count while it is open
    direct, uncounted = direct_votes(log.votes, proposal, until)
    at = min(as_of, proposal.end)
    scopes = [proposal.governs]
    if not proposal.members:
        scopes += sorted(log.sustaining(proposal.governs, proposal.start))
    delegates = in_force(log.delegations, log.revocations, scopes, at, frozenset(scopes))
    counted = []
    for elector in sorted(electorate):
        option, path, why = follow(elector, direct, electorate, delegates)
        if option is None:
            if why != "no vote":
                uncounted.append(Uncounted(elector, why, tuple(path)))
            continue
        counted.append(CountedVote(elector, option, electorate[elector], tuple(path)))
    for voter in sorted(set(direct) - set(electorate)):
        uncounted.append(Uncounted(voter, "not in the electorate at the proposal's start"))
    totals = {o.name: Decimal(0) for o in proposal.options}
    for vote in counted:
        totals[vote.option] += vote.weight
    outcome, winner = decide(proposal, settings, electorate, totals, as_of)
    uncounted.sort(key=lambda u: (u.who, u.reason))
    return Tally(proposal, settings, as_of, dict(sorted(electorate.items())), tuple(counted),
                 tuple(uncounted), totals, outcome, winner)


def decide(proposal: Proposal, settings: Settings, electorate: dict[str, Decimal],
           totals: dict[str, Decimal], as_of: int) -> tuple[str, str | None]:
    """(outcome, winner): quorum first, then majority; ``open`` before the end."""
    participation = Fraction(sum(totals.values(), Decimal(0)))
    ranked = sorted(totals.items(), key=lambda item: item[1], reverse=True)
    best, weight = ranked[0]
    tie = len(ranked) > 1 and ranked[1][1] == weight
    if as_of < proposal.end:
        return OPEN, None
    whole = Fraction(sum(electorate.values(), Decimal(0)))
    if participation == 0 or participation < settings.quorum * whole:
        return NO_QUORUM, None
    share = Fraction(weight) / participation
    enough = share > settings.majority if settings.majority == Fraction(1, 2) else share >= settings.majority
    if tie or not enough:
        return NO_MAJORITY, None
    return ADOPTED, best


def tally_log(activities: Iterable[dict], governs: str, proposal_id: str, as_of: int) -> Tally:
    """The tally of ``proposal_id`` (a proposal of ``governs``) from a stream of log activities.

    NotFound when the activities hold no valid proposal of that id for ``governs``.
    """
    ledger = PoolLedger(governs)
    log = GovernanceLog()
    for activity in activities:
        ledger.add(activity)
        log.add(activity)
    return tally_of(ledger, log, proposal_id, as_of)


def tally_of(ledger: PoolLedger, log: GovernanceLog, proposal_id: str, as_of: int) -> Tally:
    """:func:`tally_log` from a ledger and a governance log already read."""
    proposal = log.proposals.get(proposal_id)
    if proposal is None or proposal.governs != ledger.pool:
        raise NotFound(f"the log holds no proposal {proposal_id} of {ledger.pool}")
    if proposal.members:  # a cooperative's: its own settings, from its Updates of itself
        try:
            settings = read_settings(log.settings_of(proposal.governs, proposal.start))
        except BadInput:
            settings = read_settings(None)
    else:
        settings = settings_at(ledger, proposal.start)
    return count(proposal, settings, electorate_of(ledger, proposal, settings), log, as_of)
