"""Periodic clean-up while the server runs: registered OAuth clients nobody uses are
deleted (see services.accounts.oauth_clients), and what `fedcommons prune` forgets is
forgotten after the node's `prune_after_days` (services.upkeep.prune)."""

import asyncio
import logging

from ..errors import FedcommonsError
from ..node import Node
from ..services.accounts.oauth_clients import expire_unused_clients
from ..services.upkeep.prune import prune, prune_age
from ..store.db import StoreError
from ..store.writer import Direct, Writer
from .background import Background

log = logging.getLogger("fedcommons.housekeeping")

INTERVAL = 3600.0
FIRST_DELAY = 60.0


class Housekeeping(Background):
    """Runs the clean-up FIRST_DELAY seconds after start, then every INTERVAL seconds."""

    name = "housekeeping"

    def __init__(self, node: Node, *, interval: float = INTERVAL, first_delay: float = FIRST_DELAY,
                 writer: Writer | Direct | None = None, sharing=None):
        super().__init__(sharing)
        self.node, self.interval, self.first_delay = node, interval, first_delay
        self.writer = writer or Direct(node)
        self.rounds = 0

    async def _run(self) -> None:
        await asyncio.sleep(self.first_delay)
        while True:
            if await self._leading(self.name, self.interval):
                await self.clean()
            await asyncio.sleep(self.interval)

    async def clean(self) -> None:
        """One round; a failure is logged and the next round tries again."""
        try:
            removed = await self.writer.run(expire_unused_clients)
        except (FedcommonsError, StoreError) as exc:
            log.warning("housekeeping: could not expire unused OAuth clients: %s", exc)
        else:
            if removed:
                log.info("housekeeping: deleted %d unused OAuth client(s)", removed)
        try:
            pruned = await self.writer.run(prune, prune_age(self.node))
        except (FedcommonsError, StoreError) as exc:
            log.warning("housekeeping: could not prune: %s", exc)
        else:
            if any(pruned.as_dict().values()):
                log.info("housekeeping: pruned %s", ", ".join(f"{n} {k.replace('_', ' ')}"
                                                             for k, n in pruned.as_dict().items() if n))
        self.rounds += 1
