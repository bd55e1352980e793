"""A live wiki as a source, through its action API: the whole history once, then what is new.

The reader speaks to the wiki only through the ``fetch`` it is handed: a function of the
query parameters (a dict of strings) that returns the decoded JSON answer, or an awaitable
of it. The edge's client (:mod:`fedcommons.federation.wiki_client`) is the polite one that
goes to the network; tests hand in a real wiki on loopback or a function.

It reads ``list=allrevisions`` oldest first, with continuation, in the namespaces asked
for (and, when given a category or a list of pages, keeps only their revisions), and
values them as :mod:`.mediawiki` says. Revisions come from the API in time order across
pages, so each page keeps a window of its last revisions (fetched back from the wiki when
a read resumes, or when a page was pushed out of the :data:`MAX_WINDOWS` held) to flag
reverts exactly as a dump would. What is read is spooled in time order (:mod:`.time_order`),
so memory stays bounded, and yielded in time order when the read is done, except the
revisions younger than ``settle`` (one day by default): they are read again next time, so
that a revert made within ``settle`` still flags the edits it undid. A revert made later
is flagged itself, but the edits it undid were already recorded.

The cursor is ``<timestamp>/<revision id>`` of each item: a read resumes after it.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, AsyncIterator, Awaitable, Callable, Generator, Iterable, Iterator, Mapping

from ..errors import FedcommonsError
from .items import Read
from .mediawiki import REVERT_RADIUS, PageWindow, Pending, Revision, Valuation, cursor_of, item_of, parse_cursor
from .time_order import TimeOrder

Fetch = Callable[[Mapping[str, str]], "dict[str, Any] | Awaitable[dict[str, Any]]"]

REVISION_PROPS = "ids|timestamp|flags|comment|user|userid|size|sha1"
SETTLE = timedelta(days=1)
MAX_WINDOWS = 20_000  # pages whose last revisions are held; others are fetched back
TITLES_PER_REQUEST = 50  # the API's limit for ordinary clients


class WikiApiError(FedcommonsError):
    """The wiki answered with an error, or with something that is not an API answer."""


@dataclass(frozen=True)
class Request:
    """One query the reader needs answered."""

    params: dict[str, str]


class MediaWikiApi:
    """The revisions of a live wiki, as items.

    ``namespaces``: the namespace numbers to read (None: all). ``category`` (a title such
    as ``Category:Physics``) or ``pages`` (titles) narrow the read to those pages.
    ``valuation``: how revisions become items; by default from the wiki's siteinfo with
    the default kinds (``kinds`` overrides them). ``clock`` gives the present (tests).
    """

    times_fixed = True  # a revision's timestamp is the wiki's record of it

    def __init__(self, fetch: Fetch, *, namespaces: Iterable[int] | None = (0,), category: str | None = None,
                 pages: Iterable[str] = (), valuation: Valuation | None = None,
                 kinds: Mapping[int, str] | None = None, bot_patterns: tuple[str, ...] | None = None,
                 settle: timedelta = SETTLE, clock: Callable[[], datetime] | None = None,
                 max_windows: int = MAX_WINDOWS, limit: str = "max"):
        self.fetch = fetch
        self.namespaces = None if namespaces is None else tuple(namespaces)
        self.category = category
        self.pages = tuple(pages)
        self.valuation = valuation
        self._kinds = kinds
        self._bot_patterns = bot_patterns
        self.settle = settle
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.max_windows = max_windows
        self.limit = limit

    def read(self, cursor: str | None) -> Iterator[Read]:
        """The revisions after ``cursor`` with a synchronous ``fetch``."""
        walk = self._walk(cursor)
        reply: Any = None
        while True:
            try:
                message = walk.send(reply)
            except StopIteration:
                return
            if isinstance(message, Request):
                reply = self.fetch(message.params)
                if inspect.isawaitable(reply):
                    raise TypeError("this fetch is asynchronous: use read_async")
            else:
                reply = None
                yield message

    async def read_async(self, cursor: str | None) -> AsyncIterator[Read]:
        """The revisions after ``cursor``, with a synchronous or asynchronous ``fetch``."""
        walk = self._walk(cursor)
        reply: Any = None
        while True:
            try:
                message = walk.send(reply)
            except StopIteration:
                return
            if isinstance(message, Request):
                reply = self.fetch(message.params)
                if inspect.isawaitable(reply):
                    reply = await reply
            else:
                reply = None
                yield message

    # The walk: a generator that yields Requests (and is sent their answers) and Reads.

    def _walk(self, cursor: str | None) -> Generator[Request | Read, Any, None]:
        after = parse_cursor(cursor)
        if self.valuation is None:
            general = (yield from self._query({"meta": "siteinfo", "siprop": "general"})).get("general")
            self.valuation = _valuation_from(general, self._kinds, self._bot_patterns)
        bots = yield from self._bot_ids()
        only = yield from self._page_ids()
        windows: OrderedDict[int, PageWindow] = OrderedDict()
        params = {"list": "allrevisions", "arvprop": REVISION_PROPS, "arvdir": "newer", "arvlimit": self.limit}
        if self.namespaces is not None:
            params["arvnamespace"] = "|".join(str(n) for n in self.namespaces)
        if after is not None:
            params["arvstart"] = cursor_of(after[0], 0).split("/")[0]
        following: dict[str, str] = {}
        with TimeOrder() as order:
            def keep(pending: Pending) -> None:
                revision = pending.revision
                order.add((revision.time, revision.id), item_of(pending, self.valuation))  # type: ignore[arg-type]

            while True:
                answer = yield from self._answer({**params, **following})
                # An answer groups its revisions by page: put them back in the wiki's order.
                for revision in sorted(self._revisions(answer, bots), key=lambda r: (r.time, r.id)):
                    if only is not None and revision.page_id not in only:
                        continue
                    if after is not None and (revision.time, revision.id) <= after:
                        continue
                    window = windows.get(revision.page_id)
                    if window is None:
                        known = (yield from self._known_before(revision)) if revision.parent_id else []
                        window = windows[revision.page_id] = PageWindow(known)
                        if len(windows) > self.max_windows:
                            for pending in windows.popitem(last=False)[1].drain():
                                keep(pending)
                    else:
                        windows.move_to_end(revision.page_id)
                    final = window.add(revision)
                    if final is not None:
                        keep(final)
                following = _continuation(answer)
                if not following:
                    break
            for window in windows.values():
                for pending in window.drain():
                    keep(pending)
            horizon = self.clock() - self.settle
            for (time, revision_id), item in order.ordered():
                if time > horizon:
                    break  # this one and all after it are read again next time
                yield Read(item, cursor_of(time, revision_id))

    def _answer(self, params: dict[str, str]) -> Generator[Request, Any, dict]:
        answer = yield Request({"action": "query", "format": "json", "formatversion": "2", **params})
        if not isinstance(answer, dict):
            raise WikiApiError("the wiki's answer is not a JSON object")
        if "error" in answer:
            error = answer["error"] if isinstance(answer["error"], dict) else {}
            raise WikiApiError(f"the wiki refused the query: {error.get('code', '?')}: {error.get('info', '')}")
        return answer

    def _query(self, params: dict[str, str]) -> Generator[Request, Any, dict]:
        query = (yield from self._answer(params)).get("query")
        return query if isinstance(query, dict) else {}

    def _listed(self, params: dict[str, str], name: str) -> Generator[Request, Any, list[dict]]:
        """Every entry of a continued list query (the small ones: bots, category members)."""
        entries: list[dict] = []
        following: dict[str, str] = {}
        while True:
            answer = yield from self._answer({**params, **following})
            listed = (answer.get("query") or {}).get(name) or []
            entries.extend(entry for entry in listed if isinstance(entry, dict))
            following = _continuation(answer)
            if not following:
                return entries

    def _bot_ids(self) -> Generator[Request, Any, frozenset[int]]:
        users = yield from self._listed({"list": "allusers", "augroup": "bot", "aulimit": "max"}, "allusers")
        return frozenset(user["userid"] for user in users if isinstance(user.get("userid"), int))

    def _page_ids(self) -> Generator[Request, Any, frozenset[int] | None]:
        if not self.category and not self.pages:
            return None
        ids: set[int] = set()
        if self.category:
            params = {"list": "categorymembers", "cmtitle": self.category, "cmprop": "ids", "cmlimit": "max"}
            if self.namespaces is not None:
                params["cmnamespace"] = "|".join(str(n) for n in self.namespaces)
            members = yield from self._listed(params, "categorymembers")
            ids.update(m["pageid"] for m in members if isinstance(m.get("pageid"), int))
        for start in range(0, len(self.pages), TITLES_PER_REQUEST):
            query = yield from self._query({"titles": "|".join(self.pages[start:start + TITLES_PER_REQUEST])})
            ids.update(page["pageid"] for page in query.get("pages") or []
                       if isinstance(page, dict) and isinstance(page.get("pageid"), int))
        return frozenset(ids)

    def _known_before(self, revision: Revision) -> Generator[Request, Any, list[Revision]]:
        """The page's revisions before this one (at most a window's worth), oldest first."""
        query = yield from self._query({
            "prop": "revisions", "pageids": str(revision.page_id), "rvstartid": str(revision.id),
            "rvdir": "older", "rvlimit": str(REVERT_RADIUS + 1), "rvprop": "ids|timestamp|size|sha1"})
        known = []
        for page in query.get("pages") or []:
            for raw in (page.get("revisions") or []) if isinstance(page, dict) else []:
                earlier = _revision_of(self.valuation.wiki, page, raw, None)  # type: ignore[union-attr]
                if earlier is not None and earlier.id != revision.id:
                    known.append(earlier)
        return sorted(known, key=lambda r: (r.time, r.id))

    def _revisions(self, answer: dict, bots: frozenset[int]) -> Iterator[Revision]:
        for page in (answer.get("query") or {}).get("allrevisions") or []:
            if not isinstance(page, dict):
                continue
            for raw in page.get("revisions") or []:
                revision = _revision_of(self.valuation.wiki, page, raw, bots)  # type: ignore[union-attr]
                if revision is not None:
                    yield revision


def _continuation(answer: dict) -> dict[str, str]:
    more = answer.get("continue")
    return {str(k): str(v) for k, v in more.items()} if isinstance(more, dict) else {}


def _revision_of(wiki: str, page: dict, raw: Any, bots: frozenset[int] | None) -> Revision | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("revid"), int):
        return None
    try:
        time = datetime.fromisoformat(str(raw.get("timestamp", "")).replace("Z", "+00:00"))
    except ValueError:
        return None
    user_id = raw.get("userid") if isinstance(raw.get("userid"), int) else None
    anonymous = bool(raw.get("anon")) or not user_id
    name = raw.get("user") if isinstance(raw.get("user"), str) else None
    size = raw.get("size") if isinstance(raw.get("size"), int) else None
    parent = raw.get("parentid") if isinstance(raw.get("parentid"), int) else None
    return Revision(
        wiki=wiki, page_id=int(page.get("pageid") or 0), title=str(page.get("title") or ""),
        namespace=int(page.get("ns") or 0), id=raw["revid"], parent_id=parent or None, time=time,
        user_id=None if anonymous else user_id, user_name=name, anonymous_ip=anonymous,
        temporary=bool(raw.get("temp")), bot=(user_id in bots) if bots is not None and not anonymous else None,
        minor=bool(raw.get("minor")), comment=str(raw.get("comment") or ""), size=size,
        sha1=raw.get("sha1") if isinstance(raw.get("sha1"), str) and raw.get("sha1") else None,
    )


def _valuation_from(general: Any, kinds, bot_patterns) -> Valuation:
    if not isinstance(general, dict) or not general.get("wikiid") or not general.get("server"):
        raise WikiApiError("the wiki's siteinfo names no wiki id or server")
    server = str(general["server"])
    if server.startswith("//"):
        server = "https:" + server
    article = str(general.get("articlepath") or "/index.php?title=$1")
    return Valuation(
        wiki=str(general["wikiid"]), article_url=server + article,
        **({"kinds": dict(kinds)} if kinds is not None else {}),
        **({"bot_patterns": tuple(bot_patterns)} if bot_patterns is not None else {}),
    )
