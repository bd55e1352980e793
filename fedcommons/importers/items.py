"""What every source yields: items of work, each with the people in it and a cursor.

An item is what a source saw, not yet what the log records: identities are the source's
own (a git e-mail, an ORCID, a wiki user id), still to be mapped to actors through
steward-confirmed aliases; efforts are not computed yet (that is the pool's effort rule).
Identity keys may be private (an e-mail address): they stay in the node's private alias
table and never enter the log. Item keys are public (a commit id, a DOI, a revision).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from typing import Iterator, Mapping, Protocol

from ..node import utc_stamp

# Flags a source may set on an item.
MERGE = "merge"        # a merge commit: skipped unless the source is told to keep them
REVERT = "revert"      # undoes earlier work (an identity revert on a wiki): mints nothing
REVERTED = "reverted"  # undone by a later revert: mints nothing
FLAGS = frozenset({MERGE, REVERT, REVERTED})

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SECOND = timedelta(seconds=1)


def utc_text(moment: datetime) -> str:
    """A timezone-aware time in UTC, in whole seconds, as the log writes times
    (``2024-05-01T12:00:00Z``). Written once or twice per item of a run, so it takes the
    node's cached formatting of whole POSIX seconds, at half the cost of ``strftime``."""
    return utc_stamp((moment - _EPOCH) // _SECOND)


@dataclass(frozen=True)
class Person:
    """Someone named by an item, as the source names them.

    ``identity`` is the alias key, namespaced by kind: ``email:alice@example.org``,
    ``orcid:0000-0002-1825-0097``, ``mediawiki:<wiki>:<user id>``. ``share`` is this
    person's part of the item's effort; None everywhere means equal parts. ``aka`` are
    other identities the source says are the same person (the addresses a ``.mailmap``
    folds into this one): shown to stewards as suggestions, never applied by themselves.
    """

    identity: str
    name: str
    role: str = "author"
    share: Fraction | None = None
    bot: bool = False
    anonymous: bool = False  # an IP address or a temporary account: never mints
    aka: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    """One unit of work seen by a source.

    ``key`` is stable and public (``git:<sha>``, ``doi:10.1000/xyz``,
    ``mediawiki:<wiki>:<revision id>``): the same work read again has the same key, so an
    import never records it twice. ``time`` is timezone-aware. ``metrics`` are whole
    numbers such as ``lines_added``, ``lines_deleted``, ``bytes_changed``. ``kind`` is a
    kind the source suggests (a CRediT role, a namespace's kind), or None.
    """

    key: str
    time: datetime
    summary: str
    people: tuple[Person, ...]
    evidence: str | None = None
    metrics: Mapping[str, int] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()
    kind: str | None = None


@dataclass(frozen=True)
class Read:
    """An item and the cursor that resumes a read just after it (None: start again)."""

    item: Item
    cursor: str | None


class Source(Protocol):
    """A read-only source: the items after ``cursor`` (from the start when None).

    A source whose items' times are fixed by their keys (a commit's, a revision's) says so
    with a class attribute ``times_fixed = True``: the contributions made from its items
    then get ids that begin with that time (see ``urls.imported_contribution``). One whose
    items' times may change while the key stays (a citation file's release date, or its
    modification time) leaves it out, and its ids follow from the key alone."""

    def read(self, cursor: str | None) -> Iterator[Read]: ...
