"""A pool's standing computed from a log, as a signed ``fc:Standing`` document.

The figures come from the pure core (:mod:`fedcommons.standing`): the log's entries up to
a checkpoint are read once, in index order, into a :class:`PoolLedger`, whose memory grows
with the pool's facts, not with the log. A local pool is read from the state this node
keeps per pool (:mod:`.pool_state`: only the pool's own entries); a remote pool from this
node's mirror of its home node's log, whole. Checking a document reads the whole log.

What fixes a Standing document, and so its bytes:

- the log and its size (``checkpoint``: origin, treeSize and the base64 root);
- the method and its full parameters: the pool's own, as its log says at ``asOf``; a
  method asked for by name gets the pool's parameters if it is the pool's method, else
  its defaults;
- ``asOf``: now, truncated to the second, unless given. A date ``YYYY-MM-DD`` means the
  end of that day in UTC (its last microsecond), so everything published on it counts.
  An instant in the future is refused: nothing could vouch for it yet.

The proof is dated ``asOf`` rather than the signing time, and Ed25519 signatures are
deterministic, so the same inputs give the same bytes, proof included, on every request.
The document's ``id`` names all three inputs, so fetching it recomputes the same document.
A remote pool's standing computed here is left unsigned: only a pool's home node signs.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import parse_qs, quote, urlsplit

import orjson

from ... import urls
from ...errors import BadInput, NotFound
from ...ld.canonical import canonicalize
from ...log.merkle import Frontier
from ...node import NODE_NAME, Node
from ...sig.proof import create_proof_canonical, proof_verification_method, verify_proof
from ...standing import (
    PoolLedger,
    StandingResult,
    compute_standing,
    pool_method,
    standing_document,
    validate_parameters,
)
from ...store import actors as actor_store
from ...untrusted import calendar_day, instant, whole_number
from . import pool_state
from .logs import LogView, local_log, log_of_pool, replicated_log
from .parallel import log_ledger

if TYPE_CHECKING:  # the type only: the client is an edge's, handed in
    from ...federation.client import Client

ONE_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Standing:
    """A computed standing: the document (signed when the pool is ours), its JCS bytes, the rows."""

    document: dict
    body: bytes
    result: StandingResult

    @property
    def url(self) -> str:
        """The URL that recomputes this document."""
        return self.document["id"]


# -- inputs ---------------------------------------------------------------------------


def parse_as_of(text: str | None, *, now: datetime | None = None) -> datetime:
    """``asOf`` from user input (see the module docstring); BadInput says what to write."""
    current = now or datetime.now(timezone.utc)
    if text is None or not text.strip():
        return current.replace(microsecond=0)
    text = text.strip()
    if "T" not in text and " " not in text:
        day = calendar_day("asOf", text)
        moment = datetime.combine(day + timedelta(days=1), time(), timezone.utc) - ONE_MICROSECOND
    else:
        moment = instant("asOf", text)
    if moment > current:
        raise BadInput(f"asOf {text} is in the future; leave it out for the standing as of now")
    return moment


def standing_url(pool: str, as_of: str, method: str, tree_size: int) -> str:
    """The URL that recomputes a Standing: its pool's, with asOf, method and treeSize."""
    query = f"asOf={quote(as_of, safe=':')}&method={quote(method, safe='/')}&treeSize={tree_size}"
    return f"{pool}/standing?{query}"


# -- computing ------------------------------------------------------------------------


def compute(ledger: PoolLedger, checkpoint: dict, as_of: datetime, method: str | None = None,
            parameters: dict | None = None) -> tuple[dict, StandingResult]:
    """The unsigned document (with ``id``) and the result, from a ledger read up to ``checkpoint``.

    Without ``method``, the pool's own method and parameters at ``as_of``; with a method and
    no ``parameters``, the pool's parameters if it is the pool's method, else the defaults.
    NotFound when the log holds no Create of the pool by ``as_of``.
    """
    own_method, own_parameters = pool_method(ledger, as_of)
    if method is None:
        method, parameters = own_method, own_parameters
    elif parameters is None and method == own_method:
        parameters = own_parameters
    result = compute_standing(ledger, method, parameters, as_of)
    core = standing_document(ledger.pool, method, parameters, as_of, checkpoint, result)
    document = {
        "@context": core.pop("@context"),
        "id": standing_url(ledger.pool, core["asOf"], core["method"], checkpoint["treeSize"]),
        **core,
    }
    return document, result


