"""What a MediaWiki revision is worth, whether read from a dump or from a wiki's API.

Both readers give revisions back in the order they were made (by time, then revision id;
see :mod:`.time_order`), since effort rules such as ``sessions/1`` measure a person's edits
in that order, with the cursor :func:`cursor_of` the last one: a read resumes after it.

Both readers parse revisions into :class:`Revision` and pass them, page by page in the
order the page was edited, through a :class:`PageWindow`. The window is what lets a
streaming reader flag reverts before it yields: an identity revert (a revision whose
content hash equals one of the :data:`REVERT_RADIUS` revisions before it on its page,
other than only the one right before it) undoes the revisions since the oldest of them, and those can only
lie within the last ``REVERT_RADIUS`` revisions of the page. So a revision is final, and
may be yielded, once that many revisions of its page have come after it, or once the page
has no more revisions to come.

:func:`item_of` turns a final revision into an :class:`~.items.Item`: the key is the wiki
and the revision id, the evidence the diff, the metrics the bytes added or removed against
the parent revision, the kind the one configured for the page's namespace. IP addresses
and temporary accounts are anonymous (they never mint, and the address stays out of the
log); bots are known by the wiki's ``bot`` group when the reader learned it, and by name
patterns otherwise.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Mapping

from ..errors import BadInput
from .items import REVERT, REVERTED, Item, Person, utc_text

# How many earlier revisions of a page a revert may restore (as mwreverts and the
# Wikimedia research on reverts use).
REVERT_RADIUS = 15

# The kind a namespace's edits suggest, from the node's default kinds; a source may
# configure its own. Odd namespaces are talk pages.
DEFAULT_KINDS_BY_NAMESPACE: Mapping[int, str] = {
    0: "docs",            # articles, entries
    2: "docs",            # user pages
    4: "facilitation",    # the project's own pages (policies, votes)
    6: "design",          # files
    8: "maintenance",     # interface messages
    10: "code",           # templates
    12: "docs",           # help
    14: "maintenance",    # categories
    828: "code",          # Lua modules
}
TALK_KIND = "facilitation"

# Bot accounts by name, when the wiki does not say who is in its bot group (a dump):
# a name whose last word ends in "bot" ("BaluBot", "UT-Bot", "Instance of Bot").
DEFAULT_BOT_PATTERNS = (r"(?i)bot\b",)
# MediaWiki's temporary accounts (1.42 and later) are named from "~$1" by default.
DEFAULT_TEMPORARY_PREFIX = "~"


@dataclass(frozen=True)
class Revision:
    """One revision as a dump or the API states it (``sha1`` in whatever base it uses)."""

    wiki: str
    page_id: int
    title: str
    namespace: int
    id: int
    parent_id: int | None
    time: datetime
    user_id: int | None      # None (or 0) for an IP address
    user_name: str | None    # the IP address for an IP edit; None when deleted
    anonymous_ip: bool = False
    temporary: bool = False  # the wiki says it is a temporary account
    bot: bool | None = None  # the wiki's bot group, when the reader knows it
    minor: bool = False
    comment: str = ""
    size: int | None = None
    sha1: str | None = None


@dataclass
class Pending:
    """A revision in its page's window, with the flags later revisions give it."""

    revision: Revision
    parent_size: int | None
    flags: set[str] = field(default_factory=set)
    final: bool = False  # no later revision can flag it any more


class PageWindow:
    """The last :data:`REVERT_RADIUS` revisions of one page, still open to flags.

    :meth:`add` takes the page's next revision and returns the revision that has just
    become final (or None); :meth:`drain` returns the rest when the page has no more.
    ``known`` seeds the window with earlier revisions that were already yielded (an
    incremental read): they can be restored by a revert but are never returned.
    """

    __slots__ = ("open", "hashes", "sizes")

    def __init__(self, known: Iterable[Revision] = ()):
        self.open: deque[Pending | Revision] = deque()
        self.hashes: deque[str | None] = deque()  # the content hash of each, in step with open
        self.sizes: dict[int, int | None] = {}
        for revision in known:
            self._push(revision)

    def add(self, revision: Revision) -> Pending | None:
        """Flag ``revision`` and what it reverts; return the revision now final, if any."""
        parent = revision.parent_id
        if not parent:
            parent_size: int | None = 0  # a page's first revision adds all it holds
        else:
            parent_size = self.sizes.get(parent)
        pending = Pending(revision, parent_size)
        sha1 = revision.sha1
        if sha1 and sha1 in self.hashes:
            # The oldest equal revision in reach: everything after it was undone, even
            # when an undone stretch itself passed through the same content.
            back = self.hashes.index(sha1)
            if back < len(self.hashes) - 1:  # equal to the revision right before only: a null edit
                pending.flags.add(REVERT)
                for position in range(back + 1, len(self.open)):
                    earlier = self.open[position]
                    if isinstance(earlier, Pending):
                        earlier.flags.add(REVERTED)
        return self._push(pending)

    def drain(self) -> list[Pending]:
        """The revisions still open, oldest first: the page has no more revisions."""
        rest = [entry for entry in self.open if isinstance(entry, Pending)]
        for pending in rest:
            pending.final = True
        self.open.clear()
        self.hashes.clear()
        return rest

    def _push(self, entry: Pending | Revision) -> Pending | None:
        revision = entry.revision if isinstance(entry, Pending) else entry
        self.open.append(entry)
        self.hashes.append(revision.sha1)
        self.sizes[revision.id] = revision.size
        if len(self.open) <= REVERT_RADIUS:
            return None
        self.hashes.popleft()
        out = self.open.popleft()
        self.sizes.pop(_revision(out).id, None)
        if not isinstance(out, Pending):
            return None
        out.final = True
        return out


