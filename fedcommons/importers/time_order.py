"""Items put back in time order, in bounded memory: an external sort spooled to disk.

A wiki's revisions come page by page (a dump) or are held back per page until no later
revision can flag them (both readers), but effort rules such as ``sessions/1`` measure a
person's edits in the order they were made. :class:`TimeOrder` takes items in any order
and gives them back ordered by (time, key order), holding at most ``chunk`` of them in
memory: full chunks are sorted and pickled to a temporary file, and the files are merged.
"""

from __future__ import annotations

import heapq
import pickle
import tempfile
from typing import IO, Iterator

from .items import Item

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
        streams = [_unpickled(spool) for spool in self._files]
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
        # One pickle per entry, length first: a shared Unpickler's memo would keep every
        # entry it ever read alive until the merge ends.
        for entry in self._buffer:
            data = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
            spool.write(len(data).to_bytes(4, "little"))
            spool.write(data)
        spool.seek(0)
        self._files.append(spool)
        self._buffer = []


def _first(entry: tuple) -> tuple:
    return entry[0]


def _unpickled(spool: IO[bytes]) -> Iterator[tuple[tuple, Item]]:
    # Only files this process wrote a moment ago are unpickled.
    while head := spool.read(4):
        yield pickle.loads(spool.read(int.from_bytes(head, "little")))
