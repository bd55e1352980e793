"""The home node of a pool, found one way everywhere: a node served under a path keeps it."""

from types import SimpleNamespace

import pytest

from fedcommons.errors import FedcommonsError
from fedcommons.services.payouts import payout_checks
from fedcommons.services.standing import standing as standing_service
from fedcommons.urls import home_of_pool

PREFIXED = "https://example.org/commons"


@pytest.mark.parametrize("pool, home", [
    (f"{PREFIXED}/pools/garden", PREFIXED),
    ("https://example.org/pools/garden", "https://example.org"),
    ("http://127.0.0.1:8080/a/b/pools/x", "http://127.0.0.1:8080/a/b"),
    ("https://example.org/pools/pools/garden", "https://example.org/pools"),
    ("https://example.org/groups/garden", None),
    ("https://example.org/@garden", None),
])
def test_home_of_pool(pool, home):
    assert home_of_pool(pool) == home


async def test_a_distribution_check_replicates_a_prefixed_pool_from_its_own_node(monkeypatch):
    """The payout check used to drop the path and ask the server's root for the log."""
    asked = []

    async def replicated_log(node, client, origin, *, peer, need=0):
        asked.append(peer)
        raise FedcommonsError("not replicated in this test")

    monkeypatch.setattr(standing_service, "replicated_log", replicated_log)
    check = payout_checks.DistributionCheck("https://coop.example/distributions/1")
    standing = {"id": f"{PREFIXED}/pools/garden/standing", "pool": f"{PREFIXED}/pools/garden",
                "checkpoint": {"origin": "example.org/commons", "treeSize": 3}}
    await payout_checks._recompute_standing(SimpleNamespace(config=SimpleNamespace(origin="here.example")),
                                            None, check, standing)
    assert asked == [PREFIXED]
    assert "not recomputed" in check.notes[0]
