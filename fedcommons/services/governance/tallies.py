"""A proposal's tally as a signed ``fc:Tally`` document; settling proposals at their end.

A Tally is computed like a Standing (:mod:`fedcommons.services.standing.standing`): every
log entry up to a checkpoint is read once, in index order, and the pure core
(:mod:`fedcommons.governance.tally`) counts. The document names the proposal, ``asOf``
(the proposal's end once it has ended, else now) and the checkpoint; its ``id`` is the URL
that recomputes it, and its proof, dated ``asOf``, is the node's. The same inputs give the
same bytes.

When a proposal's end has passed, :func:`settle_due` computes its final tally and, when an
option with a change was adopted, the governed actor applies it with an ``Update`` citing
the tally, in one transaction with the record that the proposal was settled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import quote

from ... import urls
from ...errors import BadInput, NotFound
from ...governance.activities import governed_update
from ...governance.document import tally_document
from ...governance.records import GovernanceLog
from ...governance.tally import ADOPTED, OPEN, Tally, tally_of
from ...log.merkle import Frontier
from ...node import Node, now
from ...standing.clock import format_micros, micros_of, parse_micros
from ...standing.ledger import PoolLedger
from ...store import actors as actor_store
from ...store import governance as governance_store
from ...store.db import transaction
from ...untrusted import whole_number
from ..actors.actors import public_description
from ..actors.signing import sign_as
from ..log import log_writer
from ..standing.pool_state import read_ledger
from ..standing.standing import Check, local_log, local_query, root_check, shape_problem, show, sign, signed_log

if TYPE_CHECKING:  # the type only: the client is an edge's, handed in
    from ...federation.client import Client


@dataclass(frozen=True)
class TallyDocument:
    """A computed tally: the document (signed by this node), its JCS bytes, and the count."""

    document: dict
    body: bytes
    tally: Tally

    @property
    def url(self) -> str:
        return self.document["id"]


def tally_url(proposal: str, as_of: str, tree_size: int) -> str:
    """The URL that recomputes a Tally: the proposal's, with asOf and treeSize."""
    return f"{proposal}/tally?asOf={quote(as_of, safe=':')}&treeSize={tree_size}"


def read_governance(entries: Iterable, governs: str, frontier: Frontier | None = None,
                    retained: Mapping[int, bytes] | None = None) -> tuple[PoolLedger, GovernanceLog]:
    """Stream log rows into the governed pool's ledger and the governance log (and, with
    ``frontier``, rehash every entry into it); redacted entries read as their ``retained`` figures."""
    log = GovernanceLog()
    return read_ledger(entries, governs, frontier, retained, also=lambda _, activity: log.add(activity)), log


def compute(ledger: PoolLedger, log: GovernanceLog, proposal_id: str, checkpoint: dict,
            as_of: int | None = None) -> tuple[dict, Tally]:
    """The unsigned document (with ``id``) and the tally at ``as_of`` (microseconds), which
    is capped at the proposal's end; by default the end, or now while it is open."""
    proposal = log.proposals.get(proposal_id)
    if proposal is None:
        raise NotFound(f"the log holds no proposal {proposal_id}")
    if as_of is None:
        as_of = min(proposal.end, micros_of(datetime.now(timezone.utc).replace(microsecond=0)))
    tally = tally_of(ledger, log, proposal_id, min(as_of, proposal.end))
    core = tally_document(tally, checkpoint)
    document = {"@context": core.pop("@context"),
                "id": tally_url(proposal_id, core["asOf"], checkpoint["treeSize"]), **core}
    return document, tally


def proposal_tally(node: Node, proposal_id: str, *, as_of: int | None = None,
                   tree_size: int | None = None) -> TallyDocument:
    """The tally of one of this node's proposals, signed by this node."""
    row = governance_store.proposal(node.db, proposal_id)
    if row is None:
        raise NotFound(f"no proposal {proposal_id} on this node (`fedcommons proposals POOL` lists them)")
    log = local_log(node)
    checkpoint = log.checkpoint(tree_size)
    ledger, governance = read_governance(log.entries(0, checkpoint["treeSize"]), row.governs,
                                         retained=log.retained())
    document, tally = compute(ledger, governance, proposal_id, checkpoint, as_of)
    document["attributedTo"] = node.actor_id
    document, body = sign(node, document, created=document["asOf"])
    return TallyDocument(document, body, tally)


_TALLY_PATH = re.compile(r"(/(?:pools|coops)/[a-z0-9_.-]+/proposals/[0-9a-f]+)/tally")


def local_tally_document(node: Node, url: str) -> TallyDocument:
    """One of this node's Tally documents by URL, recomputed; NotFound for any other URL."""
    path, query = local_query(node, url, _TALLY_PATH, "a Tally of this node (those are at POOL/proposals/ID/tally)")
    return query_tally(node, node.url + path, query)


def query_tally(node: Node, proposal_id: str, query) -> TallyDocument:
    """The tally a ``.../tally?asOf=&treeSize=`` URL asks for (each optional)."""
    as_of = query.get("asOf") or None
    micros = None
    if as_of is not None:
        micros = parse_micros(as_of)
        if micros is None or "T" not in as_of:
            raise BadInput(f"asOf {as_of!r} is not an ISO 8601 instant such as 2026-01-01T00:00:00Z")
    tree = query.get("treeSize") or None
    size = None if tree is None else whole_number("treeSize", tree, minimum=1)
    return proposal_tally(node, proposal_id, as_of=micros, tree_size=size)


# -- settling -------------------------------------------------------------------------


