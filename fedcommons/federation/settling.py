"""Settling proposals while the server runs: every INTERVAL seconds, each proposal whose
end has passed is tallied and, when adopted, applied (services.governance.tallies)."""

import asyncio
import logging

from ..errors import FedcommonsError
from ..node import Node
from ..services.governance.tallies import settle_due
from ..store.db import StoreError
from ..store.writer import Direct, Writer
from .background import Background

log = logging.getLogger("fedcommons.settling")

# A proposal is applied within this many seconds of its end; the check is one indexed query.
INTERVAL = 15.0


class Settling(Background):
    """Settles due proposals at start, then every ``interval`` seconds."""

    name = "settling"

    def __init__(self, node: Node, *, interval: float = INTERVAL, writer: Writer | Direct | None = None):
        super().__init__()
        self.node, self.interval = node, interval
        self.writer = writer or Direct(node)

    async def _run(self) -> None:
        while True:
            await self.settle()
            await asyncio.sleep(self.interval)

    async def settle(self) -> None:
        """One round; a failure is logged and the next round tries again."""
        try:
            settled = await self.writer.run(settle_due)
        except (FedcommonsError, StoreError) as exc:
            log.warning("settling proposals failed: %s", exc)
            return
        for proposal, outcome, update in settled:
            log.info("settled %s: %s%s", proposal, outcome, f", applied by {update}" if update else "")
