"""A node: its settings, its database and its keys, opened from a node home."""

import os
import shutil
import tempfile
import time
from functools import cached_property, lru_cache
from pathlib import Path

from sqlite_utils import Database

from . import urls
from .config import CONFIG_FILE, Config, load_config, normalise_url, save_config
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
    """Create a node home: settings, database, node keys, and the log's first entry.

    All or nothing: a new home is built in a hidden directory beside it and renamed into
    place, so even a killed init leaves no half-made home; an existing empty directory (a
    mounted volume, say) is filled in place and emptied again if anything fails.
    """
    url = normalise_url(url)
    if home.exists():
        _check_empty(home)
        try:
            _build_home(home, url, allow_private_addresses)
        except BaseException:
            _empty(home)
            raise
        return open_node(home)
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{home.name}.", suffix=".init", dir=home.parent))
    try:
        _build_home(staging, url, allow_private_addresses)
        staging.rename(home)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return open_node(home)


def _check_empty(home: Path) -> None:
    if not home.is_dir():
        raise HomeError(f"{home} is not a directory; choose another --home")
    if (home / CONFIG_FILE).exists():
        raise HomeError(f"{home} is already a node home; choose another --home")
    if any(home.iterdir()):
        raise HomeError(f"{home} is not empty and not a node home (an interrupted init?); "
                        "choose a new or empty directory")


def _build_home(home: Path, url: str, allow_private_addresses: bool) -> None:
    from .services.actors import create_node_actor

    # The home holds private keys: only its owner may look inside, whatever the umask.
    os.chmod(home, 0o700)
    config = Config(home=home, url=url, allow_private_addresses=allow_private_addresses)
    node = Node(config, open_db(config.database, create=True))
    try:
        create_node_actor(node)
        # config.json is written last: a home without it is an interrupted init, not a node.
        save_config(config)
    finally:
        node.close()


def _empty(home: Path) -> None:
    """Remove what a failed init wrote into a directory that was empty before it."""
    for child in home.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
