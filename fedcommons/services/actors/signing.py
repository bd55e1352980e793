"""Signing activities as a local actor (eddsa-jcs-2022, the actor's Ed25519 key)."""

from ...node import Node
from ...sig.proof import create_proof_canonical
from ...store.actors import ActorRow
from ..log.log_writer import Pending


def sign_as(node: Node, actor: ActorRow, activity: dict, *, plain: bool = False) -> Pending:
    """The activity with a Data Integrity proof by `actor`, dated at its `published` time,
    ready for the log (its canonical bytes come with it). `plain`: see create_proof_canonical."""
    key = node.keys.ed25519(actor.kind, actor.name)
    signed, body = create_proof_canonical(
        activity, key, actor.ed25519_key_id, created=activity["published"], plain=plain
    )
    return Pending(signed, body=body)
