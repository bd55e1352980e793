"""A node: its settings, its database and its keys (`home.py` opens one from a node home)."""

import time
from collections.abc import Callable, Sequence
from functools import cached_property, lru_cache

from . import urls
from .config import Config
from .keystore import KeyStore
from .sig.note import NoteSigner
from .store.database import Database
from .store.db import open_db

NODE_NAME = "node"


# Called by the log writer inside an append's transaction with the node and what was
# appended (log entries with the pending activities they hold). Services define them,
# whoever assembles the node (`home.py`) chooses them.
AfterAppend = Callable[["Node", list], None]


class Node:
    """One node, one base URL, one log."""

    def __init__(self, config: Config, db: Database, after_append: Sequence[AfterAppend] = (),
                 hold: str | None = None):
        self.config = config
        self.db = db
        self.keys = KeyStore(config.keys)
        self.after_append = tuple(after_append)
        # Why the log may not grow now (a restored node not yet reconciled), or None.
        self.hold = hold

    def reopen(self, *, readonly: bool = False) -> "Node":
        """Another handle on this node, on a connection of its own, with the same hooks."""
        return Node(self.config, open_db(self.config.database, readonly=readonly), self.after_append, self.hold)

    @property
    def url(self) -> str:
        return self.config.url

    @property
    def actor_id(self) -> str:
        """The instance actor, which signs checkpoints."""
        return urls.node_actor(self.config.url)

    @cached_property
    def note_signer(self):
        """Signs checkpoints as C2SP signed notes with the node's Ed25519 key."""
        return NoteSigner(self.config.origin, self.keys.ed25519("node", NODE_NAME))

    def close(self) -> None:
        self.db.conn.close()


def now() -> str:
    """UTC now as ActivityStreams wants it: ISO 8601 with a Z, whole seconds."""
    return utc_stamp(time.time())


def utc_stamp(seconds: float) -> str:
    """POSIX seconds written as `now()` writes them (earlier stamps sort first)."""
    return _whole_second(int(seconds))


@lru_cache(maxsize=1)  # a bulk import asks thousands of times a second
def _whole_second(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
