"""Processing accepted inbox items in the background, in the order they arrived.

An item whose processing fails (it needs a document from a server that is down, say) is
tried again after a wait that grows with each failure (``store.inbox.retry_delay``), and
marked failed after ``store.inbox.MAX_ATTEMPTS``; the items behind it go on meanwhile.
"""

import asyncio
import logging
import time
from typing import Callable

from ..errors import FedcommonsError
from ..node import Node, utc_stamp
from ..store import inbox as inbox_store
from ..store.writer import Direct, Writer
from .background import Background
from .processing import process

log = logging.getLogger("fedcommons.inbox")

# When nothing signals new work (another process wrote, or a retry is due) look again this often.
POLL_SECONDS = 1.0


class InboxWorker(Background):
    """Reads persisted inbox items and processes them, one at a time."""

    name = "inbox-worker"

    def __init__(self, node: Node, client, delivery=None, *, poll: float = POLL_SECONDS,
                 clock: Callable[[], float] = time.time, writer: Writer | Direct | None = None):
        super().__init__()
        self.node, self.client, self.delivery = node, client, delivery
        # In the server, `node` only reads; effects and outcomes are written by the writer.
        self.writer = writer or Direct(node)
        self.poll, self.clock = poll, clock
        self._event = asyncio.Event()

    def notify(self) -> None:
        """A new item was persisted: process it now."""
        self._event.set()

    async def _run(self) -> None:
        while True:
            try:
                busy = await self.process_waiting()
            except Exception:  # keep the worker alive; the item stays queued and is retried
                log.exception("inbox processing failed")
                busy = False
            if not busy:
                try:
                    await asyncio.wait_for(self._event.wait(), self.poll)
                except asyncio.TimeoutError:
                    pass
                self._event.clear()

    async def process_waiting(self) -> bool:
        """Process what is waiting; True if anything was.

        Outcomes are recorded for the whole batch in one transaction: a commit per item
        cost a durable write each and slowed the inbox itself under load. Should the
        process die before that commit, the batch is processed again, and every handler
        is idempotent (the log deduplicates, follows are upserts, claims are looked up).
        """
        moment = self.clock()
        items = inbox_store.waiting(self.node.db, utc_stamp(moment))
        outcomes: list[tuple[int, str, str | None]] = []
        failures: list[tuple[inbox_store.InboxItem, str]] = []
        for item in items:
            try:
                state, note = await process(self.node, self.writer, self.client, item)
            except FedcommonsError as exc:
                log.warning("inbox item %s (%s) failed: %s", item.id, item.activity_id, exc)
                failures.append((item, str(exc)))
                continue
            outcomes.append((item.id, state, note))
            log.info("inbox %s %s%s", item.activity_id, state, f" ({note})" if note else "")
        if items:
            at = utc_stamp(self.clock())
            retries = [(item, error, utc_stamp(self.clock() + inbox_store.retry_delay(item.attempts + 1)))
                       for item, error in failures]
            await self.writer.transact(inbox_store.record_outcomes, outcomes, retries, at)
            if self.delivery is not None:
                self.delivery.notify()
        return bool(items)
