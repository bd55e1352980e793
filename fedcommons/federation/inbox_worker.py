"""Processing accepted inbox items in the background, in the order they arrived.

Whatever goes wrong with one item is that item's alone: it is recorded with its reason and
the items behind it go on. An item that failed for a reason that may pass (it needs a
document from a server that is down, say) is tried again after a wait that grows with
each failure (``store.inbox.retry_delay``), and marked failed after
``store.inbox.MAX_ATTEMPTS``; any other failure (a malformed field, a bug) marks it failed
at once, since trying again would only fail again.
"""

import asyncio
import logging
import time
from typing import Callable

from ..errors import Busy, FedcommonsError, FetchError
from ..node import Node, utc_stamp
from ..store import inbox as inbox_store
from ..store.db import StoreUnavailable
from ..store.writer import Direct, Writer
from .background import Background
from .processing import process
from .sharing import Sharing

log = logging.getLogger("fedcommons.inbox")

# When nothing signals new work (another process wrote, or a retry is due) look again this often.
POLL_SECONDS = 1.0
# How many items one of several server processes claims at a time: few, so that a burst
# is spread over the processes rather than taken by the first to look.
CLAIM_BATCH = 8
# Reasons are stored and logged; an exception's message may quote a remote document at length.
MAX_REASON = 500
# Answers from another server that mean "not now" rather than "never".
_TRANSIENT_STATUSES = frozenset({408, 425, 429})


class InboxWorker(Background):
    """Reads persisted inbox items and processes them, one at a time."""

    name = "inbox-worker"

    def __init__(self, node: Node, client, delivery=None, *, poll: float = POLL_SECONDS,
                 clock: Callable[[], float] = time.time, writer: Writer | Direct | None = None,
                 sharing: Sharing | None = None):
        super().__init__(sharing)
        self.node, self.client, self.delivery = node, client, delivery
        # In the server, `node` only reads; effects and outcomes are written by the writer.
        self.writer = writer or Direct(node)
        # With other server processes on the database (PostgreSQL), items are claimed, and
        # a notification wakes the worker when another process stores one.
        self.poll, self.clock = (sharing.poll if sharing else poll), clock
        self._event = asyncio.Event()

    async def stop(self) -> None:
        await super().stop()
        if self.sharing is not None:
            try:  # the other processes need not wait for the lease to lapse
                await self.writer.statement(inbox_store.release_claims, self.sharing.holder)
            except Exception as exc:  # noqa: BLE001  the claims lapse by themselves
                log.warning("could not release this process's inbox claims: %s", exc)

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

        An item with effects commits its outcome in the transaction that makes them
        (processing._effects), so a crash or a retried batch never applies them twice.
        The outcomes of the other items (ignored, failed, to retry) are recorded together
        at the end: a commit per item would cost a durable write each and slow the inbox
        itself under load, and processing such an item again changes nothing.
        """
        if self.sharing is None:
            items = inbox_store.waiting(self.node.db, utc_stamp(self.clock()))
            return await self._process(items)
        sharing = self.sharing
        items = await self.writer.statement(inbox_store.claim, sharing.holder, utc_stamp(self.clock()),
                                            sharing.clock(), sharing.until(), CLAIM_BATCH)
        async with sharing.renewing(self.writer, inbox_store.renew_claims):
            return await self._process(items)

    async def _process(self, items: list[inbox_store.InboxItem]) -> bool:
        outcomes: list[tuple[int, str, str | None]] = []
        retries: list[tuple[inbox_store.InboxItem, str]] = []
        for item in items:
            try:
                state, note = await process(self.node, self.writer, self.client, item)
            except Exception as exc:  # noqa: BLE001  one item's failure is its own
                reason = _reason(exc)
                if transient(exc):
                    log.warning("inbox item %s (%s) failed, will retry: %s", item.id, item.activity_id, reason)
                    retries.append((item, reason))
                else:
                    # Our own errors say what was wrong; anything else is a bug worth one traceback.
                    log.warning("inbox item %s (%s) failed: %s", item.id, item.activity_id, reason,
                                exc_info=not isinstance(exc, FedcommonsError))
                    outcomes.append((item.id, "failed", reason))
                continue
            outcomes.append((item.id, state, note))
            log.info("inbox %s %s%s", item.activity_id, state, f" ({note})" if note else "")
        if items:
            at = utc_stamp(self.clock())
            later = [(item, error, utc_stamp(self.clock() + inbox_store.retry_delay(item.attempts + 1)))
                     for item, error in retries]
            await self.writer.transact(inbox_store.record_outcomes, outcomes, later, at)
            if self.delivery is not None:
                self.delivery.notify()
        return bool(items)


def transient(exc: BaseException) -> bool:
    """Whether trying again later can help: another server down, slow or busy, or our own
    database busy. A server that answered "not found" or "gone" will answer the same."""
    if isinstance(exc, Busy):
        return True
    if isinstance(exc, FetchError):
        status = exc.upstream_status
        return status is None or status >= 500 or status in _TRANSIENT_STATUSES
    if isinstance(exc, StoreUnavailable):
        return "locked" in str(exc) or "busy" in str(exc)
    return False


def _reason(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, FedcommonsError) else f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_REASON else text[:MAX_REASON - 1] + "…"
