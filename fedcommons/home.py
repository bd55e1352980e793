"""Opening and creating a node home: the one place a node is assembled, with what runs
after every append to its log (projections, the per-pool index, then the delivery queue)."""

import os
import shutil
import tempfile
from pathlib import Path

from .config import CONFIG_FILE, RECONCILE_FILE, Config, load_config, normalise_url, save_config
from .errors import HomeError
from .node import AfterAppend, Node
from .services.actors.actors import create_node_actor
from .services.log import outbox, pool_index, projection
from .services.log.log_writer import Appended
from .services.standing import pool_state
from .store.db import check_server_url, open_db, refuse_used_database


def project(node: Node, appended: list[Appended]) -> None:
    """Keep the tables read for pools, contributions, follows... in step with the log."""
    projection.apply_all(node, [(entry.idx, pending.activity) for entry, pending in appended])


def index_pools(node: Node, appended: list[Appended]) -> None:
    """File new entries under the pools they concern, so a pool's standing reads only its own."""
    touched = pool_index.index_appended(node, [(entry.idx, pending.activity) for entry, pending in appended])
    pool_state.refresh_snapshots(node, touched, [(entry, pending.activity) for entry, pending in appended])


def queue_for_delivery(node: Node, appended: list[Appended]) -> None:
    """Queue what local actors wrote; the running server delivers it, even when a CLI
    process wrote it."""
    local = [(pending.activity, entry.body) for entry, pending in appended if pending.local]
    outbox.enqueue_all(node, local, appended[0][0].recorded_at)


AFTER_APPEND: tuple[AfterAppend, ...] = (project, index_pools, queue_for_delivery)


def open_node(home: Path) -> Node:
    """Open an initialised node home (one restored but not yet reconciled appends nothing)."""
    config = load_config(home)
    return Node(config, open_db(config.database), AFTER_APPEND, hold=pending_reconciliation(home))


def pending_reconciliation(home: Path) -> str | None:
    """Why a restored home may not append yet, or None when it may."""
    if not (home / RECONCILE_FILE).exists():
        return None
    return (f"{home} was restored from a backup and has not caught up with what its peers hold of "
            "its log; it appends nothing until it has, so that it never signs a checkpoint contradicting "
            "one it signed before: run `fedcommons reconcile` (--peer URL to ask a node that mirrors it, "
            "--accept-loss to go on without what they may hold)")


def default_database(home: Path) -> str | None:
    """Where a new home's data live when init names no database: in the home's SQLite file.
    (The tests replace it to run the same suite on PostgreSQL.)"""
    return None


def init_node(home: Path, url: str, *, allow_private_addresses: bool = False, database: str | None = None) -> Node:
    """Create a node home: settings, database, node keys, and the log's first entry.

    `database`: a PostgreSQL URL for the node's data (created if the server has none by
    that name; it must hold no node yet); none: the default (a SQLite file in the home).

    All or nothing: a new home is built in a hidden directory beside it and renamed into
    place, so even a killed init leaves no half-made home; an existing empty directory (a
    mounted volume, say) is filled in place and emptied again if anything fails.
    """
    url = normalise_url(url)
    database = check_server_url(database if database is not None else default_database(home))
    if home.exists():
        _check_empty(home)
        try:
            _build_home(home, url, allow_private_addresses, database)
        except BaseException:
            _empty(home)
            raise
        return open_node(home)
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{home.name}.", suffix=".init", dir=home.parent))
    try:
        _build_home(staging, url, allow_private_addresses, database)
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


def _build_home(home: Path, url: str, allow_private_addresses: bool, database: str | None) -> None:
    # The home holds private keys: only its owner may look inside, whatever the umask.
    os.chmod(home, 0o700)
    config = Config(home=home, url=url, allow_private_addresses=allow_private_addresses, database_url=database)
    if database is not None:
        refuse_used_database(database)
    node = Node(config, open_db(config.database, create=True), AFTER_APPEND)
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
