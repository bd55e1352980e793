"""Keeping mirrors in the server: the logs of the nodes whose pools local actors follow.

Every ``interval`` seconds (``sync_interval`` in the node's settings, 300 by default)
the worker syncs each such node in turn, at most ``max_pages`` pages per node and round
(the next round resumes), and asks each one to cosign our latest checkpoint when it has
not yet. It is polite by construction: one peer at a time, one request at a time, every
request under the client's timeout. Checking entries runs in a worker thread on a
database connection of its own, so the server keeps answering while a large log syncs.
"""

from __future__ import annotations

import asyncio
import logging

from .. import urls
from ..errors import FedcommonsError
from ..node import Node
from ..services.replication.sync import MAX_PAGE_BYTES, TIMEOUT, sync_peer
from ..store import actors as actor_store
from ..store import follows as follow_store
from ..store import log as log_store
from ..store import witness as witness_store
from ..store.writer import Writer
from .background import Background
from .client import Client
from .witnessing import request_cosignature

log = logging.getLogger("fedcommons.sync")

INTERVAL = 300.0
FIRST_DELAY = 5.0
MAX_PAGES = 20
MAX_PEERS = 100


def followed_nodes(node: Node) -> list[str]:
    """Base URLs of the remote nodes hosting pools that local actors follow."""
    found: dict[str, None] = {}
    for local in actor_store.local_actors(node.db):
        for followee in follow_store.following(node.db, local.id):
            row = actor_store.actor(node.db, followee)
            home = urls.home_of_pool(followee)
            if row is None or row.local or row.kind != "pool" or home is None:
                continue
            found.setdefault(home)
    return list(found)[:MAX_PEERS]


class SyncWorker(Background):
    """Syncs followed nodes' logs in the background; one per server process."""

    name = "sync-worker"

    def __init__(self, node: Node, *, interval: float | None = None, max_pages: int = MAX_PAGES,
                 first_delay: float = FIRST_DELAY, writer: Writer | None = None):
        super().__init__()
        self.node = node
        self.writer = writer
        self.interval = float(interval if interval is not None else node.config.extra.get("sync_interval", INTERVAL))
        self.max_pages = max_pages
        self.first_delay = first_delay
        self.rounds = 0
        self.last_errors: dict[str, str] = {}
        self._wake = asyncio.Event()
        self._own: Node | None = None
        self._client = None

    def start(self) -> None:
        """Start the loop (in the running event loop)."""
        # A connection of its own, to check pages in a worker thread; they are written by
        # the server's writer (or, without one, from that thread).
        self._own = self.node.reopen(readonly=self.writer is not None)
        self._client = Client(self._own, timeout=TIMEOUT, max_bytes=MAX_PAGE_BYTES, writer=self.writer)
        super().start()

    async def stop(self) -> None:
        """Stop the loop and close what it opened."""
        await super().stop()
        if self._client is not None:
            await self._client.close()
        if self._own is not None:
            self._own.close()

    def wake(self) -> None:
        """Run a round now."""
        self._wake.set()

    async def _run(self) -> None:
        await self._sleep(self.first_delay)
        while True:
            try:
                await self.run_round()
            except Exception:  # keep the worker alive; the next round tries again
                log.exception("sync round failed")
            await self._sleep(self.interval)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    async def run_round(self) -> None:
        """Sync every followed node once (bounded), then ask it to witness our log."""
        own = self._own
        for url in followed_nodes(own):
            try:
                result = await sync_peer(own, self._client, url, max_pages=self.max_pages, writer=self.writer)
                self.last_errors.pop(url, None)
                log.info("synced %s: %d new entries, size %d of %d", url, result.fetched, result.size,
                         result.checkpoint_size)
            except FedcommonsError as exc:
                self.last_errors[url] = str(exc)
                log.warning("sync of %s failed: %s", url, exc)
                continue
            await self._ask_witness(url)
        self.rounds += 1

    async def _ask_witness(self, url: str) -> None:
        own = self._own
        latest = log_store.latest_checkpoint(own.db)
        peer = witness_store.witness_peer(own.db, url)
        if latest is None or (peer is not None and peer.cosigned_size == latest[0]):
            return
        try:
            await request_cosignature(own, self._client, url, writer=self.writer)
        except FedcommonsError as exc:
            log.info("%s did not cosign our checkpoint: %s", url, exc)
