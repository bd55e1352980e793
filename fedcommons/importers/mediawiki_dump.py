"""A MediaWiki XML export as a source: full or stub history, plain, ``.gz`` or ``.bz2``.

The dump is streamed with :func:`xml.etree.ElementTree.iterparse`: each revision is read
when its element closes and then removed from its page, and each page is dropped when it
closes, so memory holds one page's last :data:`~.mediawiki.REVERT_RADIUS` revisions
whatever the size of the dump. Export schemas 0.10 and 0.11 (and any later one that keeps
their elements) are read; elements the reader does not know are ignored.

Items come in time order (spooled to disk by :mod:`.time_order`, since a dump lists its
revisions page by page), with the cursor ``<timestamp>/<revision id>`` of each: a read
resumes after it, and a newer dump of the same wiki goes on where the last one stopped.

A dump that breaks off (truncated, corrupt, not XML) yields every revision read before the
break that no missing revision could still flag, with no cursor, then raises
:class:`MalformedDump` naming where it broke: revisions of the broken page that a missing
later revision could have reverted are held back, and the next read starts again.
"""

from __future__ import annotations

import bz2
import gzip
import zlib
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator
from xml.etree import ElementTree

from ..errors import BadInput
from .items import Read
from .mediawiki import PageWindow, Pending, Revision, Valuation, cursor_of, item_of, parse_cursor
from .time_order import CHUNK, TimeOrder

_GZIP_MAGIC = b"\x1f\x8b"
_BZIP2_MAGIC = b"BZh"


class MalformedDump(BadInput):
    """The dump is not a MediaWiki export, or breaks off; says where."""


class MediaWikiDump:
    """The revisions of a MediaWiki XML export file, as items.

    ``valuation`` says how revisions become items; without one it is made from the
    dump's ``<siteinfo>`` (its ``dbname`` and the article path of its ``<base>``), with
    the default kinds and bot patterns unless ``kinds`` or ``bot_patterns`` are given.
    ``namespaces``: only the pages of these (None: all).
    """

    times_fixed = True  # a revision's timestamp is the wiki's record of it

    def __init__(self, path: str | Path, valuation: Valuation | None = None, *,
                 kinds: dict[int, str] | None = None, bot_patterns: tuple[str, ...] | None = None,
                 spool_chunk: int = CHUNK, namespaces: Iterable[int] | None = None):
        self.path = Path(path)
        self.namespaces = None if namespaces is None else frozenset(namespaces)  # None: all
        self.spool_chunk = spool_chunk  # items held in memory while putting them in time order
        self.valuation = valuation
        self._kinds = kinds
        self._bot_patterns = bot_patterns

    def read(self, cursor: str | None) -> Iterator[Read]:
        """The revisions made after ``cursor`` (all when None), flags final, in time order.

        The whole dump is read (and spooled in time order) before the first item comes.
        A dump that breaks yields the revisions read before the break that no missing
        revision could still flag, with no cursor (a dump is in page order, so the missing
        part may hold older revisions: the next read starts again, and the pipeline records
        nothing twice), then raises :class:`MalformedDump`.
        """
        after = parse_cursor(cursor)
        broken: MalformedDump | None = None
        with TimeOrder(self.spool_chunk) as order:
            try:
                for pending in self._final():
                    revision = pending.revision
                    if after is None or (revision.time, revision.id) > after:
                        order.add((revision.time, revision.id), item_of(pending, self._valuation_now()))
            except MalformedDump as error:
                broken = error
            for (time, revision_id), item in order.ordered():
                yield Read(item, None if broken else cursor_of(time, revision_id))
        if broken is not None:
            raise broken

    def _final(self) -> Iterator[Pending]:
        """Each revision once no later one can flag it, in dump order."""
        window: PageWindow | None = None
        page_id: int | None = None
        for revision in self.revisions():
            if self.namespaces is not None and revision.namespace not in self.namespaces:
                continue
            if revision.page_id != page_id:
                if window is not None:
                    yield from window.drain()
                window, page_id = PageWindow(), revision.page_id
            final = window.add(revision)
            if final is not None:
                yield final
        if window is not None:
            yield from window.drain()

    def revisions(self) -> Iterator[Revision]:
        """Every revision in the dump, in dump order, as the dump states it."""
        with ExitStack() as stack:
            yield from _Parser(self).revisions(_open(self.path, stack))

    def _valuation_now(self) -> Valuation:
        if self.valuation is None:
            raise MalformedDump(f"{self.path}: no <siteinfo> before the first page; "
                                "name the wiki and its article URL explicitly")
        return self.valuation

    def _adopt_siteinfo(self, wiki: str | None, base: str | None) -> None:
        if self.valuation is not None or not wiki:
            return
        self.valuation = Valuation(
            wiki=wiki, article_url=_article_url(base),
            **({"kinds": self._kinds} if self._kinds is not None else {}),
            **({"bot_patterns": self._bot_patterns} if self._bot_patterns is not None else {}),
        )


