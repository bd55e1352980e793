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
from .. import html
from ..negotiation import wants_activity_json
from .common import actor_link, log_size, proof_url, respond

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
    parts = ["<h1>The log</h1>",
             f"<p class=muted>{size:,} entries, each the canonical bytes of one signed activity. "
             "A leaf hash is SHA-256 of 0x00 and those bytes; the proof shows that the entry is in the tree "
             "whose root the latest checkpoint signs.</p>",
             _checkpoint(node, size), _jump(entry)]
    if rows:
        parts.append(f"<p class=muted>Entries {first:,} to {before - 1:,}, newest first.</p>")
        parts.append(_table(node, rows, size, entry))
    else:
        parts.append("<p class=muted>No entries here.</p>")
    parts.append(_pager(first, before, size))
    return respond(request, "Log", "".join(parts))


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


def _checkpoint(node, size: int) -> str:
    latest = log_store.latest_checkpoint(node.db)
    if latest is None:
        return ""
    lines = witness_store.cosignature_lines(node.db, size)
    return ("<details><summary>Latest checkpoint"
            + (f" and {len(lines)} cosignature{'s' if len(lines) != 1 else ''}" if lines else "")
            + f"</summary><pre class=checkpoint>{html.esc(latest[2] + ''.join(lines))}</pre>"
            f"<p class=muted>{html.link('/log/checkpoint', 'as text')} · "
            f"{html.link('/log/entries?start=0', 'entries as JSON')}</p></details>")


def _jump(entry: int | None) -> str:
    value = "" if entry is None else str(entry)
    return ('<form method=get action="/log" class=jump><label for=entry>Go to entry</label> '
            f'<input id=entry name=entry inputmode=numeric size=8 value="{html.esc(value)}"> '
            "<button>Show</button></form>")


def _table(node, rows, size: int, highlight: int | None) -> str:
    body = []
    for row in rows:
        activity = _activity(row)
        what = html.esc(row.type)
        if row.object_id:
            what += " " + html.link(row.object_id, _short(row.object_id))
        source = "here" if row.origin == "local" else f"from {html.esc(row.origin)}"
        body.append(
            f"<tr id=entry-{row.idx}{' class=highlight' if row.idx == highlight else ''}>"
            f"<td class=num>{row.idx}</td><td class=opt>{html.esc(row.recorded_at)}</td>"
            f"<td>{what}<br><span class=muted>by {actor_link(node, row.actor) if row.actor else '?'} · "
            f"{source}</span></td>"
            f"<td><span class=hash title='leaf hash (hex)'>{row.leaf_hash.hex()}</span></td>"
            f"<td>{html.link(proof_url(row.idx, size), 'proof')}<br>"
            f"{html.link(f'/log/entries?start={row.idx}&limit=1', 'bytes')}"
            + (f"<br>{html.link(activity, 'activity')}" if activity else "<br><span class=muted>redacted</span>")
            + "</td></tr>")
    return ("<div class=scroll><table class=log><thead><tr><th class=num>#</th><th class=opt>Recorded</th>"
            "<th>What</th><th>Leaf hash</th><th>Check</th></tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _activity(row) -> str | None:
    """The activity's URL, while its bytes are held (a redacted entry keeps only its leaf hash)."""
    return row.activity_id if row.body is not None else None


def _short(url: str) -> str:
    tail = url.rstrip("/").rsplit("/", 2)
    return "/".join(tail[-2:]) if len(tail) > 1 else url


def _pager(first: int, before: int, size: int) -> str:
    links = []
    if before < size:
        links.append(html.link(f"/log?before={min(size, before + PAGE)}", "← newer"))
    if first > 0:
        links.append(html.link(f"/log?before={first}", "older →"))
    if before < size:
        links.append(html.link("/log", "newest"))
    return f"<nav class=pager><p>{' · '.join(links)}</p></nav>" if links else ""
