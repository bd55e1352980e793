"""GET /log: the log for people, newest entries first, page by page.

Each entry shows its leaf hash and links to its inclusion proof in the latest signed
checkpoint, and to its bytes as ``/log/entries`` serves them to replicas. The data
endpoints themselves (``/log/checkpoint``, ``/log/entries``, ``/log/proof/...``) are in
:mod:`fedcommons.web.logapi`.
"""

from aiohttp import web

from ..keys import NODE
from ...store import log as log_store
from ...store import witness as witness_store
from ...untrusted import whole_number
from ..negotiation import wants_activity_json
from ..templating import render
from .common import log_size, named, proof_url

PAGE = 50


async def log_page(request: web.Request) -> web.Response:
    """The page of entries before ``?before=N`` (default: the newest), or the one holding ``?entry=I``."""
    node = request.app[NODE]
    size = log_size(node)
    if wants_activity_json(request):
        return web.json_response(_index(node, size))
    entry = _number(request, "entry")
    before = _number(request, "before")
    if entry is not None:
        before = entry + 1
    before = size if before is None else min(before, size)
    first = max(0, before - PAGE)
    rows = list(log_store.iter_entries(node.db, first, before, batch=PAGE))[::-1]
    latest = log_store.latest_checkpoint(node.db)
    return render(request, "log.html", {
        "title": "Log", "size": size, "first": first, "before": before, "entry": entry,
        "checkpoint": latest[2] if latest else None, "cosignatures": witness_store.cosignature_lines(node.db, size),
        "rows": [_row(node, row, size) for row in rows], "pager": _pager(first, before, size)})


def _index(node, size: int) -> dict:
    """For a program asking /log: where the log's data is."""
    return {"origin": node.config.origin, "size": size,
            "checkpoint": f"{node.url}/log/checkpoint",
            "entries": f"{node.url}/log/entries?start=0",
            "inclusionProof": f"{node.url}/log/proof/inclusion?index={{index}}&size={{size}}",
            "consistencyProof": f"{node.url}/log/proof/consistency?from={{from}}&to={{to}}"}


def _number(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name, "").strip()
    return whole_number(name, raw, kind="an entry number") if raw else None


def _row(node, row, size: int) -> dict:
    """One entry as the table shows it; ``activity`` is None once the entry is redacted (only
    its leaf hash is kept)."""
    return {"idx": row.idx, "recorded_at": row.recorded_at, "type": row.type, "object_id": row.object_id,
            "object_label": _short(row.object_id) if row.object_id else "",
            "actor": named(node, row.actor) if row.actor else None, "origin": row.origin,
            "leaf_hash": row.leaf_hash.hex(), "proof": proof_url(row.idx, size),
            "activity": row.activity_id if row.body is not None else None}


def _short(url: str) -> str:
    tail = url.rstrip("/").rsplit("/", 2)
    return "/".join(tail[-2:]) if len(tail) > 1 else url


def _pager(first: int, before: int, size: int) -> list[tuple[str, str]]:
    """(href, text) of the links to the neighbouring pages."""
    links = []
    if before < size:
        links.append((f"/log?before={min(size, before + PAGE)}", "← newer"))
    if first > 0:
        links.append((f"/log?before={first}", "older →"))
    if before < size:
        links.append(("/log", "newest"))
    return links
