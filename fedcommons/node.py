"""A node: its settings, its database and its keys, opened from a node home."""

import os
import time
from functools import cached_property, lru_cache
from pathlib import Path

from sqlite_utils import Database

from . import urls
from .config import Config, load_config, normalise_url, save_config
from .errors import HomeError
from .keystore import KeyStore
from .store.db import open_db

NODE_NAME = "node"


class Node:
    """One node, one base URL, one log."""

    def __init__(self, config: Config, db: Database):
        self.config = config
        self.db = db
        self.keys = KeyStore(config.keys)

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
        from .sig.note import NoteSigner

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


def open_node(home: Path) -> Node:
    """Open an initialised node home."""
    config = load_config(home)
    return Node(config, open_db(config.database))


def init_node(home: Path, url: str, *, allow_private_addresses: bool = False) -> Node:
    """Create a node home: settings, database, node keys, and the log's first entry."""
    from .services.actors import create_node_actor

    url = normalise_url(url)
    if (home / "config.json").exists():
        raise HomeError(f"{home} is already a node home; choose another --home")
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    config = Config(home=home, url=url, allow_private_addresses=allow_private_addresses)
    node = Node(config, open_db(config.database, create=True))
    create_node_actor(node)
    # config.json is written last: a home without it is an interrupted init, not a node.
    save_config(config)
    return node
