"""A node with a cooperative to pay from: Garden sustained by Rootwork, and the log's size."""

from fedcommons.cli.network import with_client
from fedcommons.home import open_node
from fedcommons.services.actors.actors import create_actor
from fedcommons.services.actors.pools import create_pool
from fedcommons.services.contributions.contributions import contribute, decide
from fedcommons.services.payouts.coops import create_coop, sustain
from fedcommons.store import log as log_store


def garden_and_rootwork(node) -> None:
    """alice, bob, carol and dave; Garden (steward bob) with alice 6 h and dave 2 h validated
    in March 2025; Rootwork (member carol) sustains it. Runs its own event loop for the
    sustain, so an async test calls it in a thread."""
    for name in ("alice", "bob", "carol", "dave"):
        create_actor(node, "person", name, display_name=name.title())
    create_pool(node, "garden", name="Garden", stewards=["bob"])
    for person, effort, day in (("alice", "6h", "2025-03-03"), ("dave", "2h", "2025-03-20")):
        decide(node, contribute(node, pool="garden", person=person, effort=effort, kind="code",
                                summary="work", when=day), "bob")
    create_coop(node, "rootwork", name="Rootwork", members=["carol"])
    with_client(node, lambda client: sustain(node, client, "rootwork", "garden", member="carol"))


def log_size(home) -> int:
    """How many entries the log of the node at ``home`` holds."""
    node = open_node(home)
    try:
        return log_store.log_size(node.db)
    finally:
        node.close()
