"""Catching a restored node up with what its peers hold of its log, before it appends.

A backup is older than the node it copied: the node may have signed checkpoints of a
longer log since. Appending to the old copy would sign a different tree of the same size,
a fork every mirror rightly reports. So a restored node first asks the peers that mirror
or witness its log (its followers' servers, its witnesses, the logs it mirrors, which
often mirror it back, and any ``--peer``) for their newest checkpoint of it, keeps those
its own key signed, and when one is ahead fetches the missing entries from a peer's
mirror (``/log/mirrors/entries``). They are appended as they were, byte for byte, only
after extending the restored tree with them reproduces that checkpoint's root, and the
after-append hooks rebuild the projections as for any append. When no peer can supply
them, nothing is written unless the operator accepts the loss.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from ...config import RECONCILE_FILE, normalise_url
from ...errors import BadInput, FedcommonsError, IntegrityError
from ...ld.canonical import canonicalize
from ...log.checkpoint import Checkpoint, parse_checkpoint
from ...log.merkle import Frontier, leaf_hash, root_at
from ...log.replica import decode_hash
from ...node import Node
from ...sig.note import open_note
from ...store import follows as follow_store
from ...store import log as log_store
from ...store import mirrors as mirror_store
from ...store import witness as witness_store
from ...urls import same_origin
from ..log import log_writer

log = logging.getLogger("fedcommons.restore")

JSON = "application/json"
PAGE = 1000


@dataclass(frozen=True)
class Seen:
    """A checkpoint of our log, signed by our key, as a peer holds it."""

    peer: str
    checkpoint: Checkpoint
    note: str


@dataclass
class Outcome:
    """What reconciliation found and did."""

    restored_size: int
    size: int
    asked: list[str] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)
    recovered_from: str | None = None
    lost: int = 0  # entries a peer's checkpoint covers that nobody supplied (with --accept-loss)


def peer_urls(node: Node, extra: list[str] = ()) -> list[str]:
    """The base URLs of nodes likely to hold our log: --peer first, then witnesses, the
    servers of our followers, and the nodes we mirror."""
    candidates = [normalise_url(url) for url in extra]
    candidates += [peer.url for peer in witness_store.witness_peers(node.db)]
    for follower in follow_store.all_followers(node.db):
        parts = urlsplit(follower)
        if parts.scheme in ("http", "https") and parts.netloc:
            candidates.append(f"{parts.scheme}://{parts.netloc}")
    candidates += [row.url for row in mirror_store.mirrors(node.db)]
    unique = []
    for url in candidates:
        if url not in unique and not same_origin(url, node.url):
            unique.append(url)
    return unique


async def reconcile(node: Node, client, *, peers: list[str] = (), accept_loss: bool = False) -> Outcome:
    """Bring a restored node's log up to the newest checkpoint of it its peers hold, then
    let it append again. BadInput (nothing written) when a peer holds a longer log of ours
    that no peer can supply and ``accept_loss`` is false."""
    size, root, _ = log_store.latest_checkpoint(node.db)
    outcome = Outcome(restored_size=size, size=size)
    for url in peer_urls(node, list(peers)):
        outcome.asked.append(url)
        try:
            outcome.seen.extend(await _checkpoints_at(node, client, url))
        except FedcommonsError as exc:
            outcome.unreachable[url] = str(exc)
            log.info("%s: %s", url, exc)
    if outcome.asked and len(outcome.unreachable) == len(outcome.asked) and not accept_loss:
        # Silence is not an answer: a peer that is down may hold a longer log of ours.
        why = "; ".join(f"{peer}: {reason}" for peer, reason in outcome.unreachable.items())
        raise BadInput(f"no peer that may hold this log answered ({why}); nothing was written. Try again "
                       "when one is up, add --peer URL for another, or --accept-loss to go on without asking")
    for seen in outcome.seen:
        _check_prefix(node, seen, size)
    ahead = sorted((s for s in outcome.seen if s.checkpoint.size > size), key=lambda s: -s.checkpoint.size)
    if ahead:
        newest = ahead[0]
        failures = {}
        for source in sorted(outcome.seen, key=lambda s: -s.checkpoint.size):
            if source.checkpoint.size < newest.checkpoint.size:
                break
            try:
                await _recover(node, client, source, size)
            except FedcommonsError as exc:
                failures[source.peer] = str(exc)
                continue
            outcome.recovered_from, outcome.size = source.peer, source.checkpoint.size
            break
        if outcome.recovered_from is None:
            missing = newest.checkpoint.size - size
            why = "; ".join(f"{peer}: {reason}" for peer, reason in failures.items())
            if not accept_loss:
                raise BadInput(
                    f"this node signed a log of size {newest.checkpoint.size} (seen at {newest.peer}), "
                    f"the backup holds {size} entries, and the {missing} entries from {size} on are available "
                    f"from no peer ({why}); nothing was written. Add --peer URL for a node that mirrors this "
                    "log, or --accept-loss to go on without them (every peer that holds the longer log will "
                    "then report this node as forked)")
            outcome.lost = missing
    finish(node)
    return outcome


def finish(node: Node) -> None:
    """Let the node append again."""
    (node.config.home / RECONCILE_FILE).unlink(missing_ok=True)
    node.hold = None


def is_pending(node: Node) -> bool:
    """Whether the node's home still waits for reconciliation."""
    return (node.config.home / RECONCILE_FILE).exists()


