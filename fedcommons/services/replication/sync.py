"""Replicating another node's log over HTTP (``fedcommons sync`` and the sync worker).

1. ``GET {url}/actor``: the log's origin and verifier key (pinned on first use).
2. ``GET`` the checkpoint; it must be signed by the pinned key. It is compared with
   every checkpoint seen before and with the mirrored entries (a contradiction is a
   fork, recorded with evidence; a forked origin is not synced any more).
3. ``GET /log/entries`` page by page from where the mirror stopped up to the
   checkpoint's size. The next page downloads while the current one is checked (in a
   worker thread, so a server keeps answering); each page is written as it passes, and
   the page that reaches the checkpoint's size promotes the mirror in the same
   transaction if, and only if, the roots match. Memory is bounded by the page size.
4. When the entries do not reproduce the signed root, the origin is asked for a
   consistency proof from the last verified checkpoint. If it verifies, the entries
   were wrong (altered in transit, or served wrongly): they are dropped and nothing
   else changes. If it does not, the origin's whole history is replayed to build
   conclusive fork evidence (or, if even that does not add up, the failing proof is
   kept as evidence).
5. ``GET /log/mirrors``: the checkpoints the peer holds of other logs. Each one of a log
   we also mirror, signed by that log's pinned key, is checked against ours: this is how
   a log that shows different histories to different nodes is caught.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from ...config import normalise_url
from ...errors import (
    BadInput,
    FedcommonsError,
    FetchError,
    IntegrityError,
    ProofError,
    VerificationError,
)
from ...log.fork import HistoryReplay, prefix_evidence, unproven_evidence
from ...log.merkle import verify_consistency
from ...log.replica import decode_hash, examine_page
from ...node import Node
from ...store import mirrors as mirror_store
from ...store.writer import Threaded, Writer
from ...urls import same_origin
from ..log.processes import checking_pool
from . import mirrors as service
from .forks import record_fork

log = logging.getLogger("fedcommons.sync")

PAGE_SIZE = 1000
# Pages of a log are far larger and slower than ActivityPub documents: room for a full
# page of big entries.
MAX_PAGE_BYTES = 64 * 1024 * 1024
TIMEOUT = 60.0
JSON = "application/json"
TEXT = "text/plain"

Progress = Callable[[int, int], None]  # (entries done, entries to do)


@dataclass
class SyncResult:
    """What one sync of one peer did."""

    origin: str
    url: str
    before: int
    size: int
    checkpoint_size: int
    fetched: int = 0
    proofs: int = 0
    unchecked: int = 0
    redacted: int = 0
    forks: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        """Whether the mirror reached the peer's checkpoint."""
        return self.size >= self.checkpoint_size


async def sync_peer(node: Node, client, url: str, *, page_size: int = PAGE_SIZE,
                    max_pages: int | None = None, progress: Progress | None = None,
                    gossip: bool = True, workers: int = 0, writer: Writer | None = None) -> SyncResult:
    """Bring the mirror of the node at ``url`` up to its current checkpoint (see the module
    docstring). ``max_pages`` bounds one call; the next call resumes where it stopped.
    ``workers`` > 0 examines pages (parsing, canonical bytes, proofs) in that many other
    processes, for long logs on machines with cores to spare. In the server, ``writer`` stores
    what was checked; without one, it is stored on ``node`` from a thread."""
    started = time.perf_counter()
    writer = writer or Threaded(node)
    url = normalise_url(url)
    actor = await client.get_json(f"{url}/actor", signed=False)
    origin, vkey = actor.get("logOrigin"), actor.get("logVerifierKey")
    if not isinstance(origin, str) or not isinstance(vkey, str):
        raise FetchError(f"{url} publishes no logOrigin and logVerifierKey on /actor: not a fedcommons node")
    if origin == node.config.origin:
        raise BadInput(f"{url} is this node itself; its own log needs no mirror (`fedcommons log verify`)")
    row = await writer.run(service.pin, url, origin, actor["id"], vkey)
    try:
        result = await _sync_pinned(node, writer, client, row, actor, page_size, max_pages, progress, workers)
        if gossip:
            result.forks.extend(await exchange_views(node, client, url, origin, writer=writer))
    except FedcommonsError as exc:
        await writer.run(service.record_result, origin, str(exc))
        raise
    await writer.run(service.record_result, origin, None)
    result.seconds = time.perf_counter() - started
    return result


