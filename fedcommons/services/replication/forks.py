"""When a mirrored log forks: keep the evidence, stop trusting the origin, tell followers.

The instance actor sends a ``Flag`` of the forked node's actor to its own followers and
to the followers of every local pool, carrying the evidence (both checkpoint notes
verbatim, their sizes, and the proof), so each recipient can check it with the published
algorithms instead of taking our word for it.
"""

import json

from ... import activities, urls
from ...log.fork import EVIDENCE_TYPE
from ...node import NODE_NAME, Node, now
from ...store import actors as actor_store
from ...store import mirrors as mirror_store
from ...store import outgoing as outgoing_store
from ...store.db import transaction
from ..actors.signing import sign_as


def record_fork(node: Node, origin: str, evidence: dict) -> int:
    """Store ``evidence``, mark ``origin`` forked and queue the Flag, in one transaction.

    Returns the evidence's id. Evidence already held for the same pair of notes is not
    stored or announced twice.
    """
    with transaction(node.db):
        for known in mirror_store.forks(node.db, origin):
            if sorted(known.evidence.get("notes", [])) == sorted(evidence["notes"]):
                mirror_store.mark_forked(node.db, origin, _reason(origin, evidence))
                return known.id
        mirror = mirror_store.mirror(node.db, origin)
        flag_id = None
        node_actor = actor_store.local_actor(node.db, NODE_NAME, "node")
        if mirror is not None and node_actor is not None:
            activity = flag_activity(node, node_actor.id, mirror.actor, evidence, now())
            pending = sign_as(node, node_actor, activity)
            outgoing_store.enqueue(node.db, activity["id"], node_actor.id, pending.body,
                                   activity["to"], now())
            flag_id = activity["id"]
        fork_id = mirror_store.add_fork(node.db, origin, evidence["kind"], evidence, flag_id, now())
        mirror_store.mark_forked(node.db, origin, _reason(origin, evidence))
    return fork_id


def flag_activity(node: Node, sender: str, forked_actor: str, evidence: dict, published: str) -> dict:
    """A Flag of ``forked_actor`` by the instance actor, addressed to its and the local
    pools' followers, with the evidence attached (plain ActivityStreams, readable anywhere)."""
    pools = actor_store.local_actors(node.db, "pool")
    recipients = [f"{sender}/followers"] + [f"{pool.id}/followers" for pool in pools]
    sizes = evidence.get("sizes", [])
    attachment = [
        {"type": "Note", "name": f"checkpoint note {n + 1} (size {sizes[n] if n < len(sizes) else '?'})",
         "mediaType": "text/plain", "content": note}
        for n, note in enumerate(evidence["notes"])
    ]
    attachment.append({"type": "Document", "name": EVIDENCE_TYPE, "mediaType": "application/json",
                       "content": json.dumps(evidence, sort_keys=True)})
    text = (f"The log {evidence['origin']} forked: {evidence['explanation']}. "
            "This node no longer trusts its new entries; the evidence is attached.")
    return activities.flag(activity_id=urls.new_activity(node.url), actor=sender, target=forked_actor,
                           text=text, published=published, to=recipients, attachment=attachment)


def _reason(origin: str, evidence: dict) -> str:
    return f"fork: {evidence['explanation']} (see `fedcommons fork show {origin}`)"
