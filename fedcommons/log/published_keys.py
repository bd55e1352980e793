"""The Ed25519 keys a log publishes for its actors, learnt entry by entry. Pure.

Every actor a node creates is described in the node's log by a ``Create`` (and, after a
key rotation, an ``Update``) whose object carries the actor's ``assertionMethod``
Multikey. Reading a log in order, each entry's Data Integrity proof can therefore be
checked with a key an earlier entry published, starting from the node key that signs
the first entry. The node's own ``log verify`` and the verification of mirrors of other
nodes' logs both read keys this way.
"""

from __future__ import annotations

from ..fields import types
from ..errors import FedcommonsError
from ..sig.keys import ed25519_public_from_multibase
from ..urls import same_origin


def published_keys(activity: dict, *, origin: str | None = None) -> list[tuple[str, str]]:
    """(key id, publicKeyMultibase) of each Multikey an actor description publishes.

    Only a ``Create`` or ``Update`` of an actor publishes keys, and only keys whose
    controller is that actor. With ``origin`` (a URL), only actors and keys on that
    origin count: a log speaks for its own actors, never for another server's.
    """
    if types(activity)[:1] not in (["Create"], ["Update"]):
        return []
    obj = activity.get("object")
    if not isinstance(obj, dict) or not obj.get("assertionMethod"):
        return []
    actor_id = obj.get("id")
    if not isinstance(actor_id, str):
        return []
    if origin is not None and not same_origin(actor_id, origin):
        return []
    found = []
    methods = obj["assertionMethod"]
    for method in methods if isinstance(methods, list) else [methods]:
        if not isinstance(method, dict) or method.get("controller") != actor_id:
            continue
        key_id, multibase = method.get("id"), method.get("publicKeyMultibase")
        if not isinstance(key_id, str) or not isinstance(multibase, str):
            continue
        if origin is not None and not same_origin(key_id, origin):
            continue
        found.append((key_id, multibase))
    return found


def learn_keys(activity: dict, keys: dict, *, origin: str | None = None) -> list[tuple[str, str]]:
    """Add the keys ``activity`` publishes to ``keys`` (key id -> public key); returns
    the (key id, multibase) pairs learnt. Unreadable keys are skipped, not fatal."""
    learnt = []
    for key_id, multibase in published_keys(activity, origin=origin):
        try:
            keys[key_id] = ed25519_public_from_multibase(multibase)
        except (TypeError, ValueError, FedcommonsError):
            continue
        learnt.append((key_id, multibase))
    return learnt
