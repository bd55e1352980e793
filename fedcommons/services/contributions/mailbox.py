"""The inbox and outbox a person reads through the ActivityPub API.

**Inbox**: every activity this node holds that is addressed to the person (``to``, ``cc``,
``bto``, ``bcc``, ``audience``), to the followers of someone they follow, or to a pool they
follow (a contribution to it, which the pool forwards to its followers: only what the pool's
own node delivered, or this node holds itself, counts), from three
places: the log (a steward's validation of their contribution, a pool recording the claim
their Note made, an endorsement), the items other servers delivered (to their own inbox or
to the shared one), and what local actors sent them without logging it (the pool's reply
to their Note). **Outbox**: everything they authored, logged or only delivered.

The index is brought up to date when a box is read, in bounded steps from where it last
stopped, so reading a box never rereads the whole log. Only people are indexed: they are
the actors who sign in.
"""

import json
from typing import Callable

from ...activities import PUBLIC
from ...node import Node
from ...store import actors as actor_store
from ...store import follows as follow_store
from ...store import mailbox as mailbox_store
from ...store.db import transaction
from ...urls import same_origin
from ..log.outbox import recipients

BATCH = 500
MAX_BATCHES = 20  # per source and read: a node catching up on a long history does it over several reads


def catch_up(node: Node) -> int:
    """Index what arrived since the last read; returns how many rows were read."""
    people: set[str] | None = None
    audiences: dict[str, set[str]] = {}
    pools: dict[str, set[str]] = {}
    read = 0
    for source in mailbox_store.SOURCES:
        for _ in range(MAX_BATCHES):
            with transaction(node.db):
                after = mailbox_store.cursor(node.db, source)
                rows = mailbox_store.rows_after(node.db, source, after, BATCH)
                if not rows:
                    break
                if people is None:  # read once, and only when there is something new
                    people = {row.id for row in actor_store.local_actors(node.db, "person")}
                    audiences = _followed_audiences(node, people)
                    pools = _followed_pools(node, people)
                mailbox_store.add(node.db, [m for row in rows for m in _index(source, row, people, audiences, pools)])
                mailbox_store.set_cursor(node.db, source, rows[-1].ref)
            read += len(rows)
            if len(rows) < BATCH:
                break
    return read


def _followed_audiences(node: Node, people: set[str]) -> dict[str, set[str]]:
    """Followers collections of the actors local people follow -> those people."""
    audiences: dict[str, set[str]] = {}
    for person in people:
        for followee in follow_store.following(node.db, person):
            row = actor_store.actor(node.db, followee)
            collection = f"{followee}/followers"
            if row is not None and row.document:
                named = json.loads(row.document).get("followers")
                if isinstance(named, str):
                    collection = named
            audiences.setdefault(collection, set()).add(person)
    return audiences


def _followed_pools(node: Node, people: set[str]) -> dict[str, set[str]]:
    """Pools local people follow -> those people."""
    pools: dict[str, set[str]] = {}
    for person in people:
        for followee in follow_store.following(node.db, person):
            row = actor_store.actor(node.db, followee)
            if row is not None and row.kind == "pool":
                pools.setdefault(followee, set()).add(person)
    return pools


def _index(source: str, row: mailbox_store.SourceRow, people: set[str], audiences: dict[str, set[str]],
           pools: dict[str, set[str]]) -> list[tuple[str, str, str, str, int, str]]:
    found = []
    if row.sender in people:
        found.append(("outbox", row.sender, row.activity_id, source, row.ref, row.at))
    addressed = set(row.recipients)
    if row.body is not None:
        try:
            activity = json.loads(row.body)
        except ValueError:
            activity = None
        if isinstance(activity, dict):
            addressed.update(recipients(activity))
    readers: set[str] = set()
    for target in addressed - {PUBLIC}:
        if target in people:
            readers.add(target)
        readers |= audiences.get(target, set())
        if target in pools and (row.signer is None or same_origin(row.signer, target)):
            # A pool's work is addressed to the pool itself (a contribution's `to`), and the pool
            # forwards it to its followers: what the pool's own node delivers, or what this node
            # holds, is the pool's news. Anyone else addressing the pool does not reach its followers.
            readers |= pools[target]
    for person in sorted(readers - {row.sender}):
        found.append(("inbox", person, row.activity_id, source, row.ref, row.at))
    return found


def box(node: Node, actor: str, which: str) -> tuple[int, Callable[[int, int], list[dict]]]:
    """(total, items(limit, offset)) of a person's inbox or outbox, newest first, for
    web.collections.paged; bring the index up to date with `catch_up` first."""
    total = mailbox_store.count(node.db, actor, which)

    def items(limit: int, offset: int) -> list[dict]:
        return [json.loads(body) for body in mailbox_store.page(node.db, actor, which, limit, offset)
                if body is not None]

    return total, items
