"""A node with people, pools, work and a payout, for the tests of the web pages."""

import re
from concurrent.futures import ThreadPoolExecutor

from fedcommons.cli.network import with_client
from fedcommons.services.accounts import accounts
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.contributions import contributions
from fedcommons.services.payouts import coops, payouts

PASSWORD = "correct horse battery"
HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
AP = "application/activity+json"


def _sustain(node, *args, **kwargs) -> None:
    """coops.sustain through the CLI's bridge, on a thread of its own: populate() runs both
    with and without an event loop running."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(with_client, node, lambda client: coops.sustain(node, client, *args, **kwargs)).result()


def populate(node, *, payout: bool = True) -> dict:
    """alice, bob and carol (all with PASSWORD); garden (stewarded by bob) and wiki (by alice);
    carol's validated work in both; a pending and a rejected contribution in garden; and,
    with ``payout``, the cooperative bakery sustaining both and paying once."""
    for name in ("alice", "bob", "carol"):
        create_actor(node, "person", name, display_name=name.title())
        accounts.set_password(node, name, PASSWORD)
    create_pool(node, "garden", name="Community Garden", stewards=["bob"], license="CC-BY-SA-4.0",
                summary="Beds, tools and a rota for watering.")
    create_pool(node, "wiki", name="Wiki", stewards=["alice"], license="MIT")
    ids = {}
    ids["carol_garden"] = contributions.contribute(node, pool="garden", person="carol", effort="2h", kind="care",
                                                   summary="watered the beds", when="2026-01-02")
    contributions.decide(node, ids["carol_garden"], "bob")
    ids["carol_wiki"] = contributions.contribute(node, pool="wiki", person="carol", effort="1h", kind="docs",
                                                 summary="wrote the tool page", when="2026-01-03")
    contributions.decide(node, ids["carol_wiki"], "alice")
    ids["rejected"] = contributions.contribute(node, pool="garden", person="alice", effort="30m", kind="care",
                                               summary="looked at the weeds", when="2026-01-04")
    contributions.decide(node, ids["rejected"], "bob", reject=True, reason="not work on the garden")
    ids["pending"] = contributions.contribute(node, pool="garden", person="carol", effort="45m", kind="care",
                                              summary="oiled the hinges", when="2026-01-05")
    if payout:
        coops.create_coop(node, "bakery", name="Bakery Cooperative", members=["bob"])
        _sustain(node, "bakery", "garden", member="bob", weight="2")
        _sustain(node, "bakery", "wiki", member="bob", weight="1")
        plan = payouts.make_payout(node, "bakery", payouts.PayoutOptions(amount="90.00", currency="EUR",
                                                                         policy="recent"), member="bob")
        ids["distribution"] = plan.url
    return ids


class Clock:
    """Seconds that pass only when a test says so: for the sign-in limits (web.sign_in)."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def form_of(page: str, action: str) -> str:
    """The HTML of the (first) form posting to ``action``."""
    match = re.search(r'<form[^>]*action="' + re.escape(action) + r'"[^>]*>(.*?)</form>', page, re.S)
    assert match, f"no form posting to {action}"
    return match.group(1)


def csrf_of(page: str, action: str) -> str:
    """The CSRF token of the form posting to ``action``."""
    match = re.search(r'name=csrf value="([^"]+)"', form_of(page, action))
    assert match, f"the form posting to {action} has no CSRF token"
    return match.group(1)
