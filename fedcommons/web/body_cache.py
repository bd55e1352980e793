"""Response bodies kept while nothing they were made from has changed.

A pool's page and its standing document are what people open most, and rendering the
page (names, the share chart, the tables) costs the event loop milliseconds each time.
A body is kept under a key that names everything it was made from:

- the request's path and query (the anonymous header's "sign in" link returns there);
- the database's state: SQLite's ``PRAGMA data_version`` on the server's read
  connection, which moves on every commit of any other connection (the writer thread,
  a CLI command), so a new log entry, a new name or a block is served at once;
- the current second, since a standing without ``asOf`` is as of now, to the second.

Only what is the same for every viewer is kept: a signed-in person's page names them
and carries their form tokens, so it is rendered for each request instead.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable

from ..node import Node
from ..store.db import data_version

# A few pools, each with a page and a document under a few queries; old seconds fall out.
KEPT = 64


class BodyCache:
    """The last :data:`KEPT` bodies by key, oldest dropped first."""

    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._bodies: OrderedDict[Hashable, bytes] = OrderedDict()

    def get(self, key: Hashable) -> bytes | None:
        """The body kept under ``key``, or None."""
        body = self._bodies.get(key)
        if body is not None:
            self._bodies.move_to_end(key)
        return body

    def put(self, key: Hashable, body: bytes) -> None:
        """Keep ``body`` under ``key``."""
        self._bodies[key] = body
        self._bodies.move_to_end(key)
        while len(self._bodies) > self._kept:
            self._bodies.popitem(last=False)


def state_key(node: Node, *parts: Hashable) -> tuple:
    """A key for a body made from ``node``'s database as it is now, in this second, and ``parts``."""
    return (data_version(node.db), int(time.time()), *parts)
