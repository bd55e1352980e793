"""Which addresses a node may connect to: the outbound address policy (DESIGN section 9).

A node fetches URLs that strangers hand it (actor ids, key ids, inboxes, redirects), so
without a policy anyone could make it probe its own network: the cloud metadata service
at 169.254.169.254, a database on 10.0.0.5, an admin page on localhost. Outbound
connections therefore refuse loopback, private (RFC 1918, ULA), link-local, carrier-grade
NAT, multicast, unspecified and reserved addresses, including IPv6 forms that carry such
an IPv4 address (IPv4-mapped, NAT64, 6to4).

A node created with ``--allow-private-addresses`` (local tests and demos) may reach
loopback, private, link-local, CGNAT and reserved addresses. Unspecified (0.0.0.0, ::)
and multicast addresses are refused even then: no peer can be there, and on Linux a
connection to 0.0.0.0 quietly reaches the local host.

Only rules here, no connection: the client's connector (`federation/netguard.py`) applies
them to what DNS answers, and services check a URL someone hands them with
:func:`check_url` before keeping it.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from .errors import FetchError

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
        raise FetchError(refusal_message(str(address), reason, host))


def refusal_message(address: str, reason: str, host: str | None) -> str:
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
