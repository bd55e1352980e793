"""The node as a witness of the logs it mirrors (c2sp.org/tlog-witness).

``GET /witness``
    ``{"name", "verifierKey", "addCheckpoint", "logs"}``: the witness's name, its
    cosigner key (a signed-note vkey of type 0x04, c2sp.org/tlog-cosignature), where to
    submit checkpoints, and the origins it cosigns (those it mirrors).

``POST /witness/add-checkpoint``
    The tlog-witness call, answered exactly as the spec says: 200 with cosignature lines;
    400 for a malformed request; 403 when no signature by the origin's pinned key
    verifies; 404 for an origin this node does not mirror; 409 with the size it holds
    (``text/x.tlog.size``) when the old size is not that size, or when the checkpoint
    contradicts what it holds; 422 when the consistency proof does not verify.
"""

from aiohttp import web

from ..log.witness import MAX_BODY
from ..services.replication import witness as service
from ..store import mirrors as mirror_store
from .keys import NODE, WRITER


async def info(request: web.Request) -> web.Response:
    """Who this witness is and what it cosigns."""
    node = request.app[NODE]
    cosigner = service.cosigner(node)
    logs = [row.origin for row in mirror_store.mirrors(node.db) if not row.forked]
    return web.json_response({
        "name": cosigner.name,
        "verifierKey": cosigner.verifier_key(),
        "addCheckpoint": f"{node.url}/witness/add-checkpoint",
        "logs": logs,
    }, headers={"Access-Control-Allow-Origin": "*"})


async def add_checkpoint(request: web.Request) -> web.Response:
    """Cosign a submitted checkpoint that is consistent with what this node holds."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return web.Response(status=413, text=f"the body is larger than {MAX_BODY} bytes\n")
    body = await request.read()
    if len(body) > MAX_BODY:
        return web.Response(status=413, text=f"the body is larger than {MAX_BODY} bytes\n")
    answer = await request.app[WRITER].run(service.add_checkpoint, body)
    return web.Response(status=answer.status, text=answer.text, content_type=answer.content_type,
                        charset="utf-8")
