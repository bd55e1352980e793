"""Keeping mirrors in the server: the logs of the nodes whose pools local actors follow.

Every ``interval`` seconds (``sync_interval`` in the node's settings, 300 by default)
the worker syncs each such node in turn, at most ``max_pages`` pages per node and round
(the next round resumes), and asks each one to cosign our latest checkpoint when it has
not yet. It is polite by construction: one peer at a time, one request at a time, every
request under the client's timeout. Checking entries runs in a worker thread on a
database connection of its own, so the server keeps answering while a large log syncs.

Between rounds, a push brings a mirror up to date as it happens: when another server
delivers an activity signed by a key of a node whose pools are followed here, that node
is synced soon (:meth:`SyncWorker.pushed`). Pushes are coalesced: those that arrive
within ``PUSH_DELAY`` of each other, or while the node is being synced, cost one more
sync between them, never one each; a mirror far behind is brought up ``max_pages`` at a
time, one sync after another. The pushed activity itself goes nowhere near the
mirror: only the origin's own log, checked as every sync checks it, does. The periodic
round stays, as the net under the pushes (a node that was down, a push that was lost).
"""

from __future__ import annotations

import asyncio
import logging

from .. import urls
from ..errors import FedcommonsError
from ..node import Node
from ..services.replication.sync import MAX_PAGE_BYTES, TIMEOUT, SyncResult, sync_peer
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
# How long a push waits for the rest of its burst before the sync it wakes starts.
PUSH_DELAY = 0.2
# How long a push waits before looking again at a node another process is syncing.
ELSEWHERE_DELAY = 1.0
# What `_sync` gives when another server process on the database is syncing the node.
_ELSEWHERE = object()


def followed_nodes(node: Node, *, asked: bool = False) -> list[str]:
    """Base URLs of the remote nodes hosting pools that local actors follow (with `asked`,
    also those whose Follow is not answered yet)."""
    found: dict[str, None] = {}
    for followee in follow_store.followed_remote_pools(node.db, asked=asked):
        home = urls.home_of_pool(followee)
        if home is not None:
            found.setdefault(home)
    return list(found)[:MAX_PEERS]


def followed_node_of(node: Node, signer: str | None) -> str | None:
    """The base URL of the followed node on whose server ``signer`` (a key id or actor URL)
    lives; None when it is no such node's. A node whose answer to a Follow is awaited counts:
    its first push is that answer, and the mirror starts with it."""
    if not isinstance(signer, str) or not signer.startswith(("https://", "http://")):
        return None
    try:
        return next((home for home in followed_nodes(node, asked=True) if urls.same_origin(home, signer)), None)
    except ValueError:  # a URL with an unreadable port: no node of ours
        return None