def pool_standing(node: Node, pool: str, *, method: str | None = None, as_of: datetime | None = None,
                  tree_size: int | None = None, full: bool = False) -> Standing:
    """The standing of ``pool`` (a URL) as of ``as_of`` (default now), from its log up to
    ``tree_size`` (default: the newest checkpoint). Signed by this node when the pool is ours.

    A local pool's ledger comes from the state kept per pool (:mod:`.pool_state`), read
    from its own entries only; ``full`` reads the whole log instead, as checking a
    document does. The two give the same bytes.
    """
    as_of = as_of or parse_as_of(None)
    log = log_of_pool(node, pool)
    checkpoint = log.checkpoint(tree_size)
    size = checkpoint["treeSize"]
    if not full and log.origin == node.config.origin:
        with pool_state.pool_ledger(node, pool, size) as held:
            if held is not None:
                key = (method, as_of, size)
                if held.memo_key != key:
                    held.memo, held.memo_key = _standing(node, pool, held.ledger, checkpoint, as_of, method), key
                # A document of its own for each caller, so that none changes another's.
                return replace(held.memo, document=orjson.loads(held.memo.body))
    return _standing(node, pool, log_ledger(log, size, pool), checkpoint, as_of, method)


def _standing(node: Node, pool: str, ledger: PoolLedger, checkpoint: dict, as_of: datetime,
              method: str | None) -> Standing:
    document, result = compute(ledger, checkpoint, as_of, method)
    if urls.is_local(node.url, pool):
        document["attributedTo"] = node.actor_id
        document, body = sign(node, document, created=result.as_of_text)
    else:
        # Only the pool's home node speaks for it; a figure computed here stays unsigned.
        body = canonicalize(document)
    return Standing(document, body, result)


def local_pool_standing(node: Node, slug: str, **options) -> Standing:
    """:func:`pool_standing` of a local pool by slug; NotFound when there is none."""
    row = actor_store.local_actor(node.db, slug, "pool")
    if row is None:
        raise NotFound(f"no pool {slug!r} on this node")
    return pool_standing(node, row.id, **options)


def sign(node: Node, document: dict, *, created: str) -> tuple[dict, bytes]:
    """The document with this node's Data Integrity proof, dated ``created``, and its JCS bytes.

    Like :func:`~fedcommons.services.actors.signing.sign_as` for the instance actor, but dated by
    the caller: a Standing has no ``published`` of its own, and its proof must not depend
    on when it was asked for.
    """
    actor = actor_store.local_actor(node.db, NODE_NAME, "node")
    key = node.keys.ed25519("node", NODE_NAME)
    return create_proof_canonical(document, key, actor.ed25519_key_id, created=created)


T = TypeVar("T")


def reader(node: Node) -> Node:
    """Another handle on ``node`` with its own read-only connection, for a worker thread:
    a long read there sees only committed writes and never holds up the event loop's."""
    return node.reopen(readonly=True)


def on_reader(node: Node, work: Callable[[Node], T]) -> T:
    """``work(handle)`` on a :func:`reader` of ``node`` of its own, closed afterwards (call
    it in a worker thread)."""
    handle = reader(node)
    try:
        return work(handle)
    finally:
        handle.close()


def query_standing(node: Node, slug: str, query) -> Standing:
    """The standing a ``/pools/{slug}/standing`` URL asks for: ``asOf``, ``method`` and
    ``treeSize`` from ``query`` (a mapping of strings), each optional; BadInput if unreadable."""
    method = query.get("method") or None
    if method is not None:
        validate_parameters(method, None)  # an unknown method is refused before reading the log
    tree = query.get("treeSize") or None
    return local_pool_standing(node, slug, method=method, as_of=parse_as_of(query.get("asOf")),
                               tree_size=None if tree is None else whole_number("treeSize", tree, minimum=1))


# -- verifying ------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """What :func:`verify_standing` found: ``ok``, or the first ``problem`` met."""

    ok: bool
    problem: str | None = None
    rows: int = 0
    tree_size: int = 0
    origin: str = ""


async def fetch_standing(node: Node, client: Client, url: str) -> dict:
    """A Standing document by URL: recomputed here for one of this node's, fetched otherwise."""
    if not urls.is_local(node.url, url):
        return await client.get_json(url)
    return local_standing_document(node, url)


