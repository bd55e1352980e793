"""What several pages show the same way: names, contribution tables, proofs, standing."""

import asyncio
from dataclasses import dataclass
from typing import Callable, Sequence, TypeVar

from ...errors import FedcommonsError
from ...node import Node
from ...services.moderation.blocks import blocked_check
from ...services.standing import standing as standing_service
from ...store import actors as actor_store
from ...store import log as log_store
from ...store.contributions import ContributionRow

T = TypeVar("T")


@dataclass(frozen=True)
class Named:
    """An actor as a page links it: its URL and what to call it (the ``actor`` macro)."""

    url: str
    name: str


def name_of(node: Node, url: str) -> str:
    """How to call an actor: its display name when this node knows it, else the last part of its URL."""
    row = actor_store.actor(node.db, url)
    if row is not None and (row.display_name or row.name):
        return row.display_name or row.name
    return url.rstrip("/").rsplit("/", 1)[-1] or url


def named(node: Node, url: str) -> Named:
    """An actor with its name, for the ``actor`` macro."""
    return Named(url, name_of(node, url))


def proof_url(index: int, size: int) -> str:
    """Where the inclusion proof of log entry ``index`` in the tree of ``size`` is served."""
    return f"/log/proof/inclusion?index={index}&size={size}"


def log_size(node: Node) -> int:
    """The size of the latest signed checkpoint (every append signs one): proofs are against it."""
    latest = log_store.latest_checkpoint(node.db)
    return latest[0] if latest else 0


def contribution_table(node: Node, rows: Sequence[ContributionRow]) -> list[dict]:
    """Contributions as the ``contribution_table`` macro shows them: with names, and the
    inclusion proof of each one's log entry once a checkpoint covers it."""
    size = log_size(node)
    is_blocked = blocked_check(node)
    rows = [c for c in rows if not (is_blocked(c.contributor) or is_blocked(c.pool))]
    return [{"published": c.published, "contributor": named(node, c.contributor), "pool": named(node, c.pool),
             "kind": c.kind, "minutes": c.minutes, "id": c.id, "summary": c.summary, "status": c.status,
             "decided_by": name_of(node, c.decided_by) if c.decided_by else None, "reason": c.reason,
             "entry": c.entry, "proof": proof_url(c.entry, size) if c.entry < size else None}
            for c in rows]


async def in_worker(node: Node, work: Callable[[Node], T]) -> T:
    """Run a long read (standing reads the whole log) in a worker thread on its own
    database connection, so the server keeps answering meanwhile."""

    return await asyncio.get_running_loop().run_in_executor(None, standing_service.on_reader, node, work)


def standing_or_reason(node: Node, pool_url: str) -> standing_service.Standing | str:
    """The pool's standing now, or why it cannot be shown (for a page, not an error)."""
    try:
        return standing_service.pool_standing(node, pool_url)
    except FedcommonsError as exc:
        return str(exc)