def _revision(entry: Pending | Revision) -> Revision:
    return entry.revision if isinstance(entry, Pending) else entry


@dataclass(frozen=True)
class Valuation:
    """How one wiki's revisions become items: its diff URLs, kinds and bot names."""

    wiki: str
    article_url: str  # where titles go, "$1" for the title: https://wiki.example/wiki/$1
    kinds: Mapping[int, str] = field(default_factory=lambda: dict(DEFAULT_KINDS_BY_NAMESPACE))
    talk_kind: str | None = TALK_KIND
    bot_patterns: tuple[str, ...] = DEFAULT_BOT_PATTERNS
    temporary_prefix: str = DEFAULT_TEMPORARY_PREFIX

    def __post_init__(self):
        object.__setattr__(self, "_bots", [re.compile(p) for p in self.bot_patterns])
        object.__setattr__(self, "_people", {})  # see person_of

    def diff_url(self, revision_id: int) -> str:
        """The diff a revision made, through the wiki's ``Special:Diff`` page."""
        # Letters, digits, ':' and '/': nothing in the title to percent-encode.
        return self.article_url.replace("$1", f"Special:Diff/{int(revision_id)}")

    def kind(self, namespace: int) -> str | None:
        """The kind configured for a namespace; talk namespaces share one."""
        if namespace in self.kinds:
            return self.kinds[namespace]
        return self.talk_kind if namespace > 0 and namespace % 2 == 1 else None

    def is_bot_name(self, name: str) -> bool:
        """Whether a user name matches a bot pattern."""
        return any(p.search(name) for p in self._bots)  # type: ignore[attr-defined]


def cursor_of(time: datetime, revision_id: int) -> str:
    """The cursor after a revision: ``<UTC timestamp>/<revision id>``."""
    return f"{utc_text(time)}/{revision_id}"


def parse_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """The (time, revision id) a read resumes after, from :func:`cursor_of`'s form."""
    if cursor is None:
        return None
    try:
        stamp, revision = cursor.rsplit("/", 1)
        time = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        if time.tzinfo is None:
            raise ValueError("no zone")
        return time, int(revision)
    except ValueError:
        raise BadInput(f"not a wiki cursor: {cursor!r} (expected TIMESTAMP/REVISION)") from None


# People remembered per valuation (a wiki's accounts make most of its edits many times
# over), up to this many; then forgotten all at once, so memory stays bounded.
_PEOPLE = 50_000


def person_of(revision: Revision, valuation: Valuation) -> Person:
    """Who made a revision: an account (by user id), or anonymous (an IP, a temporary account)."""
    key = (revision.user_id, revision.user_name, revision.anonymous_ip, revision.temporary, revision.bot)
    people: dict = valuation._people  # type: ignore[attr-defined]
    person = people.get(key)
    if person is None:
        if len(people) >= _PEOPLE:
            people.clear()
        person = people[key] = _person_of(revision, valuation)
    return person


def _person_of(revision: Revision, valuation: Valuation) -> Person:
    name = revision.user_name or ""
    wiki = valuation.wiki
    if revision.anonymous_ip or not revision.user_id:
        # The address is the alias key only inside the node (never minted, never logged).
        return Person(identity=f"mediawiki:{wiki}:ip:{name}", name="an IP address", anonymous=True)
    temporary = revision.temporary or name.startswith(valuation.temporary_prefix)
    bot = revision.bot if revision.bot is not None else valuation.is_bot_name(name)
    return Person(identity=f"mediawiki:{wiki}:{revision.user_id}", name=name,
                  bot=bot and not temporary, anonymous=temporary)


def item_of(pending: Pending, valuation: Valuation) -> Item:
    """The item a final revision is: key, time, summary, person, diff, bytes and flags."""
    revision = pending.revision
    metrics: dict[str, int] = {}
    if revision.size is not None and pending.parent_size is not None:
        change = revision.size - pending.parent_size
        metrics = {"bytes_added": max(change, 0), "bytes_removed": max(-change, 0)}
    summary = revision.title if not revision.comment else f"{revision.title}: {revision.comment}"
    return Item(
        key=f"mediawiki:{valuation.wiki}:{revision.id}",
        time=revision.time,
        summary=summary[:500],
        people=(person_of(revision, valuation),),
        evidence=valuation.diff_url(revision.id),
        metrics=metrics,
        flags=frozenset(pending.flags),
        kind=valuation.kind(revision.namespace),
    )