def local_standing_document(node: Node, url: str) -> dict:
    """One of this node's Standing documents by URL, recomputed; NotFound for any other URL."""
    slug, query = local_query(node, url, _STANDING_PATH, f"a Standing of this node (those are at "
                                                         f"{node.url}/pools/SLUG/standing)")
    return query_standing(node, slug, query).document


def local_query(node: Node, url: str, path: re.Pattern, what: str) -> tuple[str, dict]:
    """(the first group of ``path`` matched by the path of ``url`` below the node's URL, its
    query as a mapping of strings); NotFound, saying ``url`` is not ``what``, otherwise."""
    parts = urlsplit(url)
    match = path.fullmatch(parts.path[len(urlsplit(node.url).path):]) if urls.is_local(node.url, url) else None
    if match is None:
        raise NotFound(f"{url} is not {what}")
    return match.group(1), {key: values[-1] for key, values in parse_qs(parts.query).items()}


async def verify_standing(node: Node, client: Client, document: dict) -> Check:
    """Check a Standing document: its proof by the issuing node's key, that the log it
    names is the log held here, that its first ``treeSize`` entries hash to ``rootHash``,
    and that recomputing from them with the document's method, parameters and asOf gives
    every figure it states. Fetch errors raise; everything else is a failed Check.
    """
    problem = _shape_problem(document)
    if problem:
        return Check(False, problem)
    log = await signed_log(node, client, document, document["pool"])
    if isinstance(log, Check):
        return log
    checkpoint = document["checkpoint"]
    frontier = Frontier.empty()
    ledger = log_ledger(log, checkpoint["treeSize"], document["pool"], frontier)
    wrong = root_check(frontier, checkpoint)
    if wrong is not None:
        return wrong
    origin, size = checkpoint["origin"], checkpoint["treeSize"]
    try:
        as_of = parse_as_of(document["asOf"])
        expected, result = compute(ledger, checkpoint, as_of, document["method"], document["parameters"])
    except (BadInput, NotFound) as exc:
        return Check(False, f"cannot recompute it: {exc}", tree_size=size, origin=origin)
    difference = first_difference(document, expected)
    return Check(difference is None, difference, rows=len(result.rows), tree_size=size, origin=origin)


async def signed_log(node: Node, client: Client, document: dict, subject: str) -> LogView | Check:
    """The log a signed document (a Standing, a Tally) says it was computed from, as this
    node holds it (replicated from the issuer first if need be), or the failed Check: the
    proof must be by the home node of ``subject``, whose log it must name, and the log held
    must reach the document's ``treeSize``."""
    checkpoint = document["checkpoint"]
    origin, size = checkpoint["origin"], checkpoint["treeSize"]
    found = await issuer(node, client, document, subject)
    if isinstance(found, str):
        return Check(False, found, origin=origin)
    log_origin, peer = found
    if origin != log_origin:
        return Check(False, f"the document names the log {origin}, but its issuer's log is {log_origin}",
                     origin=origin)
    if origin == node.config.origin:
        log = local_log(node)
    else:
        log = await replicated_log(node, client, origin, peer=peer, need=size)
    if size > log.size:
        return Check(False, f"the log of {origin} held here has {log.size} entries, fewer than the "
                            f"document's treeSize {size}", origin=origin)
    return log


def root_check(frontier: Frontier, checkpoint: dict) -> Check | None:
    """A failed Check when the entries rehashed into ``frontier`` do not have the
    checkpoint's root; None when they do."""
    root = base64.b64encode(frontier.root()).decode("ascii")
    if root == checkpoint["rootHash"]:
        return None
    size, origin = checkpoint["treeSize"], checkpoint["origin"]
    return Check(False, f"the first {size} entries of the log of {origin} have root {root}, "
                        f"not the document's rootHash {checkpoint['rootHash']}", tree_size=size, origin=origin)


