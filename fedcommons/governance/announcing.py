"""When to tell a poll's followers its new count: at most one Update per proposal per
interval, and one at the end with the final count.

Mastodon shows a remote poll's count as its server last saw it: from the Question it
fetched, or from an ``Update`` of the Question. So the governed actor sends one whenever
the count changes, coalesced, as Mastodon does for its own polls (its poll update worker
waits three minutes and sends one for all the votes in between). Pure: the caller gives
the time and the counts, and records what it sent.
"""

from __future__ import annotations

from dataclasses import dataclass

LIVE = "live"
FINAL = "final"


@dataclass(frozen=True)
class Count:
    """What a poll shows: how many people voted, and how many chose each option, in order."""

    voters: int
    options: tuple[int, ...]

    @classmethod
    def nothing(cls, options: int) -> Count:
        """The count a new Question carries (every option at 0)."""
        return cls(0, (0,) * options)


@dataclass(frozen=True)
class Sent:
    """The last Update sent for a proposal: its count, when (seconds), and whether it was the final one."""

    count: Count
    at: float
    final: bool = False


def next_announcement(last: Sent | None, count: Count, *, now: float, end: float, interval: float) -> str | None:
    """:data:`FINAL` once the proposal has ended and its final Update is not sent yet;
    :data:`LIVE` while it is open, when ``count`` differs from the last one sent (the
    Question's own zeros before any Update) and ``interval`` seconds have passed since that
    Update; else None (a change that must wait is sent by a later call, with the count then)."""
    if last is not None and last.final:
        return None
    if now >= end:
        return FINAL
    shown = last.count if last is not None else Count.nothing(len(count.options))
    if count == shown:
        return None
    if last is not None and now - last.at < interval:
        return None
    return LIVE
