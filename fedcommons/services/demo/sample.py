"""Sample data for `fedcommons demo`: a few people, two pools, work validated, rejected and
pending, endorsements, a cooperative that sustains both pools and one published
distribution. Everything goes through the same signed paths as real use (each activity
signed by its actor, logged, projected), so the demo shows what a node really holds.

Never called for a real node: only the `demo` command makes a node with sample data.
"""

from ...node import Node
from ..accounts import accounts
from ..actors.actors import create_actor
from ..actors.pools import create_pool
from ..contributions import contributions
from ..payouts import coops, payouts

# Everyone in the demo signs in with this password: a node on loopback, for a look around.
PASSWORD = "commons-demo"
PEOPLE = {"alice": "Alice", "bob": "Bob", "carol": "Carol", "dan": "Dan"}

# (pool, person, effort, kind, summary, date, decided by or None, rejected with a reason)
WORK = [
    ("garden", "carol", "2h", "care", "watered the raised beds", "2026-01-02", "bob", None),
    ("garden", "alice", "3h30m", "maintenance", "fixed the irrigation timer", "2026-01-05", "bob", None),
    ("garden", "dan", "1h", "outreach", "put up the planting-day poster", "2026-01-09", "bob", None),
    ("garden", "alice", "30m", "care", "looked at the weeds", "2026-01-10", "bob", "not work on the garden"),
    ("garden", "carol", "45m", "care", "oiled the shed hinges", "2026-01-12", None, None),
    ("wiki", "carol", "1h", "docs", "wrote the tool-lending page", "2026-01-03", "alice", None),
    ("wiki", "bob", "2h", "translation", "translated the rota into Spanish", "2026-01-07", "alice", None),
    ("wiki", "dan", "1h30m", "review", "checked every link on the front page", "2026-01-11", None, None),
]
ENDORSEMENTS = [(1, "carol"), (0, "alice"), (5, "bob"), (6, "dan")]  # (index in WORK, who vouches)


async def populate(node: Node, client) -> dict:
    """Fill a new node with the sample; returns what a newcomer may want to open."""
    for name, display in PEOPLE.items():
        create_actor(node, "person", name, display_name=display)
        accounts.set_password(node, name, PASSWORD)
    create_pool(node, "garden", name="Community Garden", stewards=["bob"], license="CC-BY-SA-4.0",
                summary="Beds, tools and a rota for watering.")
    create_pool(node, "wiki", name="Neighbourhood Wiki", stewards=["alice"], license="CC-BY-4.0",
                summary="What the neighbourhood knows, written down.")
    ids = []
    for pool, person, effort, kind, summary, date, steward, reason in WORK:
        ids.append(contributions.contribute(node, pool=pool, person=person, effort=effort, kind=kind,
                                            summary=summary, when=date))
        if steward is not None:
            contributions.decide(node, ids[-1], steward, reject=reason is not None, reason=reason)
    for index, person in ENDORSEMENTS:
        contributions.endorse(node, ids[index], person)
    coops.create_coop(node, "bakery", name="Bakery Cooperative", members=["bob", "alice"])
    await coops.sustain(node, client, "bakery", "garden", member="bob", weight="2")
    await coops.sustain(node, client, "bakery", "wiki", member="bob", weight="1")
    plan = payouts.make_payout(node, "bakery", payouts.PayoutOptions(amount="120.00", currency="EUR",
                                                                     policy="recent"), member="bob")
    return {"pools": [f"{node.url}/pools/garden", f"{node.url}/pools/wiki"], "coop": f"{node.url}/coops/bakery",
            "distribution": plan.url, "people": list(PEOPLE), "password": PASSWORD}