def settle_due(node: Node, at: str | None = None) -> list[tuple[str, str, str | None]]:
    """Settle every proposal whose end has passed by ``at`` (default now): (proposal,
    outcome, the applying Update's id or None), in order of their ends."""
    at = at or now()
    return [record_settlement(node, final_tally(node, row.id, at)) for row in governance_store.due(node.db, at)]


def final_tally(node: Node, proposal_id: str, at: str | None = None) -> TallyDocument:
    """A proposal's tally as of ``at`` (default now) capped at its end; BadInput while it is
    open. Only reads: the server computes it away from its writer."""
    result = proposal_tally(node, proposal_id, as_of=parse_micros(at or now()))
    if result.tally.outcome == OPEN:
        raise BadInput(f"{proposal_id} ends at {format_micros(result.tally.proposal.end)}; it is still open")
    return result


def record_settlement(node: Node, result: TallyDocument) -> tuple[str, str, str | None]:
    """Record a final tally and apply an adopted change, in one transaction; a proposal
    already settled is left alone.

    Counting from a checkpoint taken before this transaction loses nothing: once the end
    has passed, no vote dated before it can be appended (local votes are refused, and one
    from another server is dated at its arrival).
    """
    tally = result.tally
    proposal_id = tally.proposal.id
    with transaction(node.db):
        row = governance_store.proposal(node.db, proposal_id)
        if row is None or row.settled_at is not None:
            raise BadInput(f"{proposal_id} is not a proposal waiting to be settled")
        update_id = None
        if tally.outcome == ADOPTED and tally.change:
            update_id = _apply(node, row.governs, tally.change, result.url, format_micros(tally.proposal.end))
        governance_store.settle(node.db, proposal_id, tally.outcome, result.url, now())
    return proposal_id, tally.outcome, update_id


def _apply(node: Node, governs: str, change: dict, tally: str, end: str) -> str:
    """The governed actor's Update with the adopted change, citing the tally, dated at the
    proposal's end: the change holds from then, however late the node settles it."""
    actor = actor_store.actor(node.db, governs)
    if actor is None or not actor.local:
        raise NotFound(f"{governs} is not an actor of this node")
    if actor.kind == "pool":
        obj = {"id": actor.id, "type": ["Group", "CommonPool"], **change, "tally": tally}
    else:
        obj = {**public_description(node, actor), **change, "tally": tally}
    activity = governed_update(activity_id=urls.new_activity(node.url), actor=actor.id, obj=obj,
                               published=end)
    log_writer.append(node, [sign_as(node, actor, activity)])
    return activity["id"]


# -- verifying ------------------------------------------------------------------------


async def fetch_tally(node: Node, client: Client, url: str) -> dict:
    """A Tally document by URL: recomputed here for one of this node's, fetched otherwise."""
    if not urls.is_local(node.url, url):
        return await client.get_json(url)
    return local_tally_document(node, url).document


async def verify_tally(node: Node, client: Client, document: dict) -> Check:
    """Check a Tally: the issuing node's proof, that the log it names is the one held here
    (replicated if need be), that its first ``treeSize`` entries hash to ``rootHash``, and
    that counting again from them gives every vote, path, total and the outcome it states."""
    problem = _shape_problem(document)
    if problem:
        return Check(False, problem)
    log = await signed_log(node, client, document, document["governs"])
    if isinstance(log, Check):
        return log
    checkpoint = document["checkpoint"]
    origin, size = checkpoint["origin"], checkpoint["treeSize"]
    frontier = Frontier.empty()
    ledger, governance = read_governance(log.entries(0, size), document["governs"], frontier, log.retained())
    wrong = root_check(frontier, checkpoint)
    if wrong is not None:
        return wrong
    as_of = parse_micros(document["asOf"])
    try:
        expected, tally = compute(ledger, governance, document["proposal"], checkpoint, as_of)
    except (BadInput, NotFound) as exc:
        return Check(False, f"cannot recompute it: {exc}", tree_size=size, origin=origin)
    difference = first_tally_difference(document, expected)
    return Check(difference is None, difference, rows=len(tally.counted), tree_size=size, origin=origin)


FIELDS = ("proposal", "governs", "asOf", "endTime", "checkpoint", "governance", "electorateWeight",
          "participation", "votes", "uncounted", "totals", "outcome", "winner")


def first_tally_difference(document: dict, expected: dict) -> str | None:
    """The first field where ``document`` differs from the recomputed ``expected``; for the
    votes, the first vote that does."""
    stated = document.get("votes")
    if isinstance(stated, list) and stated != expected["votes"]:
        recomputed = {v["elector"]: v for v in expected["votes"]}
        for vote in stated:
            elector = vote.get("elector") if isinstance(vote, dict) else None
            if elector not in recomputed:
                return f"the vote of {elector} is in the document but not counted again"
            recomputed_vote = recomputed.pop(elector)
            if vote != recomputed_vote:
                return f"the vote of {elector} differs: {show(vote)} in the document, {show(recomputed_vote)} recounted"
        if recomputed:
            return f"the vote of {next(iter(recomputed))} is counted again but missing from the document"
    for field in FIELDS:
        if document.get(field) != expected[field]:
            return f"{field} is {show(document.get(field))} in the document, {show(expected[field])} recounted"
    return None


def _shape_problem(document: object) -> str | None:
    """What makes ``document`` not a Tally at all, or None."""
    problem = shape_problem(document, "Tally", (("proposal", str), ("governs", str), ("asOf", str),
                                                ("votes", list), ("totals", list), ("outcome", str)))
    if problem is None and parse_micros(document["asOf"]) is None:
        return "its asOf is not an ISO 8601 instant"
    return problem