class SyncWorker(Background):
    """Syncs followed nodes' logs in the background; one per server process."""

    name = "sync-worker"

    def __init__(self, node: Node, *, interval: float | None = None, max_pages: int = MAX_PAGES,
                 first_delay: float = FIRST_DELAY, writer: Writer | None = None, sharing=None):
        super().__init__(sharing)
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
        self.pushes = 0  # activities pushed by followed nodes
        self.push_syncs = 0  # syncs those pushes woke (coalesced), for operators and tests
        self._pushed: set[str] = set()
        self._draining: asyncio.Task | None = None
        # One sync of a node at a time: a push and a round never stage pages side by side.
        self._syncing = asyncio.Lock()

    def start(self) -> None:
        """Start the loop (in the running event loop)."""
        # A connection of its own, to check pages in a worker thread; they are written by
        # the server's writer (or, without one, from that thread).
        self._own = self.node.reopen(readonly=self.writer is not None)
        self._client = Client(self._own, timeout=TIMEOUT, max_bytes=MAX_PAGE_BYTES, writer=self.writer)
        super().start()

    async def stop(self) -> None:
        """Stop the loop and close what it opened."""
        if self._draining is not None:
            self._draining.cancel()
            try:
                await self._draining
            except asyncio.CancelledError:
                pass
        await super().stop()
        if self._client is not None:
            await self._client.close()
        if self._own is not None:
            self._own.close()

    def wake(self) -> None:
        """Run a round now."""
        self._wake.set()

    def pushed(self, signer: str | None) -> str | None:
        """Another server delivered an activity signed by ``signer`` (a key id): if it is a key
        on a node whose pools are followed here, sync that node soon. Returns the node's URL,
        or None when the push concerns no mirror. Never raises: a push is only a hint."""
        if self._own is None:
            return None
        try:
            home = followed_node_of(self._own, signer)
        except FedcommonsError as exc:
            log.warning("cannot tell whether %s is a followed node: %s", signer, exc)
            return None
        if home is None:
            return None
        self.pushes += 1
        self._pushed.add(home)
        if self._draining is None or self._draining.done():
            self._draining = asyncio.get_running_loop().create_task(self._drain(), name="sync-pushes")
        return home

    @property
    def pushes_settled(self) -> bool:
        """No push waits for a sync, and no sync a push woke is running."""
        return not self._pushed and (self._draining is None or self._draining.done())

    async def _drain(self) -> None:
        while self._pushed:
            await asyncio.sleep(PUSH_DELAY)  # the rest of the burst joins this sync
            homes, self._pushed = sorted(self._pushed), set()
            for home in homes:
                self.push_syncs += 1
                try:
                    result = await self._sync(home)
                except Exception:  # a bug in one sync must not stop the pushes behind it
                    log.exception("sync of %s after a push failed", home)
                    continue
                if result is _ELSEWHERE:
                    # Another process is syncing it now, perhaps from before this push:
                    # look again once it is done rather than lose the push.
                    self._pushed.add(home)
                    await asyncio.sleep(ELSEWHERE_DELAY)
                elif result is not None and not result.complete and result.fetched:
                    self._pushed.add(home)  # a long way behind: go on, max_pages at a time

    async def _run(self) -> None:
        woken = await self._sleep(self.first_delay)
        while True:
            try:
                # Sharing the database, one process does each periodic round; a wake is
                # this process's own reason for one.
                if woken or await self._leading("sync-round", self.interval):
                    await self.run_round()
            except Exception:  # keep the worker alive; the next round tries again
                log.exception("sync round failed")
            woken = await self._sleep(self.interval)

    async def _sleep(self, seconds: float) -> bool:
        """Wait `seconds` or until woken; whether woken."""
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
            woken = True
        except TimeoutError:
            woken = False
        self._wake.clear()
        return woken

    async def run_round(self) -> None:
        """Sync every followed node once (bounded), then ask it to witness our log."""
        for url in followed_nodes(self._own):
            if await self._sync(url) not in (None, _ELSEWHERE):
                await self._ask_witness(url)
        self.rounds += 1

    async def _sync(self, url: str) -> SyncResult | None:
        """One bounded sync of one node; None (the reason kept in ``last_errors``) if it
        failed, `_ELSEWHERE` if another server process on the database is syncing it."""
        async with self._syncing:
            lease = f"sync:{url}"
            # A sync is bounded by the client's timeout per request; its lease outlasts it.
            if not await self._leading(lease, TIMEOUT * (self.max_pages + 4) / 0.9):
                return _ELSEWHERE
            try:
                result = await sync_peer(self._own, self._client, url, max_pages=self.max_pages,
                                         writer=self.writer)
            except FedcommonsError as exc:
                self.last_errors[url] = str(exc)
                log.warning("sync of %s failed: %s", url, exc)
                return None
            finally:
                if self.sharing is not None:
                    await self._give_back(lease)
        self.last_errors.pop(url, None)
        log.info("synced %s: %d new entries, size %d of %d", url, result.fetched, result.size,
                 result.checkpoint_size)
        return result

    async def _give_back(self, lease: str) -> None:
        try:
            await self.sharing.give_back(self.writer, lease)
        except Exception as exc:  # noqa: BLE001  the lease lapses by itself
            log.warning("could not give back %s: %s", lease, exc)

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
