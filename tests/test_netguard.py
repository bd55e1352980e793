"""The outbound address policy: which addresses a node may reach, and where it is enforced."""

from __future__ import annotations

import ipaddress
import socket

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver
from hypothesis import given
from hypothesis import strategies as st
from support_nodes import serve_on_loopback

from fedcommons.errors import FetchError
from fedcommons.federation import netguard
from fedcommons.federation.netguard import (
    CGNAT,
    LINK_LOCAL,
    LOOPBACK,
    MULTICAST,
    PRIVATE,
    RESERVED,
    UNSPECIFIED,
    GuardedResolver,
    check_address,
    check_url,
    classify,
    refusal,
)

REFUSED = [
    ("127.0.0.1", LOOPBACK),
    ("127.255.255.254", LOOPBACK),
    ("::1", LOOPBACK),
    ("10.0.0.5", PRIVATE),
    ("172.16.0.1", PRIVATE),
    ("172.31.255.255", PRIVATE),
    ("192.168.1.1", PRIVATE),
    ("fc00::1", PRIVATE),
    ("fd12:3456:789a::1", PRIVATE),
    ("fec0::1", PRIVATE),  # deprecated site-local
    ("169.254.169.254", LINK_LOCAL),  # cloud metadata service
    ("fe80::1", LINK_LOCAL),
    ("fe80::1%eth0", LINK_LOCAL),
    ("100.64.0.1", CGNAT),
    ("100.127.255.254", CGNAT),
    ("224.0.0.1", MULTICAST),
    ("239.255.255.250", MULTICAST),
    ("ff02::1", MULTICAST),
    ("0.0.0.0", UNSPECIFIED),
    ("::", UNSPECIFIED),
    ("0.1.2.3", RESERVED),  # "this network"
    ("240.0.0.1", RESERVED),
    ("255.255.255.255", RESERVED),
    ("192.0.2.1", RESERVED),  # documentation
    ("198.18.0.1", RESERVED),  # benchmarking
    ("192.0.0.8", RESERVED),  # IETF protocol assignments
    ("2001:db8::1", RESERVED),
    ("100::1", RESERVED),  # discard-only
    ("::a00:5", RESERVED),  # deprecated IPv4-compatible
    # IPv6 forms that reach an IPv4 address are judged by that address.
    ("::ffff:127.0.0.1", LOOPBACK),
    ("::ffff:10.0.0.5", PRIVATE),
    ("::ffff:169.254.169.254", LINK_LOCAL),
    ("::ffff:100.64.0.1", CGNAT),
    ("::ffff:0.0.0.0", UNSPECIFIED),
    ("::ffff:224.0.0.1", MULTICAST),
    ("64:ff9b::7f00:1", LOOPBACK),  # NAT64 of 127.0.0.1
    ("64:ff9b::a9fe:a9fe", LINK_LOCAL),  # NAT64 of 169.254.169.254
    ("2002:a00:5::1", PRIVATE),  # 6to4 of 10.0.0.5
    ("2002:7f00:1::1", LOOPBACK),
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "100.128.0.1",  # just past CGNAT
    "172.32.0.1",  # just past 172.16/12
    "2606:4700:4700::1111",
    "2a00:1450:4001::1",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
]


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_non_public_addresses_are_classified(address, reason):
    assert classify(address) == reason
    assert refusal(address, allow_private=False) == reason


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert classify(address) is None
    assert refusal(address, allow_private=False) is None


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_allow_private_addresses_opens_all_but_unspecified_and_multicast(address, reason):
    expected = reason if reason in (UNSPECIFIED, MULTICAST) else None
    assert refusal(address, allow_private=True) == expected


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_ipv6_forms_of_an_ipv4_address_are_judged_like_it(n):
    v4 = ipaddress.IPv4Address(n)
    mapped = ipaddress.IPv6Address(f"::ffff:{v4}")
    nat64 = ipaddress.IPv6Address((0x64FF9B << 96) | n)
    assert classify(mapped) == classify(v4)
    assert classify(nat64) == classify(v4)


def test_refusal_message_names_the_address_the_reason_and_the_way_out():
    with pytest.raises(FetchError) as exc:
        check_address("10.0.0.5", allow_private=False)
    assert str(exc.value) == (
        "refusing to connect to 10.0.0.5 (private network); nodes created with --allow-private-addresses may"
    )
    assert exc.value.status == 502


def test_refusal_message_names_the_host_that_resolved():
    with pytest.raises(FetchError, match=r"refusing to connect to db\.internal \(resolves to 10\.0\.0\.5, private network\)"):
        check_address("10.0.0.5", allow_private=False, host="db.internal")


