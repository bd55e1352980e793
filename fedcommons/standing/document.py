"""The unsigned ``fc:Standing`` document: what was computed, from which log state, and the rows.

The caller adds ``id`` and the node's proof. The type list starts with the core
ActivityStreams ``Document`` so that servers that do not know ``Standing`` still accept it.
"""

from __future__ import annotations

from datetime import datetime

from fedcommons.errors import BadInput

from .clock import micros_of
from .parameters import read_parameters
from .result import StandingResult

STANDING_TYPE = ["Document", "Standing"]


def standing_document(pool: str, method: str, parameters: dict | None, as_of: datetime,
                      checkpoint: dict, result: StandingResult) -> dict:
    """The Standing document for ``result``; BadInput if the pieces do not belong together.

    ``checkpoint`` is ``{"origin", "treeSize", "rootHash"}`` of the log state the
    activities were read from.
    """
    # Looked up at each call: tests/test_standing_document.py pins the context by putting
    # a stub module in its place.
    from fedcommons.ld.context import activity_context

    params = read_parameters(method, parameters)
    at = micros_of(as_of)
    if type(pool) is not str or not pool:
        raise BadInput("pool must be the pool's URL")
    if result.method != params.method or result.parameters != params.normalized:
        raise BadInput(
            f"the result was computed with {result.method} {result.parameters}, "
            f"not {params.method} {params.normalized}; recompute it"
        )
    if result.as_of_micros != at:
        raise BadInput(f"the result is as of {result.as_of_text}, not {as_of.isoformat()}; recompute it")
    return {
        "@context": activity_context(),
        "type": list(STANDING_TYPE),
        "pool": pool,
        "method": params.method,
        "parameters": params.normalized,
        "asOf": result.as_of_text,
        "checkpoint": _checkpoint(checkpoint),
        "standings": result.standings(),
    }


def _checkpoint(checkpoint: dict) -> dict:
    """A copy of the checkpoint fields, checked for shape."""
    if not isinstance(checkpoint, dict):
        raise BadInput("checkpoint must be an object with origin, treeSize and rootHash")
    origin = checkpoint.get("origin")
    size = checkpoint.get("treeSize")
    root = checkpoint.get("rootHash")
    if type(origin) is not str or not origin:
        raise BadInput("checkpoint origin must be the log's origin line")
    if type(size) is not int or size < 0:
        raise BadInput(f"checkpoint treeSize must be a whole number >= 0, got {size!r}")
    if type(root) is not str or not root:
        raise BadInput("checkpoint rootHash must be the base64 root hash")
    return {"origin": origin, "treeSize": size, "rootHash": root}
