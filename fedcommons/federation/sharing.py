"""Several server processes on one PostgreSQL database (`serve --workers N`, or `serve` on
several machines): who this process is, and how it shares the work with the others.

Queued work (inbox items, deliveries) is claimed row by row with FOR UPDATE SKIP LOCKED
(store.inbox.claim, store.deliveries.claim_due) and held for `lease` seconds, renewed
while the process works on it: a process that dies leaves claims that lapse, and another
takes the work. Periodic work (a round of syncs, settling, housekeeping) is done by
whichever process holds its lease (store.leases). Processes wake each other with
LISTEN/NOTIFY (store.notices), so `poll` is only the net under a lost notification.

On SQLite one process serves the node: there is no `Sharing`, nothing is claimed, and
the workers poll as they always have.
"""

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass, field
from typing import Callable

from ..node import Node
from ..store import leases

log = logging.getLogger("fedcommons.sharing")

# How long a claim holds without being renewed: longer than any one step of the work
# (a POST, a fetch) takes, since a claim renewed late may already be another's.
LEASE_SECONDS = 120.0
# With notifications, looking for work without one is only a safety net.
POLL_SECONDS = 30.0


@dataclass
class Sharing:
    """This process's name among those sharing the database (`holder`), how long its
    claims hold (`lease`), and how often its workers look for work unannounced (`poll`)."""

    holder: str
    lease: float = LEASE_SECONDS
    poll: float = POLL_SECONDS
    clock: Callable[[], float] = field(default=time.time)

    def until(self) -> float:
        """When a claim taken or renewed now lapses."""
        return self.clock() + self.lease

    @contextlib.asynccontextmanager
    async def renewing(self, writer, renew_claims):
        """While the body runs, renew this process's claims every third of the lease
        (`renew_claims(db, holder, until)`, a store function)."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(self.lease / 3)
                try:
                    await writer.statement(renew_claims, self.holder, self.until())
                except Exception as exc:  # noqa: BLE001  the next round tries again; the lease has slack
                    log.warning("could not renew the claims of %s: %s", self.holder, exc)

        task = asyncio.get_running_loop().create_task(renew(), name="claim-renewal")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def lead(self, writer, name: str, seconds: float) -> bool:
        """Whether this process holds the lease on `name` for the next `seconds` (taking it
        if nobody holds it): the process that does that periodic work now."""
        now = self.clock()
        return await writer.statement(leases.take, name, self.holder, now, now + seconds)

    async def give_back(self, writer, name: str) -> None:
        """Let another process take `name` at once (the work is done)."""
        await writer.statement(leases.give_back, name, self.holder)


def sharing_for(node: Node) -> Sharing | None:
    """How this process shares a PostgreSQL database with other server processes; None on
    SQLite. The node's settings `claim_lease_seconds` and `shared_poll_seconds` change the
    defaults (LEASE_SECONDS, POLL_SECONDS)."""
    if not node.db.on_postgresql:
        return None
    extra = node.config.extra
    holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    return Sharing(holder, lease=float(extra.get("claim_lease_seconds", LEASE_SECONDS)),
                   poll=float(extra.get("shared_poll_seconds", POLL_SECONDS)))