def test_unspecified_is_refused_without_suggesting_the_setting():
    with pytest.raises(FetchError) as exc:
        check_address("0.0.0.0", allow_private=True)
    assert "unspecified address" in str(exc.value)
    assert "--allow-private-addresses" not in str(exc.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/actor",
        "http://127.0.0.1:8080/actor",
        "https://[::1]/actor",
        "http://[::ffff:127.0.0.1]:80/",
        "http://10.0.0.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1%25eth0]/",
    ],
)
def test_ip_literal_urls_are_checked_before_connecting(url):
    with pytest.raises(FetchError, match="refusing to connect to"):
        check_url(url, allow_private=False)


@pytest.mark.parametrize("url", ["http://127.1/", "http://2130706433/", "http://0x7f.0.0.1/", "http://017700000001/"])
def test_legacy_numeric_hosts_are_refused(url):
    with pytest.raises(FetchError, match="ambiguous numeric host"):
        check_url(url, allow_private=True)


@pytest.mark.parametrize(
    "url", ["ftp://peer.example/x", "file:///etc/passwd", "gopher://peer.example/", "javascript:alert(1)", "/relative"]
)
def test_only_http_and_https_are_fetched(url):
    with pytest.raises(FetchError, match="only http and https|has no host"):
        check_url(url, allow_private=True)


def test_urls_without_a_host_or_with_a_bad_port_are_refused():
    with pytest.raises(FetchError, match="has no host"):
        check_url("https:///path", allow_private=True)
    with pytest.raises(FetchError, match="malformed URL"):
        check_url("https://peer.example:99999/", allow_private=True)


def test_names_pass_the_url_check_and_are_left_to_the_resolver():
    assert check_url("https://Peer.Example/users/alice", allow_private=False) == "peer.example"
    assert check_url("http://127.0.0.1:8080/x", allow_private=True) == "127.0.0.1"


class Table(AbstractResolver):
    """A fixed DNS table (no network); counts lookups."""

    def __init__(self, table: dict[str, list[str]]):
        self.table = table
        self.lookups = 0

    async def resolve(self, host, port=0, family=socket.AF_INET):
        self.lookups += 1
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for address in self.table.get(host, [])
        ]

    async def close(self):
        pass


async def test_resolver_drops_refused_addresses_and_keeps_public_ones():
    table = Table({"mixed.example": ["10.0.0.5", "93.184.215.14", "::1", "2606:4700:4700::1111"]})
    results = await GuardedResolver(allow_private=False, resolver=table).resolve("mixed.example", 443)
    assert [r["host"] for r in results] == ["93.184.215.14", "2606:4700:4700::1111"]


async def test_resolver_refuses_a_name_with_only_refused_addresses():
    table = Table({"rebind.example": ["127.0.0.1", "10.0.0.5"]})
    with pytest.raises(FetchError) as exc:
        await GuardedResolver(allow_private=False, resolver=table).resolve("rebind.example", 80)
    assert str(exc.value) == (
        "refusing to connect to rebind.example (resolves to 127.0.0.1, loopback); "
        "nodes created with --allow-private-addresses may"
    )


async def test_resolver_keeps_private_addresses_when_allowed_but_never_unspecified():
    table = Table({"lan.example": ["192.168.1.10", "0.0.0.0"], "zero.example": ["0.0.0.0"]})
    guarded = GuardedResolver(allow_private=True, resolver=table)
    assert [r["host"] for r in await guarded.resolve("lan.example")] == ["192.168.1.10"]
    with pytest.raises(FetchError, match="unspecified address"):
        await guarded.resolve("zero.example")


async def test_resolver_reports_a_name_without_addresses():
    with pytest.raises(FetchError, match="has no address"):
        await GuardedResolver(allow_private=False, resolver=Table({})).resolve("nowhere.example")


@pytest.fixture
async def server():
    """A loopback server that records every request it gets."""
    hits: list[str] = []

    async def handler(request):
        hits.append(request.path)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner, port = await serve_on_loopback(app)
    yield port, hits
    await runner.cleanup()


async def test_connector_checks_the_addresses_it_connects_to(server):
    # A name whose DNS answer is loopback (what a rebinding attacker serves) never
    # reaches a socket: the check is on the very addresses the connector uses.
    port, hits = server
    table = Table({"peer.test": ["127.0.0.1"]})
    connector = netguard.guarded_connector(allow_private=False, resolver=table)
    async with aiohttp.ClientSession(connector=connector) as session:
        with pytest.raises(FetchError, match=r"peer\.test \(resolves to 127\.0\.0\.1, loopback\)"):
            await session.get(f"http://peer.test:{port}/probe")
    assert table.lookups == 1
    assert hits == []


async def test_connector_with_private_addresses_allowed_reaches_loopback(server):
    port, hits = server
    connector = netguard.guarded_connector(allow_private=True, resolver=Table({"peer.test": ["127.0.0.1"]}))
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(f"http://peer.test:{port}/probe") as response:
            assert response.status == 200
    assert hits == ["/probe"]
