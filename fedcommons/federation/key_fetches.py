"""Key fetches shared between concurrent requests, and limited when nobody is verified yet.

Anyone may POST to an inbox naming any keyId, and fetching that key holds one of the
client's connections until the peer answers or the timeout ends it. A stranger naming a
key on a host that never answers could so take the whole pool, and first-contact
deliveries from everyone else would wait for a connection. So fetches for requests whose
signature is not verified yet run at most PER_HOST at a time for the key's host and
TOTAL at a time in all; a request whose host has no free slot waits up to WAIT seconds
for one, then is refused with 503 and ``Retry-After`` (senders retry a 503: Mastodon,
Misskey and this node's delivery worker all do, while Misskey drops a delivery refused
with a 4xx such as 401).

Concurrent fetches of the same URL share one request, limited or not.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..errors import TryLater

T = TypeVar("T")

PER_HOST = 2
WAIT = 1.0
RETRY_AFTER = 30


class KeyFetches:
    """The key fetches one client is running; ``total`` should be well below its pool size."""

    def __init__(self, *, total: int, per_host: int = PER_HOST, wait: float = WAIT):
        self.total, self.per_host, self.wait = total, per_host, wait
        self._running: dict[str, asyncio.Future] = {}
        self._limited: Counter[str] = Counter()
        self._freed = asyncio.Event()

    @property
    def limited_running(self) -> int:
        """How many limited fetches hold a slot now."""
        return sum(self._limited.values())

    async def run(self, url: str, host: str, fetch: Callable[[], Awaitable[T]], *, limited: bool) -> T:
        """What ``fetch()`` returns, sharing a fetch of ``url`` already under way; with
        ``limited``, a new fetch first needs a slot for ``host``, else TryLater (503)."""
        if url not in self._running and limited:
            await self._slot(host)
        task = self._running.get(url)
        if task is None:
            task = asyncio.ensure_future(fetch())
            self._running[url] = task
            if limited:
                self._limited[host] += 1
            task.add_done_callback(lambda done: self._finished(url, host if limited else None, done))
        # A caller that gives up (its request closed) leaves the fetch to the others; the
        # slot is held until the fetch itself ends, as its connection is.
        return await asyncio.shield(task)

    async def close(self) -> None:
        """Cancel the fetches still running (the client is closing)."""
        for task in list(self._running.values()):
            task.cancel()
        await asyncio.gather(*self._running.values(), return_exceptions=True)

    def _free(self, host: str) -> bool:
        return self._limited[host] < self.per_host and self.limited_running < self.total

    async def _slot(self, host: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait
        while not self._free(host):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TryLater("the node is busy checking other signatures; try again later",
                               retry_after=RETRY_AFTER)
            freed = self._freed
            try:
                await asyncio.wait_for(freed.wait(), remaining)
            except TimeoutError:
                pass

    def _finished(self, url: str, host: str | None, task: asyncio.Future) -> None:
        self._running.pop(url, None)
        if host is not None:
            self._limited[host] -= 1
            if self._limited[host] <= 0:
                del self._limited[host]
        if not task.cancelled():
            task.exception()  # retrieved here: every caller may have gone
        # Wake every waiter; each checks its own host again.
        self._freed.set()
        self._freed = asyncio.Event()
