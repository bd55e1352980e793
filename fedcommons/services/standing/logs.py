"""The logs a figure is computed from, as this node holds them: its own, or its verified
mirror of another node's (replicated on demand)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ... import urls
from ...errors import BadInput, FedcommonsError, IntegrityError
from ...log.merkle import root_at
from ...node import Node
from ...store import log as log_store
from ...store import mirrors as mirror_store
from ...store import redactions as redaction_store
from ..log.log_writer import lookup
from ..replication import mirrors as mirror_service
from ..replication.sync import MAX_PAGE_BYTES, TIMEOUT, sync_peer

if TYPE_CHECKING:  # the type only: the client is an edge's, handed in
    from ...federation.client import Client


@dataclass(frozen=True)
class LogView:
    """A log as this node holds it (its own, or a mirror of a peer's), read-only."""

    origin: str
    size: int  # the size of the newest checkpoint held
    entries: Callable[[int, int], Iterator]  # rows with .body (bytes or None) and .leaf_hash
    root_at: Callable[[int], bytes]
    # Redacted entries: index -> the figures their notices retained (docs/methods.md, "Redaction").
    retained: Callable[[], Mapping[int, bytes]] = dict
    # Where another process can open the same entries: (database path, the mirrored origin,
    # or None for the node's own log); None when it cannot (see .parallel).
    source: tuple[str, str | None] | None = None

    def checkpoint(self, tree_size: int | None = None) -> dict:
        """``{origin, treeSize, rootHash}`` at ``tree_size`` (default: the newest checkpoint)."""
        size = self.size if tree_size is None else tree_size
        if type(size) is not int or size < 1:
            raise BadInput(f"treeSize must be a whole number of entries >= 1, got {size!r}")
        if size > self.size:
            raise BadInput(f"treeSize {size} is beyond the {self.size} entries of the log of {self.origin}")
        return {"origin": self.origin, "treeSize": size,
                "rootHash": base64.b64encode(self.root_at(size)).decode("ascii")}


def local_log(node: Node) -> LogView:
    """This node's own log."""
    db = node.db
    latest = log_store.latest_checkpoint(db)
    return LogView(
        origin=node.config.origin,
        size=latest[0] if latest else 0,
        entries=lambda start, stop: log_store.iter_leaves(db, start, stop),
        root_at=lambda size: root_at(size, lookup(node)),
        retained=lambda: redaction_store.redacted(db),
        source=(str(node.config.database), None),
    )


async def replicated_log(node: Node, client: Client, origin: str, *, peer: str, need: int) -> LogView:
    """:func:`mirror_log`, replicated from the peer first when it holds fewer than ``need`` entries."""
    row = mirror_store.mirror(node.db, origin)
    if row is None or row.size < need:
        await replicate(node, client, peer)
    return mirror_log(node, origin, peer=peer)


def mirror_log(node: Node, origin: str, *, peer: str) -> LogView:
    """This node's verified mirror of the log ``origin`` of the node at ``peer`` (its base URL).

    Only entries a checkpoint signed by the peer's pinned key covers are read, and never
    from a log marked as forked.
    """
    row = mirror_store.mirror(node.db, origin)
    if row is None or row.size == 0:
        raise FedcommonsError(
            f"this node holds no copy of the log of {origin}: replicate the log first with "
            f"`fedcommons sync {peer}`"
        )
    if row.forked:
        raise IntegrityError(f"the log of {origin} is marked as forked ({row.last_error}); its entries "
                             f"are not used (see `fedcommons fork show {origin}`)")
    db = node.db
    return LogView(
        origin=origin,
        size=row.size,
        entries=lambda start, stop: mirror_store.iter_entries(db, origin, start, stop),
        root_at=lambda size: root_at(size, mirror_service.lookup(node, origin)),
        retained=lambda: redaction_store.mirror_redacted(db, origin),
        source=(str(node.config.database), origin),
    )


def log_of_pool(node: Node, pool: str) -> LogView:
    """The log a pool's facts are in: ours for a local pool, else the mirror of its home
    node's (fedcommons pools live at ``{node}/pools/{slug}``)."""
    if urls.is_local(node.url, pool):
        return local_log(node)
    base = urls.home_of_pool(pool)
    row = mirror_store.mirror_by_url(node.db, base) if base else None
    if row is None:
        peer = base or "PEER_URL"
        raise FedcommonsError(
            f"{pool} is not a pool of this node, and the log of its home node is not replicated here: "
            f"replicate the log first with `fedcommons sync {peer}`"
        )
    return mirror_log(node, row.origin, peer=base)


async def replicate(node: Node, client: Client, peer: str) -> int:
    """Bring the mirror of the node at ``peer`` up to its current checkpoint; the size held."""
    pages = client.with_limits(timeout=TIMEOUT, max_bytes=MAX_PAGE_BYTES)
    return (await sync_peer(node, pages, peer)).size