class _Parser:
    """The streaming walk over one dump's elements."""

    def __init__(self, dump: MediaWikiDump):
        self.dump = dump
        self.count = 0
        self.title = ""
        self.names: dict[str, str] = {}

    def local(self, tag: str) -> str:
        name = self.names.get(tag)
        if name is None:
            name = self.names[tag] = tag.rsplit("}", 1)[-1]
        return name

    def revisions(self, stream: BinaryIO) -> Iterator[Revision]:
        path = self.dump.path
        page = None
        page_fields: tuple[int, str, int] | None = None
        root = None
        wiki = self.dump.valuation.wiki if self.dump.valuation else ""
        events = ElementTree.iterparse(stream, events=("start", "end"))
        try:
            for event, element in events:
                name = self.local(element.tag)
                if event == "start":
                    if root is None:
                        root = element
                        if name != "mediawiki":
                            raise MalformedDump(f"{path}: not a MediaWiki export (its root is <{name}>)")
                    elif name == "page":
                        page, page_fields = element, None
                    elif name == "revision" and page is not None and page_fields is None:
                        page_fields = self.page_fields(page)
                    continue
                if name == "revision" and page is not None:
                    if page_fields is None:
                        page_fields = self.page_fields(page)
                    yield self.revision(element, wiki, page_fields)
                    self.count += 1
                    page.remove(element)
                elif name == "page":
                    page = None
                    root.clear()
                elif name == "siteinfo":
                    self.dump._adopt_siteinfo(_child_text(element, self, "dbname"),
                                              _child_text(element, self, "base"))
                    wiki = self.dump._valuation_now().wiki
                    root.clear()
        except ElementTree.ParseError as error:
            line, column = error.position
            raise MalformedDump(f"{path}: breaks at line {line}, column {column} "
                                f"({_reason(error)}) {self.where()}") from None
        except (EOFError, OSError, zlib.error) as error:
            raise MalformedDump(f"{path}: the compressed stream breaks off ({error}) {self.where()}") from None
        if root is None:
            raise MalformedDump(f"{path}: empty, not a MediaWiki export")

    def where(self) -> str:
        if not self.count:
            return "before any revision"
        return f"after {self.count} revisions, in the page {self.title!r}"

    def page_fields(self, page) -> tuple[int, str, int]:
        fields = {self.local(child.tag): child.text for child in page}
        try:
            self.title = fields.get("title") or ""
            return int(fields["id"]), self.title, int(fields.get("ns") or 0)
        except (KeyError, TypeError, ValueError):
            raise MalformedDump(f"{self.dump.path}: a page without a numeric <id> {self.where()}") from None

    def revision(self, element, wiki: str, page: tuple[int, str, int]) -> Revision:
        values: dict[str, str | None] = {}
        user_name = user_id = None
        ip = minor = False
        size = text_sha1 = text = None
        for child in element:
            name = self.local(child.tag)
            if name == "contributor":
                for part in child:
                    part_name = self.local(part.tag)
                    if part_name == "username":
                        user_name = part.text
                    elif part_name == "id":
                        user_id = part.text
                    elif part_name == "ip":
                        user_name, ip = part.text, True
            elif name == "minor":
                minor = True
            elif name == "text":
                size, text_sha1, text = child.get("bytes"), child.get("sha1"), child.text
            else:
                values[name] = child.text
        try:
            revision_id = int(values["id"] or "")
            parent = values.get("parentid")
            time = datetime.fromisoformat((values.get("timestamp") or "").replace("Z", "+00:00"))
            if time.tzinfo is None:
                raise ValueError("timestamp without a zone")
            if size is None and text is not None:
                size = len(text.encode("utf-8"))
            return Revision(
                wiki=wiki, page_id=page[0], title=page[1], namespace=page[2], id=revision_id,
                parent_id=int(parent) if parent else None, time=time,
                user_id=int(user_id) if user_id and not ip else None, user_name=user_name,
                anonymous_ip=ip, minor=minor, comment=values.get("comment") or "",
                size=int(size) if size is not None else None,
                sha1=values.get("sha1") or text_sha1 or None,
            )
        except (KeyError, ValueError) as error:
            raise MalformedDump(f"{self.dump.path}: a revision that cannot be read ({error}) "
                                f"{self.where()}") from None


def _child_text(element, parser: _Parser, name: str) -> str | None:
    for child in element:
        if parser.local(child.tag) == name:
            return child.text
    return None


def _article_url(base: str | None) -> str:
    """The wiki's article URL with ``$1`` for the title, from the main page's URL."""
    if not base or not base.startswith(("https://", "http://")):
        raise MalformedDump("the dump's <siteinfo> has no http(s) <base>; name the article URL")
    if "title=" in base:
        head, _, tail = base.partition("title=")
        return head + "title=$1" + (tail[tail.find("&"):] if "&" in tail else "")
    return base.rsplit("/", 1)[0] + "/$1"


def _reason(error: ElementTree.ParseError) -> str:
    return str(error).split(":", 1)[0]


def _open(path: Path, stack: ExitStack) -> BinaryIO:
    """The dump's bytes, decompressed by what its first bytes say it is (not its name)."""
    try:
        stream = stack.enter_context(open(path, "rb"))
    except OSError as error:
        raise BadInput(f"cannot read the dump {path}: {error.strerror}") from None
    magic = stream.read(3)
    stream.seek(0)
    if magic.startswith(_GZIP_MAGIC):
        return stack.enter_context(gzip.GzipFile(fileobj=stream, mode="rb"))  # type: ignore[return-value]
    if magic == _BZIP2_MAGIC:
        return stack.enter_context(bz2.BZ2File(stream, mode="rb"))  # type: ignore[return-value]
    return stream
