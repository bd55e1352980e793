"""The log over HTTP, for replicas, witnesses and auditors. Public and cacheable.

``GET /log/checkpoint``
    The current signed checkpoint (C2SP signed note, ``text/plain; charset=utf-8``),
    followed by the cosignature lines (c2sp.org/tlog-cosignature) witnesses made on it.

``GET /log/entries?start=N&limit=M``
    Entries in index order: ``{"origin", "hashEncoding": "base64", "start", "entries":
    [{"index", "leafHash", "activity"}], "next"}``. ``activity`` is the JSON of the logged
    activity, whose RFC 8785 bytes hash to ``leafHash``. A redacted entry has
    ``"activity": null, "redacted": true``: its leaf hash stands for it (a redaction notice
    later in the log says why and keeps its figures). ``limit`` is capped at 1000; a
    ``start`` past the end gives an empty page.

``GET /log/proof/inclusion?index=I&size=S`` and ``GET /log/proof/consistency?from=A&to=B``
    RFC 9162 proofs from the stored Merkle nodes, as JSON with base64 hashes.

``GET /log/mirrors``
    The latest verified checkpoint this node holds of each log it mirrors, so that peers
    can compare what each of them was shown.

``GET /log/mirrors/entries?origin=O&start=N&limit=M``
    The verified entries this node mirrors of the log ``O``, in the shape of
    ``/log/entries``: how a node restored from an old backup gets back what it lost.

Every hash in these answers is standard base64 (RFC 4648), as in checkpoints.
"""

import base64
import functools
import json
from urllib.parse import urlencode

from aiohttp import web

from ..errors import BadInput, FedcommonsError, NotFound
from ..log.merkle import consistency_proof, inclusion_proof, root_at
from ..log.replica import HASH_ENCODING
from ..services.log.log_writer import lookup
from ..store import log as log_store
from ..store import mirrors as mirror_store
from ..store import witness as witness_store
from ..untrusted import whole_number
from .errors import problem
from .keys import NODE

MAX_LIMIT = 1000
NOTE_TYPE = "text/plain"
_PUBLIC = {"Access-Control-Allow-Origin": "*"}


def _api(handler):
    """Answer a client's mistake with RFC 9457 problem details, whatever it accepts:
    these URLs are read by programs."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except FedcommonsError as exc:
            if exc.status >= 500:
                raise
            return problem(exc.status, str(exc))

    return wrapped


async def checkpoint(request: web.Request) -> web.Response:
    """The latest signed checkpoint with the cosignatures gathered for it."""
    node = request.app[NODE]
    latest = log_store.latest_checkpoint(node.db)
    if latest is None:
        raise web.HTTPNotFound(text="the log has no checkpoint yet")
    size, _, note = latest
    text = note + "".join(witness_store.cosignature_lines(node.db, size))
    return web.Response(text=text, content_type=NOTE_TYPE, charset="utf-8",
                        headers={**_PUBLIC, "Cache-Control": "public, max-age=5"})


@_api
async def entries(request: web.Request) -> web.Response:
    """A page of entries with their leaf hashes and activities."""
    node = request.app[NODE]
    start = _int(request, "start", default=0)
    limit = min(_int(request, "limit", default=MAX_LIMIT, minimum=1), MAX_LIMIT)
    rows = list(log_store.iter_entries(node.db, start, start + limit, batch=limit))
    following = f"{node.url}/log/entries?start={start + limit}&limit={limit}"
    return _page(node.config.origin, start, limit, rows, following)


@_api
async def mirror_entries(request: web.Request) -> web.Response:
    """A page of a mirrored log's verified entries, as ``entries`` serves our own."""
    node = request.app[NODE]
    origin = request.query.get("origin")
    if not origin:
        raise BadInput("origin is required: the log origin of a mirrored log")
    row = mirror_store.mirror(node.db, origin)
    if row is None:
        raise NotFound(f"this node mirrors no log {origin!r}")
    start = _int(request, "start", default=0)
    limit = min(_int(request, "limit", default=MAX_LIMIT, minimum=1), MAX_LIMIT)
    rows = list(mirror_store.iter_entries(node.db, origin, start, start + limit, batch=limit))
    query = urlencode({"origin": origin, "start": start + limit, "limit": limit})
    return _page(origin, start, limit, rows, f"{node.url}/log/mirrors/entries?{query}")