async def _sync_pinned(node: Node, writer: Writer, client, row, actor: dict, page_size: int,
                       max_pages: int | None, progress: Progress | None, workers: int) -> SyncResult:
    origin, url = row.origin, row.url
    note = await fetch_checkpoint(client, url, actor.get("logCheckpoint"))
    observed = await writer.run(service.observe, origin, note, f"checkpoint from {url}")
    row = mirror_store.mirror(node.db, origin)
    result = SyncResult(origin, url, row.size, row.size, observed.checkpoint.size)
    if observed.fork_id is not None:
        result.forks.append(observed.fork_id)
    if row.forked:
        raise IntegrityError(f"{origin} is marked as forked: {row.last_error}")
    target = observed.checkpoint.size
    if target <= row.size:
        return result  # up to date (an older checkpoint was checked against our entries)
    if row.staged_size >= target:
        # Staged by an earlier, interrupted sync: promoted if this checkpoint covers it
        # exactly, else fetched again.
        if row.staged_size == target and await writer.run(service.promote_if_covered, origin, observed):
            result.size = target
            return result
        await writer.run(service.discard_staged, origin)
        row = mirror_store.mirror(node.db, origin)
    try:
        await _fetch_pages(node, writer, client, row, observed, page_size, max_pages, progress, result, workers)
    except service.RootMismatch as exc:
        await writer.run(service.discard_staged, origin)
        fork_id = await _diagnose(writer, client, row, observed, str(exc))
        result.forks.append(fork_id)
        raise IntegrityError(f"fork in the log of {origin}: see `fedcommons fork show {origin}`") from None
    if result.complete:
        result.forks.extend(await writer.run(service.recheck_seen, origin, row.size, result.size))
    return result


async def _fetch_pages(node: Node, writer: Writer, client, row, observed, page_size: int, max_pages: int | None,
                       progress: Progress | None, result: SyncResult, workers: int) -> None:
    checker = await asyncio.to_thread(service.checker, node, row)
    target = observed.checkpoint.size
    position = row.staged_size
    total = target - position
    # Examining pages in other processes pays for their start-up only on a long way.
    pool = checking_pool(workers) if workers > 0 and total > 4 * page_size else None
    depth = 2 * workers if pool else 1
    inflight: deque = deque()
    launched = 0
    next_start = position

    async def produce(start: int, count: int, known):
        if pool is None:
            return await fetch_entries(client, row.url, start, count)
        raw = await fetch_raw_entries(client, row.url, start, count)
        try:
            return await asyncio.get_running_loop().run_in_executor(
                pool, examine_page, raw, start, count, row.url, known)
        except BrokenProcessPool as exc:
            raise FedcommonsError(f"a page-checking process stopped ({exc}); sync again, "
                                  "or with --workers 0 to check pages in this process") from None

    def launch(depth: int) -> None:
        nonlocal launched, next_start
        while len(inflight) < depth and next_start < target and (max_pages is None or launched < max_pages):
            count = min(page_size, target - next_start)
            known = checker.key_material() if pool else None
            inflight.append((next_start, count, asyncio.ensure_future(produce(next_start, count, known))))
            next_start += count
            launched += 1

    # The first page alone: logs open with the descriptions (and keys) of their actors,
    # which the pages examined in parallel after it then know.
    launch(1)
    try:
        while inflight:
            start, count, task = inflight.popleft()
            produced = await task
            if pool is None:
                launch(1)  # the next page downloads while this one is checked
                checked = await asyncio.to_thread(checker.check_page, produced, start, count)
            else:
                checked = await asyncio.to_thread(checker.settle, produced, start)
            del produced
            checker.accept(checked)
            if pool is not None:
                launch(depth)  # with the keys this page published
            reaches = start + count == target
            promoted = await writer.run(service.store_page, row.origin, checked, observed if reaches else None)
            position = start + count
            result.fetched += count
            result.proofs += checked.proofs
            result.unchecked += checked.unchecked
            result.redacted += checked.redacted
            if promoted:
                result.size = target
            if progress:
                progress(total - (target - position), total)
    finally:
        for _, _, task in inflight:
            task.cancel()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


