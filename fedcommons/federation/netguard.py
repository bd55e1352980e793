"""Where a node may connect: the outbound address policy (DESIGN section 9).

A node fetches URLs that strangers hand it (actor ids, key ids, inboxes, redirects), so
without a policy anyone could make it probe its own network: the cloud metadata service
at 169.254.169.254, a database on 10.0.0.5, an admin page on localhost. Outbound
connections therefore refuse loopback, private (RFC 1918, ULA), link-local, carrier-grade
NAT, multicast, unspecified and reserved addresses, including IPv6 forms that carry such
an IPv4 address (IPv4-mapped, NAT64, 6to4).

The check sits where DNS rebinding cannot get around it: :class:`GuardedResolver` is the
resolver of the client's connector, so the addresses it returns are the ones connected
to; checking a name first and connecting later would let a second DNS answer differ.
aiohttp does not consult the resolver for IP literals, so :func:`check_url` checks those
before each request (and each redirect).

A node created with ``--allow-private-addresses`` (local tests and demos) may reach
loopback, private, link-local, CGNAT and reserved addresses. Unspecified (0.0.0.0, ::)
and multicast addresses are refused even then: no peer can be there, and on Linux a
connection to 0.0.0.0 quietly reaches the local host.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp import TCPConnector
from aiohttp.abc import AbstractResolver, ResolveResult

from ..errors import FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = ("http", "https")

LOOPBACK = "loopback"
PRIVATE = "private network"
LINK_LOCAL = "link-local"
CGNAT = "carrier-grade NAT"
MULTICAST = "multicast"
UNSPECIFIED = "unspecified address"
RESERVED = "reserved"

# Never a peer, whatever the node's settings.
NEVER = frozenset({MULTICAST, UNSPECIFIED})

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fec0::/10")
)
# IETF protocol assignments: not all of this block is in Python's tables.
_RESERVED = (ipaddress.ip_network("192.0.0.0/24"),)
# NAT64 (RFC 6052) translates these to the IPv4 address in their last 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

_HINT = "nodes created with --allow-private-addresses may"


def classify(address: str | IPAddress) -> str | None:
    """Why an address is not a public unicast address (``None`` when it is one)."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return classify(embedded)
    if ip.is_unspecified:
        return UNSPECIFIED
    if ip.is_loopback:
        return LOOPBACK
    if ip.is_link_local:
        return LINK_LOCAL
    if ip in _CGNAT:
        return CGNAT
    if any(ip in net for net in _PRIVATE if net.version == ip.version):
        return PRIVATE
    if ip.is_multicast:
        return MULTICAST
    # Documentation, benchmarking, IETF protocol assignments, 240/4, broadcast, ::/8 ...
    if ip.is_reserved or not ip.is_global or any(ip in net for net in _RESERVED if net.version == ip.version):
        return RESERVED
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, when connecting to it reaches one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def refusal(address: str | IPAddress, *, allow_private: bool) -> str | None:
    """The reason a connection to ``address`` is refused under the node's setting, or ``None``."""
    reason = classify(address)
    if reason is None or (allow_private and reason not in NEVER):
        return None
    return reason


def check_address(address: str | IPAddress, *, allow_private: bool, host: str | None = None) -> None:
    """Raise :class:`FetchError` if the node may not connect to ``address``.

    ``host`` is the name that resolved to it, named in the message when it differs.
    """
    reason = refusal(address, allow_private=allow_private)
    if reason is not None:
        raise FetchError(_message(str(address), reason, host))


def _message(address: str, reason: str, host: str | None) -> str:
    what = f"{address} ({reason})" if not host or host == address else f"{host} (resolves to {address}, {reason})"
    if reason in NEVER:
        return f"refusing to connect to {what}: no peer can be at such an address"
    return f"refusing to connect to {what}; {_HINT}"


def literal_address(host: str) -> IPAddress | None:
    """The address a URL's host names literally, or ``None`` for a DNS name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_url(url: str, *, allow_private: bool) -> str:
    """Check a URL before a request: http(s), a host, and no refused IP literal. Returns the host."""
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # .port raises ValueError when malformed
    except ValueError as exc:
        raise FetchError(f"refusing to fetch {url!r}: malformed URL ({exc})") from None
    if parts.scheme.lower() not in SCHEMES:
        raise FetchError(f"refusing to fetch {url!r}: only http and https URLs are fetched")
    if not host:
        raise FetchError(f"refusing to fetch {url!r}: the URL has no host")
    address = literal_address(host)
    if address is not None:
        check_address(address, allow_private=allow_private)
    elif _legacy_numeric(host):
        # "127.1", "2130706433" and "0x7f.1" are IPv4 addresses to the C library; a name
        # that looks like one is refused outright rather than argued about.
        raise FetchError(f"refusing to fetch {url!r}: {host!r} is an ambiguous numeric host, not a name")
    return host


def _legacy_numeric(host: str) -> bool:
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


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
            from aiohttp.resolver import DefaultResolver

            self._resolver = DefaultResolver()
        results = await self._resolver.resolve(host, port, family)
        kept, refused = [], []
        for result in results:
            reason = refusal(result["host"], allow_private=self.allow_private)
            (kept if reason is None else refused).append((result, reason))
        if not kept:
            if refused:
                result, reason = refused[0]
                raise FetchError(_message(result["host"], reason, host))
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
