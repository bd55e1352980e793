"""Items put back in time order, in bounded memory: an external sort spooled to disk.

A wiki's revisions come page by page (a dump) or are held back per page until no later
revision can flag them (both readers), but effort rules such as ``sessions/1`` measure a
person's edits in the order they were made. :class:`TimeOrder` takes items in any order
and gives them back ordered by (time, key order), holding at most ``chunk`` of them in
memory: full chunks are sorted and written to a temporary file, and the files are merged.

Spooled items are written as tuples of plain values with ``marshal``: pickling each item
(dataclasses holding a datetime and a frozenset) and reading it back cost about 40 us, twice
what packing, marshalling and rebuilding it cost, and a fifth of reading a dump.
"""

from __future__ import annotations

import heapq
import marshal
import tempfile
from datetime import datetime
from fractions import Fraction
from typing import IO, Iterator

from .items import Item, Person

CHUNK = 20_000


class TimeOrder:
    """Collect items with :meth:`add`, then iterate :meth:`ordered` once; :meth:`close` after."""

    def __init__(self, chunk: int = CHUNK):
        self.chunk = chunk
        self.count = 0
        self._buffer: list[tuple[tuple, Item]] = []
        self._files: list[IO[bytes]] = []

    def add(self, order: tuple, item: Item) -> None:
        """Keep ``item`` to come back at its place by ``order`` (a (time, number) tuple)."""
        self._buffer.append((order, item))
        self.count += 1
        if len(self._buffer) >= self.chunk:
            self._spill()

    def ordered(self) -> Iterator[tuple[tuple, Item]]:
        """Every item added, by order."""
        self._buffer.sort(key=_first)
        streams = [_read_back(spool) for spool in self._files]
        streams.append(iter(self._buffer))
        yield from heapq.merge(*streams, key=_first)

    def close(self) -> None:
        """Delete the spool files."""
        for spool in self._files:
            spool.close()
        self._files.clear()
        self._buffer.clear()

    def __enter__(self) -> "TimeOrder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _spill(self) -> None:
        self._buffer.sort(key=_first)
        spool = tempfile.TemporaryFile(prefix="fedcommons-order-")
        # One entry at a time, length first: the merge holds one entry of each file (a
        # block of entries per file would make what it holds grow with the number of files).
        for entry in self._buffer:
            data = marshal.dumps(_packed(entry))
            spool.write(len(data).to_bytes(4, "little"))
            spool.write(data)
        spool.seek(0)
        self._files.append(spool)
        self._buffer = []


def _first(entry: tuple) -> tuple:
    return entry[0]


def _packed(entry: tuple[tuple, Item]) -> tuple:
    """An (order, item) entry as plain values marshal can write: times as ISO 8601 (their
    zone kept), a share as its fraction's text."""
    (time, number), item = entry
    people = tuple((p.identity, p.name, p.role, None if p.share is None else str(p.share), p.bot, p.anonymous, p.aka)
                   for p in item.people)
    return (time.isoformat(), number, item.key, item.time.isoformat(), item.summary, people, item.evidence,
            dict(item.metrics), item.flags, item.kind)


def _unpacked(values: tuple) -> tuple[tuple, Item]:
    time, number, key, item_time, summary, people, evidence, metrics, flags, kind = values
    persons = tuple(Person(identity, name, role, None if share is None else Fraction(share), bot, anonymous, aka)
                    for identity, name, role, share, bot, anonymous, aka in people)
    return (datetime.fromisoformat(time), number), Item(key, datetime.fromisoformat(item_time), summary, persons,
                                                        evidence, metrics, flags, kind)


def _read_back(spool: IO[bytes]) -> Iterator[tuple[tuple, Item]]:
    # Only files this process wrote a moment ago are read back.
    while head := spool.read(4):
        yield _unpacked(marshal.loads(spool.read(int.from_bytes(head, "little"))))
