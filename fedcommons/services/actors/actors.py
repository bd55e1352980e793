"""Local actors: the instance actor, people, pools and cooperatives.

Creating an actor writes its keys under the node home and records a `Create` of its
public description in the log, so the log carries every key needed to verify it.
"""


from ... import activities, urls
from ...errors import Conflict, NotFound
from ...ld.context import actor_context
from ...node import NODE_NAME, Node, now
from ...sig.keys import ed25519_public_multibase, public_pem
from ...sig.note import verifier_key
from ...store import actors as actor_store
from ...store import coops as coop_store
from ...store.actors import ActorRow
from ...store.db import transaction
from ..accounts.oauth import AUTHORIZE_PATH, TOKEN_PATH
from ..log import log_writer
from .signing import sign_as

AS_TYPES = {"node": "Application", "person": "Person", "pool": "Group", "cooperative": "Organization"}
EXTRA_TYPES = {"pool": "CommonPool", "cooperative": "Cooperative"}


def create_node_actor(node: Node) -> ActorRow:
    """The instance actor and the log's first entry: the node describing itself."""
    return _create(node, "node", NODE_NAME, display_name=node.config.host, actor_id=node.actor_id)


def create_actor(node: Node, kind: str, name: str, *, display_name: str | None = None,
                 summary: str | None = None, extra: dict | None = None) -> ActorRow:
    """A new local person, pool or cooperative."""
    urls.check_name(name)
    if actor_store.local_actor(node.db, name):
        raise Conflict(f"the name {name!r} is taken on this node (names are shared by people, pools and cooperatives)")
    return _create(node, kind, name, display_name=display_name or name, summary=summary,
                   actor_id=urls.actor_url(node.url, kind, name), extra=extra)


def _create(node: Node, kind: str, name: str, *, display_name: str, actor_id: str,
            summary: str | None = None, extra: dict | None = None) -> ActorRow:
    ed, rsa = node.keys.create(kind, name)
    try:
        return _record_actor(node, kind, name, ed, rsa, display_name=display_name, actor_id=actor_id,
                             summary=summary, extra=extra)
    except BaseException:
        node.keys.discard(kind, name)
        raise


def _record_actor(node: Node, kind: str, name: str, ed, rsa, *, display_name: str, actor_id: str,
                  summary: str | None, extra: dict | None) -> ActorRow:
    rsa_key_id, ed_key_id = urls.key_ids(actor_id)
    row = ActorRow(
        id=actor_id, kind=kind, name=name, local=True, display_name=display_name, summary=summary,
        inbox=f"{actor_id}/inbox", shared_inbox=f"{node.url}/inbox",
        rsa_key_id=rsa_key_id, rsa_public_pem=public_pem(rsa.public_key()),
        ed25519_key_id=ed_key_id, ed25519_multibase=ed25519_public_multibase(ed.public_key()),
        document=None, fetched_at=None, created_at=now(),
    )
    node_row = row if kind == "node" else require(node, NODE_NAME, "node")
    obj = public_description(node, row)
    if extra:
        obj.update(extra)
    activity = activities.create_object(
        activity_id=urls.new_activity(node.url), actor=node_row.id, obj=obj, published=row.created_at
    )
    with transaction(node.db):
        actor_store.insert_actor(node.db, row)
        log_writer.append(node, [sign_as(node, node_row, activity)])
    return row


def require(node: Node, name: str, kind: str | None = None) -> ActorRow:
    """A local actor by handle, or NotFound naming what exists."""
    row = actor_store.local_actor(node.db, name, kind)
    if row is None:
        what = {"person": "person", "pool": "pool", "cooperative": "cooperative", "node": "node actor"}.get(kind or "", "actor")
        hint = {"person": "fedcommons actor add NAME", "pool": "fedcommons pool create SLUG ...",
                "cooperative": "fedcommons coop create SLUG ..."}.get(kind or "")
        raise NotFound(f"no local {what} named {name!r}" + (f" (create one with `{hint}`)" if hint else ""))
    return row


def public_description(node: Node, row: ActorRow) -> dict:
    """The part of an actor's document that is logged: who it is and its public keys."""
    doc = {
        "id": row.id,
        "type": [AS_TYPES[row.kind]] + ([EXTRA_TYPES[row.kind]] if row.kind in EXTRA_TYPES else []),
        "preferredUsername": row.name if row.kind != "node" else node.config.host,
        "name": row.display_name,
        "publicKey": {"id": row.rsa_key_id, "owner": row.id, "publicKeyPem": row.rsa_public_pem},
        "assertionMethod": [
            {
                "id": row.ed25519_key_id,
                "type": "Multikey",
                "controller": row.id,
                "publicKeyMultibase": row.ed25519_multibase,
            }
        ],
    }
    if len(doc["type"]) == 1:
        doc["type"] = doc["type"][0]
    if row.summary:
        doc["summary"] = row.summary
    return doc


def actor_document(node: Node, row: ActorRow) -> dict:
    """The full ActivityPub actor document served at the actor's URL."""
    doc = {"@context": actor_context(), **public_description(node, row)}
    doc.update(
        {
            "url": row.id,
            "inbox": row.inbox,
            "outbox": f"{row.id}/outbox",
            "followers": f"{row.id}/followers",
            "following": f"{row.id}/following",
            "endpoints": {"sharedInbox": row.shared_inbox},
            "published": row.created_at,
            "manuallyApprovesFollowers": False,
        }
    )
    if row.kind == "person":
        # People sign in to the ActivityPub API here (pools and cooperatives do not).
        doc["endpoints"]["oauthAuthorizationEndpoint"] = node.url + AUTHORIZE_PATH
        doc["endpoints"]["oauthTokenEndpoint"] = node.url + TOKEN_PATH
    if row.kind == "pool":
        pool = actor_store.pool(node.db, row.id)
        if pool:
            doc["stewards"] = actor_store.stewards(node.db, row.id)
            doc["standingMethod"] = {"method": pool.method, "parameters": pool.parameters}
            doc["manuallyApprovesFollowers"] = pool.requires_approval
            if pool.license:
                doc["license"] = pool.license
    if row.kind == "cooperative":
        doc["sustains"] = [{"pool": pool, "weight": weight} for pool, weight in coop_store.sustains(node.db, row.id)]
        defaults = coop_store.payout_defaults(node.db, row.id)
        if defaults:
            doc["payoutConstraints"] = defaults
    if row.kind == "node":
        doc["logOrigin"] = node.config.origin
        doc["logVerifierKey"] = verifier_key(node.config.origin, node.keys.ed25519("node", NODE_NAME).public_key())
        doc["logCheckpoint"] = f"{node.url}/log/checkpoint"
    return doc
