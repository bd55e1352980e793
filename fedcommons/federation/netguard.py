"""Where a node may connect: the address policy (`fedcommons/addresses.py`) applied to
every outbound connection.

The check sits where DNS rebinding cannot get around it: :class:`GuardedResolver` is the
resolver of the client's connector, so the addresses it returns are the ones connected
to; checking a name first and connecting later would let a second DNS answer differ.
aiohttp does not consult the resolver for IP literals, so :func:`check_url` checks those
before each request (and each redirect).
"""

from __future__ import annotations

import socket

from aiohttp import TCPConnector
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from ..addresses import (
    CGNAT,
    LINK_LOCAL,
    LOOPBACK,
    MULTICAST,
    NEVER,
    PRIVATE,
    RESERVED,
    UNSPECIFIED,
    check_address,
    check_url,
    classify,
    literal_address,
    refusal,
    refusal_message,
)
from ..errors import FetchError

# Re-exported: what connects and what it refuses are read together.
__all__ = ["CGNAT", "LINK_LOCAL", "LOOPBACK", "MULTICAST", "NEVER", "PRIVATE", "RESERVED", "UNSPECIFIED",
           "GuardedResolver", "check_address", "check_url", "classify", "guarded_connector",
           "literal_address", "refusal"]


class GuardedResolver(AbstractResolver):
    """Resolves names like aiohttp's default resolver, then drops refused addresses.

    When every address of a name is refused, :meth:`resolve` raises :class:`FetchError`
    naming the host, the address and the reason; aiohttp passes it on to the caller.
    ``resolver`` replaces the default resolver (tests use a fixed table).
    """

    def __init__(self, *, allow_private: bool, resolver: AbstractResolver | None = None):
        self.allow_private = allow_private
        self._resolver = resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The allowed addresses of ``host``; :class:`FetchError` when there are none."""
        if self._resolver is None:
            # The default resolver wants a running loop, so it is made on first use.
            self._resolver = DefaultResolver()
        results = await self._resolver.resolve(host, port, family)
        kept, refused = [], []
        for result in results:
            reason = refusal(result["host"], allow_private=self.allow_private)
            (kept if reason is None else refused).append((result, reason))
        if not kept:
            if refused:
                result, reason = refused[0]
                raise FetchError(refusal_message(result["host"], reason, host))
            raise FetchError(f"cannot connect to {host}: the name has no address")
        return [result for result, _ in kept]

    async def close(self) -> None:
        """Release the underlying resolver."""
        if self._resolver is not None:
            await self._resolver.close()


def guarded_connector(*, allow_private: bool, resolver: AbstractResolver | None = None, **kwargs) -> TCPConnector:
    """A TCP connector that only reaches addresses the policy allows (see :class:`GuardedResolver`).

    Must be called with a running event loop, like any aiohttp connector.
    """
    return TCPConnector(resolver=GuardedResolver(allow_private=allow_private, resolver=resolver), **kwargs)
