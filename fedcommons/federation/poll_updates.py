"""Telling the followers of a pool (or cooperative) the live count of its open proposals.

Every TICK seconds: for each proposal of this node whose final count has not gone out,
count its votes again when the log has grown since the last count and no Update of it
went out within the last INTERVAL, and queue an ``Update`` of its Question when one is
due (services.governance.polls): at most one per proposal per INTERVAL seconds, and one
at its end with the final count. Counting reads the whole log, so it runs in a worker
thread on a read-only connection, as settling does, and is paced (COST_FACTOR); only
queueing the Update goes through the writer.
"""

import asyncio
import logging
import time
from typing import Callable

from ..errors import FedcommonsError
from ..node import Node
from ..services.governance import polls
from ..services.standing.standing import on_reader
from ..standing.clock import parse_micros
from ..store import governance as governance_store
from ..store import log as log_store
from ..store.db import StoreError
from ..store.writer import Direct, Writer
from .background import Background

log = logging.getLogger("fedcommons.poll_updates")

# At most one Update per proposal per minute: often enough for a poll people watch, and
# few enough that a busy vote costs its followers' servers next to nothing (Mastodon waits
# three minutes between the Updates of its own polls).
INTERVAL = 60.0
TICK = 5.0
# After a round that counted for D seconds, the next counting waits COST_FACTOR × D, so
# that on a large, busy log (a tally reads all of it: about 1 s per 50,000 entries, see
# bench/RESULTS.md) counting takes at most about a tenth of a core; on a small log the
# wait is a fraction of a tick.
COST_FACTOR = 10


class PollUpdates(Background):
    """Queues coalesced Updates of open proposals' Questions; ``clock`` gives the time in seconds."""

    name = "poll-updates"

    def __init__(self, node: Node, *, writer: Writer | Direct | None = None, interval: float = INTERVAL,
                 tick: float | None = None, clock: Callable[[], float] = time.time, sharing=None):
        super().__init__(sharing)
        self.node, self.interval, self.clock = node, interval, clock
        self.tick = TICK if tick is None else tick
        self.writer = writer or Direct(node)
        # proposal -> (log size counted at, the live Question then): no recount while the log is unchanged.
        self._counted: dict[str, tuple[int, dict]] = {}
        self._quiet_until = float("-inf")  # (clock) no counting before this: see COST_FACTOR

    async def _run(self) -> None:
        while True:
            if await self._leading(self.name, self.tick):
                await self.round()
            await asyncio.sleep(self.tick)

    async def round(self) -> list[str]:
        """One pass; returns the ids of the Updates queued. A failure is logged and the next round tries again."""
        sent = []
        try:
            at = self.clock()
            due = await asyncio.to_thread(on_reader, self.node, lambda node: self._due(node, at))
            for announcement in due:
                sent.append(await self.writer.run(polls.announce, announcement, at=at))
        except (FedcommonsError, StoreError) as exc:
            log.warning("sending poll counts failed: %s", exc)
        return sent

    def _due(self, node: Node, at: float) -> list[polls.Announcement]:
        if at < self._quiet_until:
            return []
        started = time.monotonic()
        try:
            return self._count_due(node, at)
        finally:
            self._quiet_until = at + COST_FACTOR * (time.monotonic() - started)

    def _count_due(self, node: Node, at: float) -> list[polls.Announcement]:
        size = log_store.log_size(node.db)
        rows = governance_store.unannounced(node.db)
        self._counted = {row.id: self._counted[row.id] for row in rows if row.id in self._counted}
        due = []
        for row in rows:
            held = governance_store.poll_update(node.db, row.id)
            if held is not None and at - held[2] < self.interval and at < parse_micros(row.end_time) / 1_000_000:
                continue  # an Update went out within the interval: none may go now, so do not count
            counted = self._counted.get(row.id)
            if counted is None or counted[0] != size:
                counted = (size, polls.live_question(node, row.id, at))
                self._counted[row.id] = counted
            question = counted[1]
            if at >= polls.end_of(question) and "closed" not in question:
                question = polls.live_question(node, row.id, at)  # the final count, as of the end
            announcement = polls.plan(node, row.id, at=at, interval=self.interval, question=question)
            if announcement is not None:
                due.append(announcement)
        return due
