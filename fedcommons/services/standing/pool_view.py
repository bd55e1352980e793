"""A pool as its log shows it, recomputed here: what `fedcommons pool show` prints and what the
page of a followed pool on another node shows.

For a pool on another node the log is this node's mirror of its home node's log, and only
the entries a checkpoint signed by that log's pinned key covers are read (an activity another
server pushed counts for nothing here until the origin's own log holds it). For a local pool
it is this node's own log.

One pass over the log gives everything: the stewards and standing method in force now, each
contribution with the status the standing rules give it (:mod:`fedcommons.standing.view`),
its summary and log index, and the standing itself. Nothing here is signed: a pool's standing
is signed only by its home node (`fedcommons standing` for a pool of this node).
"""

from __future__ import annotations

from dataclasses import dataclass

from ... import urls
from ...errors import FedcommonsError, NotFound
from ...ld.canonical import canonicalize
from ...node import Node
from ...standing import contributions, pool_method, stewards
from ...store import mirrors as mirror_store
from ...store.mirrors import MirrorRow
from .pool_state import read_ledger
from .standing import Standing, compute, log_of_pool, parse_as_of

RECENT = 25


@dataclass(frozen=True)
class PoolContribution:
    """One contribution to the pool, as of now."""

    id: str
    contributor: str
    kind: str
    minutes: float
    published: str
    status: str  # pending, validated or rejected, by the rules standing applies
    summary: str
    entry: int  # its index in the log it was read from


@dataclass(frozen=True)
class PoolView:
    """A pool recomputed from a log held here."""

    pool: str
    log: str  # the log's origin line
    size: int  # entries read: all a signed checkpoint covers
    mirror: MirrorRow | None  # how far the mirror has got; None for a pool of this node
    stewards: tuple[str, ...]
    method: str
    parameters: dict
    total: int
    recent: list[PoolContribution]  # newest first
    standing: Standing | None  # unsigned
    standing_problem: str | None = None

    @property
    def remote(self) -> bool:
        """Whether the pool lives on another node (and this is read from a mirror)."""
        return self.mirror is not None


def pool_view(node: Node, pool: str, *, recent: int = RECENT) -> PoolView:
    """The pool at URL ``pool`` as the log held here shows it now (see the module docstring).

    FedcommonsError when no log here holds it: not replicated yet, forked, or without the
    pool's Create."""
    log = log_of_pool(node, pool)
    if log.size == 0:
        raise NotFound(f"the log of {log.origin} holds no entries yet")
    checkpoint = log.checkpoint()
    found: dict[str, tuple[int, str]] = {}

    def note_contribution(index: int, activity: object) -> None:
        obj = activity.get("object") if isinstance(activity, dict) else None
        if isinstance(obj, dict) and obj.get("receiver") == pool and isinstance(obj.get("id"), str):
            name = obj.get("name")
            found.setdefault(obj["id"], (index, name if isinstance(name, str) else ""))

    ledger = read_ledger(log.entries(0, log.size), pool, retained=log.retained(), also=note_contribution)
    as_of = parse_as_of(None)
    method, parameters = pool_method(ledger, as_of)  # NotFound before the pool's Create
    # Newest first; contributions published in the same second, in log order.
    listed = sorted(contributions(ledger, as_of), key=lambda c: (c.published, found.get(c.id, (-1,))[0], c.id),
                    reverse=True)
    shown = []
    for c in listed[:recent]:
        entry, summary = found.get(c.id, (-1, ""))
        shown.append(PoolContribution(c.id, c.contributor, c.kind, c.minutes, c.published, c.status, summary, entry))
    standing, problem = None, None
    try:
        document, result = compute(ledger, checkpoint, as_of)
        standing = Standing(document, canonicalize(document), result)
    except FedcommonsError as exc:
        problem = str(exc)
    mirror = None
    if not urls.is_local(node.url, pool):
        mirror = mirror_store.mirror(node.db, log.origin)
    return PoolView(pool=pool, log=log.origin, size=log.size, mirror=mirror, stewards=stewards(ledger, as_of),
                    method=method, parameters=parameters, total=len(listed), recent=shown, standing=standing,
                    standing_problem=problem)
