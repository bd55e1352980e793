"""Checking a published statement: recompute it from the log it names.

:func:`verify_statement` fetches the statement (from this node when the URL is ours), takes
the log its checkpoint names (this node's own, or the mirror of the cooperative's node,
replicated first when it holds too little), rehashes the first ``treeSize`` entries to
the ``rootHash`` the statement names, folds them into the cooperative's movements with
the pure core and compares every figure and line. Problems are collected, not raised.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import orjson

from ... import urls
from ...books import movements, statement_document, statement_period
from ...books.statement import STATEMENT_TYPE, statement_differences
from ...errors import BadInput, FedcommonsError
from ...log.merkle import Frontier, leaf_hash
from ...node import Node
from ...store import actors as actor_store
from ..standing import standing as standing_service
from . import books

if TYPE_CHECKING:  # the type only: the client is an edge's, handed in
    from ...federation.client import Client


@dataclass
class StatementCheck:
    """What :func:`verify_statement` found; ``ok`` when there is no problem."""

    url: str
    problems: list[str] = field(default_factory=list)
    cooperative: str | None = None
    period: str | None = None
    tree_size: int | None = None
    lines: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict:
        """The report for ``--format json``."""
        return {"url": self.url, "ok": self.ok, "problems": self.problems, "cooperative": self.cooperative,
                "period": self.period, "treeSize": self.tree_size, "lines": self.lines}


async def verify_statement(node: Node, client: Client, url: str) -> StatementCheck:
    """Check the statement at ``url`` as the module docstring says."""
    check = StatementCheck(url)
    document = await _fetch(node, client, url)
    if not isinstance(document, dict) or document.get("type") != STATEMENT_TYPE:
        check.problems.append(f"{url} is not a Statement (type {STATEMENT_TYPE})")
        return check
    coop, cp = document.get("cooperative"), document.get("checkpoint")
    if not isinstance(coop, str) or not isinstance(cp, dict):
        check.problems.append("a statement names its cooperative and checkpoint")
        return check
    size, origin = cp.get("treeSize"), cp.get("origin")
    check.cooperative, check.period, check.tree_size = coop, document.get("period"), size
    check.lines = len(document.get("lines") or [])
    try:
        if origin == node.config.origin:
            log = standing_service.local_log(node)
        else:
            parts = urlsplit(coop)
            log = await standing_service.replicated_log(node, client, str(origin),
                                                        peer=f"{parts.scheme}://{parts.netloc}", need=size)
    except FedcommonsError as exc:
        check.problems.append(f"the log of {origin} cannot be read here: {exc}")
        return check
    if type(size) is not int or not 0 <= size <= log.size:
        check.problems.append(f"the statement names {size} entries of the log of {origin}, which has {log.size} here")
        return check
    frontier, logged = Frontier.empty(), []
    needle = coop.encode()
    for row in log.entries(0, size):
        frontier.append(row.leaf_hash if row.body is None else leaf_hash(row.body))
        if row.body is not None and needle in row.body:  # only the cooperative's entries are parsed
            logged.append((row.idx, orjson.loads(row.body)))
    root = base64.b64encode(frontier.root()).decode("ascii")
    if root != cp.get("rootHash"):
        check.problems.append(f"the first {size} entries of the log of {origin} have root {root}, "
                              "not the rootHash the statement names")
        return check
    try:
        recomputed = statement_document(
            coop, movements(logged, coop), label=str(document.get("period")),
            start=str(document.get("periodStart")), after=str(document.get("periodEnd")),
            checkpoint=cp, url=url)
    except (BadInput, KeyError, ValueError) as exc:
        check.problems.append(f"cannot recompute the statement: {exc}")
        return check
    check.problems.extend(statement_differences(document, recomputed))
    return check


async def _fetch(node: Node, client: Client, url: str) -> Any:
    """The statement at ``url``: computed here for one of our cooperatives, else fetched."""
    if not urls.is_local(node.url, url):
        return await client.get_json(url)
    parts = urlsplit(url)
    coop_url = f"{parts.scheme}://{parts.netloc}{parts.path.removesuffix('/books')}"
    coop = actor_store.actor(node.db, coop_url)
    if coop is None or coop.kind != "cooperative" or not parts.path.endswith("/books"):
        raise BadInput(f"{url} is not the books of a cooperative of this node")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    label, start, after = statement_period(query.get("period"), query.get("from"), query.get("to"),
                                           today=books.today())
    size = query.get("treeSize")
    if size is not None and not size.isdigit():
        raise BadInput(f"treeSize {size!r} must be a whole number")
    return books.statement(node, coop, label, start, after, None if size is None else int(size))