async def _checkpoints_at(node: Node, client, url: str) -> list[Seen]:
    """The checkpoints of our log that ``url`` holds, signed by our key."""
    _, doc = await client.fetch_json(f"{url}/log/mirrors", accept=JSON, signed=False)
    items = doc.get("mirrors")
    found = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or item.get("origin") != node.config.origin:
            continue
        note = item.get("checkpoint")
        if not isinstance(note, str):
            continue
        try:
            opened = open_note(note, [node.note_signer.verifier()])
            checkpoint = parse_checkpoint(opened.text)
        except FedcommonsError as exc:
            log.warning("%s holds a checkpoint of our log that our key did not sign: %s", url, exc)
            continue
        if checkpoint.origin == node.config.origin:
            found.append(Seen(url, checkpoint, note))
    return found


def _check_prefix(node: Node, seen: Seen, size: int) -> None:
    """A checkpoint no longer than the restored log must be one of its own trees."""
    if seen.checkpoint.size <= size and seen.checkpoint.size > 0:
        if root_at(seen.checkpoint.size, log_writer.lookup(node)) != seen.checkpoint.root:
            raise IntegrityError(
                f"{seen.peer} holds a checkpoint of size {seen.checkpoint.size} signed by this node's key "
                "whose root is not the restored log's at that size: the backup is of another history; "
                "nothing was written")


async def _recover(node: Node, client, source: Seen, size: int) -> None:
    """Fetch entries size..checkpoint.size from ``source``'s mirror, check that they extend
    the restored tree to the checkpoint's root, and append them as they were."""
    target = source.checkpoint.size
    frontier = Frontier.from_lookup(size, log_writer.lookup(node))
    recovered: list[log_writer.Pending] = []
    position = size
    while position < target:
        count = min(PAGE, target - position)
        query = urlencode({"origin": node.config.origin, "start": position, "limit": count})
        _, page = await client.fetch_json(f"{source.peer}/log/mirrors/entries?{query}", accept=JSON, signed=False)
        entries = page.get("entries")
        if not isinstance(entries, list) or not entries:
            raise BadInput(f"entries from {position} unavailable (its mirror stops there)")
        for offset, item in enumerate(entries[:count]):
            index = position + offset
            if not isinstance(item, dict) or item.get("index") != index:
                raise IntegrityError(f"entry {index} is missing or out of order")
            activity = item.get("activity")
            if not isinstance(activity, dict):
                raise BadInput(f"entry {index} is redacted there: its bytes are gone")
            body = canonicalize(activity)
            leaf = leaf_hash(body)
            if leaf != decode_hash(item.get("leafHash"), f"entry {index}: leafHash"):
                raise IntegrityError(f"entry {index}: its bytes do not hash to its leaf hash")
            frontier.append(leaf)
            recovered.append(_pending(node, activity, body, source.peer))
        position += min(len(entries), count)
    if frontier.root() != source.checkpoint.root:
        raise IntegrityError(f"its entries {size}..{target - 1} do not extend the restored log to the root "
                             "of the checkpoint it holds")
    node.hold = None  # reconciliation is the one writer of a held log: it writes what was signed
    log_writer.append(node, recovered)
    latest = log_store.latest_checkpoint(node.db)
    if (latest[0], latest[1]) != (target, source.checkpoint.root):
        raise IntegrityError(f"after recovery the log is at size {latest[0]}, not {target}")


def _pending(node: Node, activity: dict, body: bytes, peer: str) -> log_writer.Pending:
    """A recovered entry as the log writer takes it: what a local actor wrote is local
    (queued for delivery again; receivers drop what they already have)."""
    actor = activity.get("actor")
    actor = actor.get("id") if isinstance(actor, dict) else actor
    if isinstance(actor, str) and same_origin(actor, node.url):
        return log_writer.Pending(activity, body=body)
    parts = urlsplit(actor) if isinstance(actor, str) else None
    origin = f"{parts.scheme}://{parts.netloc}" if parts and parts.netloc else "unknown"
    return log_writer.Pending(activity, origin=origin, verified_by=f"recovered from {peer}", body=body)


def describe(outcome: Outcome) -> dict:
    """The outcome as JSON for `--format json`."""
    return {
        "restoredSize": outcome.restored_size, "size": outcome.size, "asked": outcome.asked,
        "seen": [{"peer": s.peer, "size": s.checkpoint.size} for s in outcome.seen],
        "unreachable": outcome.unreachable, "recoveredFrom": outcome.recovered_from, "lost": outcome.lost,
    }