async def _diagnose(writer: Writer, client, row, observed, mismatch: str) -> int:
    """The entries did not reproduce the signed root: whose fault is it? Returns the fork's id,
    or raises IntegrityError when the origin's log is consistent and the entries were wrong."""
    old_size, new = row.size, observed.checkpoint
    if old_size == 0:
        raise IntegrityError(f"{mismatch}; nothing was kept")
    try:
        proof = await fetch_consistency(client, row.url, old_size, new.size)
        verify_consistency(old_size, new.size, row.root, new.root, proof)
    except ProofError as exc:
        failure, served = str(exc), proof
    except FetchError as exc:
        failure, served = f"the origin gave no proof ({exc})", None
    else:
        raise IntegrityError(
            f"{mismatch}, though the origin proves its log consistent: the entries were altered in "
            "transit or served wrongly; nothing was kept"
        )
    log.warning("%s: no consistency from %d to %d (%s); replaying its history", row.origin, old_size, new.size, failure)
    evidence = None
    try:
        replay = HistoryReplay(old_size, new.size)
        await replay_history(client, row.url, replay)
        root, implied, proof_from_entries = replay.finish()
        if root == new.root and implied != row.root:
            evidence = prefix_evidence(row.origin, row.verifier_key, row.checkpoint, observed.note, implied,
                                       proof_from_entries, f"the origin's own entries up to size {new.size}")
    except FedcommonsError as exc:
        log.warning("%s: replaying its history failed: %s", row.origin, exc)
    if evidence is None:
        evidence = unproven_evidence(row.origin, row.verifier_key, row.checkpoint, observed.note, served, failure)
    return await writer.run(record_fork, row.origin, evidence)


async def exchange_views(node: Node, client, url: str, peer_origin: str, *,
                         writer: Writer | None = None) -> list[int]:
    """Check the checkpoints ``url`` holds of other logs against ours; returns new fork ids."""
    writer = writer or Threaded(node)
    try:
        _, doc = await client.fetch_json(f"{url}/log/mirrors", accept=JSON, signed=False)
    except FetchError as exc:
        log.info("%s shares no mirrored checkpoints: %s", url, exc)
        return []
    items = doc.get("mirrors")
    forks = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        origin, note = item.get("origin"), item.get("checkpoint")
        if origin == peer_origin or not isinstance(origin, str) or not isinstance(note, str):
            continue
        if mirror_store.mirror(node.db, origin) is None:
            continue
        try:
            observed = await writer.run(service.observe, origin, note, f"held by {url}")
        except VerificationError as exc:
            log.info("%s holds a checkpoint of %s we cannot verify: %s", url, origin, exc)
            continue
        if observed.fork_id is not None:
            forks.append(observed.fork_id)
    return forks


# ----------------------------------------------------------------------- requests


async def fetch_checkpoint(client, url: str, advertised: object = None) -> str:
    """The peer's current signed checkpoint note (with any cosignatures)."""
    where = advertised if isinstance(advertised, str) and same_origin(advertised, url) else f"{url}/log/checkpoint"
    response = await client.fetch(where, accept=TEXT, signed=False)
    try:
        return response.body.decode("utf-8")
    except UnicodeDecodeError:
        raise VerificationError(f"the checkpoint at {where} is not UTF-8") from None


async def fetch_entries(client, url: str, start: int, count: int) -> dict:
    """One page of the peer's entries."""
    _, page = await client.fetch_json(f"{url}/log/entries?start={start}&limit={count}", accept=JSON, signed=False)
    return page


async def fetch_raw_entries(client, url: str, start: int, count: int) -> bytes:
    """One page of the peer's entries, unparsed (to be parsed where it is examined)."""
    where = f"{url}/log/entries?start={start}&limit={count}"
    response = await client.fetch(where, accept=JSON, signed=False)
    if response.headers.get("Content-Type", "").split(";")[0].strip().lower() != JSON:
        raise FetchError(f"{where} did not answer JSON")
    return response.body


async def fetch_consistency(client, url: str, old: int, new: int) -> list[bytes]:
    """The peer's consistency proof between two sizes (not yet verified)."""
    _, doc = await client.fetch_json(f"{url}/log/proof/consistency?from={old}&to={new}", accept=JSON,
                                     signed=False)
    proof = doc.get("proof")
    if not isinstance(proof, list) or len(proof) > 128:
        raise FetchError(f"{url} answered a consistency proof without a proof list")
    try:
        return [decode_hash(h, f"consistency proof hash {n}") for n, h in enumerate(proof)]
    except IntegrityError as exc:
        raise FetchError(str(exc)) from None


async def replay_history(client, url: str, replay: HistoryReplay, page_size: int = PAGE_SIZE) -> None:
    """Feed the peer's leaf hashes, from the first, into ``replay`` (bounded by its size)."""
    while replay.size < replay.large:
        start = replay.size
        count = min(page_size, replay.large - start)
        page = await fetch_entries(client, url, start, count)
        entries = page.get("entries") if isinstance(page, dict) else None
        if not isinstance(entries, list) or len(entries) != count:
            raise IntegrityError(f"{url} served a short page of its history at {start}")
        for offset, item in enumerate(entries):
            if not isinstance(item, dict) or item.get("index") != start + offset:
                raise IntegrityError(f"{url} served its history out of order at {start + offset}")
            replay.add(decode_hash(item.get("leafHash"), f"entry {start + offset}: leafHash"))
