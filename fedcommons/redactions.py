"""Redaction notices: what a log says when an entry's bytes are dropped. Pure.

A redaction drops an entry's bytes (personal data: a name in a summary, a note) and keeps
its leaf hash, so every checkpoint, proof and mirror still verifies. The log then carries
a signed notice, ``["Delete", "Redaction"]``, naming the entry by index, leaf hash and
activity id, so every mirror drops its copy too, and ``retained``: the entry's figures,
the fields a standing is computed from and nothing else, so no one's standing changes
(docs/methods.md, "Redaction").
"""

import base64
import binascii

from .activities import context_for
from .ld.context import AS

TYPE = "Redaction"
# Its own terms, and those the retained figures may use.
NOTICE_TERMS = ("Redaction", "logIndex", "leafHash", "retained", "Contribution", "CommonPool",
                "Measure", "provider", "receiver", "action", "kind", "effortQuantity", "hasUnit",
                "hasNumericalValue", "weight", "stewards", "standingMethod", "method", "parameters")

# The fields standing reads (fedcommons/standing/ledger.py), of an activity and of the
# object it carries. Everything else (summaries, content, evidence, import keys,
# addressing, the proof) is what a redaction drops.
_ACTIVITY_FIELDS = ("id", "type", "actor", "published", "weight")
_OBJECT_FIELDS = ("id", "type", "actor", "receiver", "provider", "attributedTo", "action",
                  "effortQuantity", "kind", "published", "stewards", "standingMethod", "object")


def retained_facts(activity: dict) -> dict:
    """What of ``activity`` a redaction keeps: the figures standing reads, no more."""
    kept = {key: activity[key] for key in _ACTIVITY_FIELDS if key in activity}
    obj = activity.get("object")
    if isinstance(obj, dict):
        kept["object"] = {key: obj[key] for key in _OBJECT_FIELDS if key in obj}
    elif obj is not None:
        kept["object"] = obj
    return kept


def notice(*, activity_id: str, actor: str, index: int, leaf_hash: bytes, redacted: dict,
           reason: str, published: str) -> dict:
    """The notice that entry ``index`` (the activity ``redacted``) lost its bytes."""
    return {
        "@context": list(context_for(NOTICE_TERMS)),
        "id": activity_id,
        "type": ["Delete", TYPE],
        "actor": actor,
        "object": redacted["id"],
        "logIndex": index,
        "leafHash": base64.b64encode(leaf_hash).decode("ascii"),
        "retained": retained_facts(redacted),
        "summary": reason,
        "published": published,
    }


def is_notice(activity: object) -> bool:
    """Whether a parsed activity is a redaction notice."""
    if not isinstance(activity, dict):
        return False
    kinds = activity.get("type")
    return TYPE in kinds if isinstance(kinds, list) else kinds == TYPE


def read_notice(activity: dict) -> tuple[int, bytes, dict] | None:
    """(index, leaf hash, retained) of a notice; None when it is not a well-formed one."""
    if not is_notice(activity):
        return None
    index, leaf, retained = activity.get("logIndex"), activity.get("leafHash"), activity.get("retained")
    if type(index) is not int or index < 0 or not isinstance(leaf, str) or not isinstance(retained, dict):
        return None
    try:
        digest = base64.b64decode(leaf, validate=True)
    except (binascii.Error, ValueError):
        return None
    return (index, digest, retained) if len(digest) == 32 else None


def tombstone(activity_id: str, former_type: str, deleted: str) -> dict:
    """What stands in for a redacted activity in the node's other copies of it (the queue
    of what it sent, the inbox it came through): an ActivityStreams Tombstone."""
    return {"@context": AS, "id": activity_id, "type": "Tombstone", "formerType": former_type,
            "deleted": deleted}
