"""Who the client is when the node sits behind reverse proxies.

The address a request comes from is the proxy's. A proxy the node's settings trust
(``trusted_proxies``) says whom it forwards for in ``X-Forwarded-For``; anyone else could
write anything there, so the header is read only from a trusted peer, and from the right:
each trusted proxy appends the address it received from, so the client is the right-most
address that is not itself a trusted proxy. Everything downstream (per-address limits, the
access log) sees that address as ``request.remote``.
"""

import ipaddress
from functools import lru_cache

from aiohttp import web

from .keys import NODE
from .observe import CLIENT, VIA_TRUSTED_PROXY

MAX_HOPS = 16  # a longer chain is not a proxy set-up anyone runs; read no further


@lru_cache(maxsize=32)
def _networks(trusted: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(n, strict=False) for n in trusted)


def _address(text: str):
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def is_trusted(peer: str | None, trusted: tuple[str, ...]) -> bool:
    """Whether `peer` is one of the trusted proxies."""
    address = _address(peer or "")
    return address is not None and any(address in network for network in _networks(trusted))


def client_address(peer: str | None, forwarded_for: list[str], trusted: tuple[str, ...]) -> str | None:
    """The client's address: `peer` unless it is a trusted proxy, in which case the right-most
    address of X-Forwarded-For that is not one (or the left-most, when all are)."""
    if not trusted or not is_trusted(peer, trusted):
        return peer
    hops = [part for header in forwarded_for for part in header.split(",") if part.strip()][-MAX_HOPS:]
    found = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return found  # garbage in the chain: trust nothing to the left of it
        found = str(address)
        if not is_trusted(found, trusted):
            return found
    return found


@web.middleware
async def client_address_middleware(request: web.Request, handler):
    """Make ``request.remote`` the client's address (see the module's docstring)."""
    trusted = request.app[NODE].config.trusted_proxies
    peer = request.remote
    request[VIA_TRUSTED_PROXY] = bool(trusted) and is_trusted(peer, trusted)
    remote = client_address(peer, request.headers.getall("X-Forwarded-For", []), trusted) if trusted else peer
    # Set before the clone, which copies it: the access log is handed the original request.
    request[CLIENT] = remote or "-"
    if remote != peer:
        request = request.clone(remote=remote)
    return await handler(request)
