"""Following live wikis from the server: each ``--mediawiki-api`` source imported on a schedule.

Every ``interval`` seconds (``wiki_interval`` in the node's settings, an hour by default)
the worker reads each live-wiki source from its cursor, one source at a time, through the
polite client (one request at a time, paced; see :mod:`.wiki_client`), and records what
is new through the server's writer in chunks of :data:`CHUNK` revisions, each chunk a run
of its own with its cursor, so no write holds the writer long and a stop loses nothing
recorded. A source that fails is logged and tried again next round.
"""

from __future__ import annotations

import asyncio
import logging

from ..errors import FedcommonsError
from ..node import Node
from ..services.importing import sources as source_service
from ..store.writer import Direct, Writer
from .background import Background
from .wiki_client import MIN_INTERVAL, WikiClient

log = logging.getLogger("fedcommons.wikis")

INTERVAL = 3600.0
FIRST_DELAY = 30.0
CHUNK = 1_000  # revisions a writer call records


class WikiWorker(Background):
    """Imports what is new in each live wiki the node follows; one per server process."""

    name = "wiki-worker"

    def __init__(self, node: Node, *, writer: Writer | None = None, interval: float | None = None,
                 first_delay: float = FIRST_DELAY, chunk: int = CHUNK, sharing=None):
        super().__init__(sharing)
        self.node = node
        self.writer = writer or Direct(node)
        extra = node.config.extra
        self.interval = float(interval if interval is not None else extra.get("wiki_interval", INTERVAL))
        self.request_interval = float(extra.get("wiki_request_interval", MIN_INTERVAL))
        self.first_delay = first_delay
        self.chunk = chunk
        self.rounds = 0
        self.last_errors: dict[str, str] = {}

    async def _run(self) -> None:
        await asyncio.sleep(self.first_delay)
        while True:
            try:
                if await self._leading(self.name, self.interval):
                    await self.run_round()
            except Exception:  # keep the worker alive; the next round tries again
                log.exception("wiki round failed")
            await asyncio.sleep(self.interval)

    async def run_round(self) -> dict[str, int]:
        """Follow every live-wiki source once; returns the revisions read from each."""
        read: dict[str, int] = {}
        for row in source_service.network_sources(self.node):
            try:
                read[row.name] = await self.follow(row)
                self.last_errors.pop(row.name, None)
            except FedcommonsError as exc:
                self.last_errors[row.name] = str(exc)
                log.warning("following %s failed: %s", row.location, exc)
        self.rounds += 1
        return read

    async def follow(self, row) -> int:
        """Read one source from its cursor and record what is new, a chunk at a time."""
        client = WikiClient(row.location, node_url=self.node.url,
                            allow_private=self.node.config.allow_private_addresses,
                            min_interval=self.request_interval)
        count = 0
        try:
            source = source_service.open_source(row, lambda url: client)
            chunk = []
            async for read in source.read_async(row.cursor):  # type: ignore[attr-defined]
                chunk.append(read)
                if len(chunk) >= self.chunk:
                    await self.writer.run(source_service.record_reads, row.name, chunk,
                                          times_fixed=source.times_fixed)
                    count += len(chunk)
                    chunk = []
            if chunk:
                await self.writer.run(source_service.record_reads, row.name, chunk,
                                      times_fixed=source.times_fixed)
                count += len(chunk)
        finally:
            await client.close()
        log.info("followed %s: %d revisions read", row.location, count)
        return count