def first_difference(document: dict, expected: dict) -> str | None:
    """The first figure (or input) where ``document`` differs from the recomputed ``expected``."""
    for field in ("pool", "method", "parameters", "asOf", "checkpoint"):
        if document.get(field) != expected[field]:
            return (f"{field} is {show(document.get(field))} in the document, "
                    f"{show(expected[field])} recomputed")
    stated: dict[str, dict] = {}
    for row in document["standings"]:
        if not isinstance(row, dict) or not isinstance(row.get("contributor"), str):
            return f"a row of standings is not {{contributor, score, share}}: {show(row)}"
        if row["contributor"] in stated:
            return f"{row['contributor']} is listed twice"
        stated[row["contributor"]] = row
    recomputed = {row["contributor"]: row for row in expected["standings"]}
    for who, row in recomputed.items():
        if who not in stated:
            return f"{who} is missing from the document (score {row['score']} recomputed)"
        for field in ("score", "share"):
            if stated[who].get(field) != row[field]:
                return f"{field} of {who} is {stated[who].get(field)} in the document, {row[field]} recomputed"
    for who, row in stated.items():
        if who not in recomputed:
            return f"{who} is in the document with score {row.get('score')}, but has no standing recomputed"
    if list(stated) != list(recomputed):
        return "the rows are not in the order recomputed (score, highest first, then contributor)"
    return None


_STANDING_PATH = re.compile(r"/pools/([a-z0-9_.-]+)/standing")


def _shape_problem(document: object) -> str | None:
    """What makes ``document`` not a Standing at all, or None."""
    return shape_problem(document, "Standing", (("pool", str), ("method", str), ("parameters", dict),
                                                ("asOf", str), ("checkpoint", dict), ("standings", list)))


def shape_problem(document: object, kind: str, fields: tuple[tuple[str, type], ...]) -> str | None:
    """What makes ``document`` not a signed document of type ``kind`` (with ``fields`` of
    those types and a checkpoint) at all, or None."""
    if not isinstance(document, dict):
        return "it is not a JSON object"
    kinds = document.get("type")
    if kind not in (kinds if isinstance(kinds, list) else [kinds]):
        return f"it is a {show(kinds)}, not a {kind}"
    for field, expected in fields:
        if not isinstance(document.get(field), expected):
            return f"its {field} is missing or not a {expected.__name__}"
    checkpoint = document.get("checkpoint")
    if not (isinstance(checkpoint, dict) and isinstance(checkpoint.get("origin"), str)
            and type(checkpoint.get("treeSize")) is int and checkpoint["treeSize"] >= 1
            and isinstance(checkpoint.get("rootHash"), str)):
        return "its checkpoint is not {origin, treeSize, rootHash}"
    return None


async def issuer(node: Node, client: Client, document: dict, subject: str) -> tuple[str, str] | str:
    """(log origin, base URL) of the node whose proof the document carries, or the problem.

    Only the home node of ``subject`` (the pool, or the governed pool or cooperative)
    speaks for it: the issuer must be the instance actor of that origin, and the proof
    must verify with that actor's key.
    """
    issuer = document.get("attributedTo")
    key_id = proof_verification_method(document)
    if key_id is None:
        return "the document carries no Data Integrity proof"
    if not isinstance(issuer, str):
        return "the document does not say which node issued it (attributedTo)"
    if not urls.same_origin(issuer, subject):
        return f"{issuer} signed it, but {subject} lives on another server"
    if issuer == node.actor_id:
        actor = actor_store.local_actor(node.db, NODE_NAME, "node")
        if key_id != actor.ed25519_key_id:
            return f"the proof names the key {key_id}, not this node's {actor.ed25519_key_id}"
        key, log_origin = node.keys.ed25519("node", NODE_NAME).public_key(), node.config.origin
    else:
        key, owner = await client.public_key(key_id)
        row = await client.actor(issuer)
        if owner != issuer:
            return f"the proof is by a key of {owner}, not of {issuer}, the node the document names"
        log_origin = json.loads(row.document or "{}").get("logOrigin")
        if row.kind != "node" or not isinstance(log_origin, str):
            return f"{issuer} is not a fedcommons node (its actor names no logOrigin)"
    verdict = verify_proof(document, key)
    if not verdict.ok:
        return f"the proof does not verify with {key_id}: {verdict.reason}"
    return log_origin, issuer.removesuffix("/actor")


def percent(share: str) -> str:
    """A share such as '0.256250000' as '25.63%', for reading (documents keep the exact share)."""
    return f"{Decimal(share) * 100:.2f}%"


def show(value: object) -> str:
    """A value as JSON for a message, cut at 200 characters."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 200 else text[:197] + "..."
