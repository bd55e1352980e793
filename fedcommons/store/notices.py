"""Several server processes on one PostgreSQL database wake each other: a store function
that queues work (an inbox item, an outgoing activity, a delivery made due) announces it
with NOTIFY, delivered when its transaction commits, and each process keeps one `Listener`
connection that hands what it hears to its workers. Without it they would have to poll.

The payload is the schema the database's tables live in, so that nodes sharing a database
in schemas of their own (as the tests' nodes do) do not wake each other. On SQLite one
process serves, its workers are told in-process, and `announce` does nothing.
"""

import asyncio
import logging
from typing import Callable

from .database import Database

log = logging.getLogger("fedcommons.notices")

INBOX = "fedcommons_inbox"  # an inbox item was stored
DELIVERIES = "fedcommons_deliveries"  # an outgoing activity, or deliveries that are due now
CHANNELS = (INBOX, DELIVERIES)
# After losing the server, listen again after this long (doubling up to RECONNECT_MAX).
RECONNECT_FIRST, RECONNECT_MAX = 0.5, 30.0


def announce(db: Database, channel: str) -> None:
    """Tell every process listening on `channel` (on commit of the caller's transaction)."""
    if db.on_postgresql:
        db.conn.execute("SELECT pg_notify(?, current_schema())", (channel,))


class Listener:
    """One connection that LISTENs on `CHANNELS` and calls `heard(channel)` for each
    notification about this node's schema. After a lost connection it listens again and
    calls `heard` for every channel, since what was announced meanwhile went unheard."""

    def __init__(self, url: str, heard: Callable[[str], None]):
        self.url, self.heard = url, heard
        self.listening = asyncio.Event()  # set while LISTEN is in force (for tests)
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="notice-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        import psycopg  # only a node on PostgreSQL listens, and SQLite needs no driver

        delay = RECONNECT_FIRST
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url, autocommit=True,
                                                                 connect_timeout=10) as conn:
                    schema = (await (await conn.execute("SELECT current_schema()")).fetchone())[0]
                    for channel in CHANNELS:
                        await conn.execute(f"LISTEN {channel}")
                    if delay > RECONNECT_FIRST:  # listening again: catch up on what went unheard
                        for channel in CHANNELS:
                            self.heard(channel)
                    delay = RECONNECT_FIRST
                    self.listening.set()
                    log.info("listening for work announced by other processes")
                    async for notice in conn.notifies():
                        if notice.payload == schema:
                            self.heard(notice.channel)
            except (OSError, psycopg.Error) as exc:
                log.warning("listening for other processes' work failed (%s); again in %g s",
                            str(exc).strip(), delay)
            self.listening.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX)
