"""The polite HTTP client for a wiki's action API: what :mod:`fedcommons.importers.mediawiki_api`
is handed as its ``fetch``.

Wikimedia's API etiquette, followed for every wiki: a User-Agent naming the node (its URL is
how an operator reaches whoever runs it), ``maxlag`` on every request so that a lagging
wiki can ask us to wait, one request at a time at a bounded rate, and a bounded number of
retries with exponential backoff on 5xx answers, network errors and ``maxlag`` refusals
(honouring ``Retry-After`` up to a cap). Connections go through the node's address policy
(:mod:`.netguard`), with a total timeout and a cap on the answer's size.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any, Awaitable, Callable, Mapping

import aiohttp

from .. import __version__
from ..errors import FetchError
from ..importers.mediawiki_api import WikiApiError
from . import netguard

MAXLAG = 5               # seconds of replication lag after which the wiki may refuse us
MIN_INTERVAL = 1.0       # seconds between two requests (one a second, one at a time)
RETRIES = 5              # attempts after the first, on 5xx, network errors and maxlag
BACKOFF = 2.0            # first wait; doubled at each retry
MAX_WAIT = 60.0          # no single wait is longer, whatever Retry-After says
TIMEOUT = 60.0
MAX_BYTES = 32 * 1024 * 1024  # an answer of 500 revisions with comments is well under this


def user_agent_for(node_url: str) -> str:
    """The User-Agent that names the software and the node (the contact a wiki asks for)."""
    return f"fedcommons/{__version__} (+{node_url}; wiki import for the node {node_url})"


class WikiClient:
    """``await client(params)``: one API query's decoded JSON, politely. Close with :meth:`close`."""

    def __init__(self, api_url: str, *, node_url: str, allow_private: bool = False,
                 session: aiohttp.ClientSession | None = None, min_interval: float = MIN_INTERVAL,
                 retries: int = RETRIES, backoff: float = BACKOFF, maxlag: int | None = MAXLAG,
                 timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep):
        self.api_url = api_url
        self.user_agent = user_agent_for(node_url)
        self.allow_private = allow_private
        self.min_interval = min_interval
        self.retries = retries
        self.backoff = backoff
        self.maxlag = maxlag
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.max_bytes = max_bytes
        self.sleep = sleep
        self.requests = 0  # sent, retries included
        self._session = session
        self._owns_session = session is None
        self._lock = asyncio.Lock()
        self._last = 0.0

    async def close(self) -> None:
        """Close the session this client made."""
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    async def __call__(self, params: Mapping[str, str]) -> dict:
        """The answer to one query; retried on 5xx, network errors and maxlag, then an error."""
        query = dict(params)
        if self.maxlag is not None:
            query["maxlag"] = str(self.maxlag)
        netguard.check_url(self.api_url, allow_private=self.allow_private)
        async with self._lock:  # one request at a time
            for attempt in range(self.retries + 1):
                await self._pace()
                wait, outcome = await self._attempt(query)
                if wait is None:
                    return outcome
                if attempt == self.retries:
                    raise FetchError(f"{self.api_url}: {outcome} (gave up after {attempt + 1} attempts)")
                await self.sleep(min(max(wait, self.backoff * 2 ** attempt), MAX_WAIT))
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _pace(self) -> None:
        gap = self._last + self.min_interval - time.monotonic()
        if gap > 0:
            await self.sleep(gap)
        self._last = time.monotonic()

    async def _attempt(self, query: dict[str, str]) -> tuple[float | None, Any]:
        """(None, answer) when done; (seconds to wait at least, why) when worth another try."""
        self.requests += 1
        try:
            async with self._session_now().get(self.api_url, params=query, allow_redirects=False,
                                               headers={"User-Agent": self.user_agent,
                                                        "Accept": "application/json"}) as response:
                body = await response.content.read(self.max_bytes + 1)
                retry_after = _seconds(response.headers.get("Retry-After"))
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            return 0.0, f"no answer ({type(error).__name__})"
        if status >= 500:
            return retry_after, f"HTTP {status}"
        if status != 200:
            raise FetchError(f"{self.api_url}: HTTP {status}")
        if len(body) > self.max_bytes:
            raise FetchError(f"{self.api_url}: an answer larger than {self.max_bytes} bytes")
        try:
            answer = json.loads(body)
        except ValueError:
            raise WikiApiError(f"{self.api_url}: the answer is not JSON; is this a wiki's api.php?") from None
        error = answer.get("error") if isinstance(answer, dict) else None
        if isinstance(error, dict) and error.get("code") == "maxlag":
            return retry_after, f"the wiki is lagging ({error.get('info', '')})"
        return None, answer

    def _session_now(self) -> aiohttp.ClientSession:
        if self._session is None:  # made on first use: a session belongs to the running loop
            self._session = aiohttp.ClientSession(
                connector=netguard.guarded_connector(allow_private=self.allow_private, limit=1),
                timeout=self.timeout, cookie_jar=aiohttp.DummyCookieJar())
        return self._session


class BlockingWikiClient:
    """A :class:`WikiClient` for synchronous callers (the CLI's ``import run``): its own
    event loop on a thread of its own, so it works whether or not the caller's thread runs
    a loop; ``client(params)`` blocks until the answer. Close with :meth:`close`."""

    def __init__(self, api_url: str, **options: Any):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fedcommons-wiki", daemon=True)
        self._thread.start()
        self.client = WikiClient(api_url, **options)

    def __call__(self, params: Mapping[str, str]) -> dict:
        """The answer to one query (see :meth:`WikiClient.__call__`)."""
        return asyncio.run_coroutine_threadsafe(self.client(params), self._loop).result()

    def close(self) -> None:
        """Close the client, stop its loop and thread."""
        asyncio.run_coroutine_threadsafe(self.client.close(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


def _seconds(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 0.0
