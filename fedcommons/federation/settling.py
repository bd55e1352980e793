"""Settling proposals while the server runs: every INTERVAL seconds, each proposal whose
end has passed is tallied and, when adopted, applied (services.governance.tallies).

The tally reads the whole log, so it is counted in a worker thread on a read-only
connection of its own; only recording the outcome (and the pool's Update) goes through
the writer, which stays free for everything else meanwhile."""

import asyncio
import logging

from ..errors import FedcommonsError
from ..node import Node, now
from ..services.governance.tallies import final_tally, record_settlement
from ..services.standing.standing import on_reader
from ..store import governance as governance_store
from ..store.db import StoreError
from ..store.writer import Direct, Writer
from .background import Background

log = logging.getLogger("fedcommons.settling")

# A proposal is applied within this many seconds of its end; the check is one indexed query.
INTERVAL = 15.0


class Settling(Background):
    """Settles due proposals at start, then every ``interval`` seconds."""

    name = "settling"

    def __init__(self, node: Node, *, interval: float = INTERVAL, writer: Writer | Direct | None = None,
                 sharing=None):
        super().__init__(sharing)
        self.node, self.interval = node, interval
        self.writer = writer or Direct(node)

    async def _run(self) -> None:
        while True:
            if await self._leading(self.name, self.interval):
                await self.settle()
            await asyncio.sleep(self.interval)

    async def settle(self) -> None:
        """One round; a failure is logged and the next round tries again."""
        try:
            due = await asyncio.to_thread(on_reader, self.node, lambda node: governance_store.due(node.db, now()))
            for row in due:
                result = await asyncio.to_thread(on_reader, self.node, lambda node: final_tally(node, row.id))
                proposal, outcome, update = await self.writer.run(record_settlement, result)
                log.info("settled %s: %s%s", proposal, outcome, f", applied by {update}" if update else "")
        except (FedcommonsError, StoreError) as exc:
            log.warning("settling proposals failed: %s", exc)
