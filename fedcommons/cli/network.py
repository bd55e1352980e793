"""The CLI's one bridge to the async services that reach other servers."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..federation.client import DEFAULT_TIMEOUT, MAX_RESPONSE, Client
from ..node import Node

T = TypeVar("T")


def with_client(node: Node, action: Callable[[Client], Awaitable[T]], *,
                timeout: float = DEFAULT_TIMEOUT, max_bytes: int = MAX_RESPONSE) -> T:
    """Open a client for ``node``, run ``action(client)`` to completion, close the client."""

    async def run() -> T:
        client = Client(node, timeout=timeout, max_bytes=max_bytes)
        try:
            return await action(client)
        finally:
            await client.close()

    return asyncio.run(run())
