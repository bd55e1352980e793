"""What several pages show the same way: names, contribution tables, proofs, standing."""

import asyncio
from typing import Callable, Sequence, TypeVar

from aiohttp import web

from ...effort import format_effort
from ...errors import FedcommonsError
from ...node import Node
from ...services import standing as standing_service
from ...store import actors as actor_store
from ...store import log as log_store
from ...store.contributions import ContributionRow
from .. import html

T = TypeVar("T")


def respond(request: web.Request, title: str, body: str, *, status: int = 200) -> web.Response:
    """A whole page as the response."""
    return web.Response(text=html.page(title, body, request.app), content_type="text/html", status=status)


def name_of(node: Node, url: str) -> str:
    """How to call an actor: its display name when this node knows it, else the last part of its URL."""
    row = actor_store.actor(node.db, url)
    if row is not None and (row.display_name or row.name):
        return row.display_name or row.name
    return url.rstrip("/").rsplit("/", 1)[-1] or url


def actor_link(node: Node, url: str) -> str:
    """An anchor to an actor, labelled with its name."""
    return html.link(url, name_of(node, url))


def proof_url(index: int, size: int) -> str:
    """Where the inclusion proof of log entry ``index`` in the tree of ``size`` is served."""
    return f"/log/proof/inclusion?index={index}&size={size}"


def log_size(node: Node) -> int:
    """The size of the latest signed checkpoint (every append signs one): proofs are against it."""
    latest = log_store.latest_checkpoint(node.db)
    return latest[0] if latest else 0


def status(value: str) -> str:
    """A contribution status, coloured by the stylesheet."""
    return f"<span class='status-{html.esc(value)}'>{html.esc(value)}</span>"


def contribution_table(node: Node, rows: Sequence[ContributionRow], *, show_pool: bool = True,
                       show_contributor: bool = True) -> str:
    """Contributions with their status and a link to the inclusion proof of each one's log entry."""
    if not rows:
        return "<p class=muted>No contributions yet.</p>"
    size = log_size(node)
    head = ("<th class=opt>Date</th>" + ("<th>Who</th>" if show_contributor else "")
            + ("<th>Pool</th>" if show_pool else "")
            + "<th class=opt>Kind</th><th class=num>Effort</th><th>What</th><th>Status</th><th class=opt>Log</th>")
    body = []
    for c in rows:
        proof = html.link(proof_url(c.entry, size), f"#{c.entry} proof") if c.entry < size else f"#{c.entry}"
        decided = f" title='by {html.esc(name_of(node, c.decided_by))}: {html.esc(c.reason or '')}'" \
            if c.decided_by else ""
        body.append(
            "<tr>"
            f"<td class=opt>{html.esc(c.published[:10])}</td>"
            + (f"<td>{actor_link(node, c.contributor)}</td>" if show_contributor else "")
            + (f"<td>{actor_link(node, c.pool)}</td>" if show_pool else "")
            + f"<td class=opt>{html.esc(c.kind)}</td><td class=num>{html.esc(format_effort(c.minutes))}</td>"
            f"<td>{html.link(c.id, c.summary)}</td><td{decided}>{status(c.status)}</td>"
            f"<td class=opt>{proof}</td></tr>"
        )
    return (f"<div class=scroll><table class=contributions><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")


async def in_worker(node: Node, work: Callable[[Node], T]) -> T:
    """Run a long read (standing reads the whole log) in a worker thread on its own
    database connection, so the server keeps answering meanwhile."""

    def run() -> T:
        reader = standing_service.reader(node)
        try:
            return work(reader)
        finally:
            reader.close()

    return await asyncio.get_running_loop().run_in_executor(None, run)


def standing_or_reason(node: Node, pool_url: str) -> standing_service.Standing | str:
    """The pool's standing now, or why it cannot be shown (for a page, not an error)."""
    try:
        return standing_service.pool_standing(node, pool_url)
    except FedcommonsError as exc:
        return str(exc)