def _page(origin: str, start: int, limit: int, rows, following: str) -> web.Response:
    """A page of entries (ours or a mirror's); ``following`` is the next page's URL, given
    when this page is full."""
    # The stored bodies are already JSON (RFC 8785 bytes): they go out as they are.
    items = b",".join(
        b'{"index":%d,"leafHash":"%s","activity":%s}'
        % (row.idx, base64.b64encode(row.leaf_hash), row.body if row.body is not None else b'null,"redacted":true')
        for row in rows
    )
    head = {"origin": origin, "hashEncoding": HASH_ENCODING, "start": start, "limit": limit}
    if len(rows) == limit:
        head["next"] = following
    body = json.dumps(head).encode()[:-1] + b',"entries":[' + items + b"]}"
    return web.Response(body=body, content_type="application/json",
                        headers={**_PUBLIC, "Cache-Control": "public, max-age=60"})


@_api
async def inclusion(request: web.Request) -> web.Response:
    """An inclusion proof of entry ``index`` in the tree of ``size`` (default: the log's size)."""
    node = request.app[NODE]
    log_size = log_store.log_size(node.db)
    index = _int(request, "index")
    size = _int(request, "size", default=log_size)
    if size > log_size:
        raise BadInput(f"size {size} is beyond the log's {log_size} entries")
    if index >= size:
        raise BadInput(f"index {index} is not in a tree of size {size}")
    tree = lookup(node)
    leaf = tree(0, index)
    proof = inclusion_proof(index, size, tree)
    return _proof_response({"index": index, "size": size, "leafHash": _b64(leaf),
                            "root": _b64(root_at(size, tree)), "proof": [_b64(h) for h in proof]})


@_api
async def consistency(request: web.Request) -> web.Response:
    """A consistency proof between two tree sizes of the log."""
    node = request.app[NODE]
    log_size = log_store.log_size(node.db)
    old, new = _int(request, "from", minimum=1), _int(request, "to")
    if new > log_size:
        raise BadInput(f"size {new} is beyond the log's {log_size} entries")
    if old > new:
        raise BadInput(f"from ({old}) must not be larger than to ({new}): a log only grows")
    tree = lookup(node)
    proof = consistency_proof(old, new, tree)
    return _proof_response({"from": old, "to": new, "root1": _b64(root_at(old, tree)),
                            "root2": _b64(root_at(new, tree)), "proof": [_b64(h) for h in proof]})


async def mirrors(request: web.Request) -> web.Response:
    """The latest verified checkpoint held of each mirrored log."""
    node = request.app[NODE]
    items = [
        {"origin": row.origin, "url": row.url, "verifierKey": row.verifier_key, "size": row.size,
         "checkpoint": row.checkpoint, "forked": row.forked}
        for row in mirror_store.mirrors(node.db) if row.checkpoint
    ]
    return web.json_response({"origin": node.config.origin, "mirrors": items},
                             headers={**_PUBLIC, "Cache-Control": "public, max-age=30"})


def _proof_response(doc: dict) -> web.Response:
    # A proof between two sizes never changes: the log is append-only.
    return web.json_response({"hashEncoding": HASH_ENCODING, **doc},
                             headers={**_PUBLIC, "Cache-Control": "public, max-age=86400"})


def _int(request: web.Request, name: str, *, default: int | None = None, minimum: int = 0) -> int:
    return whole_number(name, request.query.get(name), default=default, minimum=minimum)


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")
