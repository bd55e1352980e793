"""The delivery worker: turns queued outgoing activities into signed POSTs, durably.

Flow. A local activity is written to ``outgoing`` in the transaction that logs it (by the
server or by a CLI command in another process). The worker fans each such row out into
one ``deliveries`` row per distinct inbox (see :mod:`.addressing`), then POSTs every due
row, at most ``per_host`` at a time to one host and ``total`` at a time overall.

Durability. A row stays ``pending`` until an answer settles it, so a delivery in flight
when the process dies is sent again after a restart; receivers deduplicate on the
activity id. Answers are written in batches (one transaction at most every 50 ms while
POSTs are in flight) rather than one commit per POST, which keeps the write lock and the
fsyncs off the hot path; losing a batch in a crash only means those activities are sent
once more.

Retry policy (HTTP status of the final answer, after the client's double knock):

- 2xx: delivered.
- 401 (the peer may not have been able to fetch our key yet), 408, 429, 5xx, and
  connection errors or timeouts (:class:`~fedcommons.errors.FetchError`): retried on the
  :func:`retry_delay` schedule, and marked failed after :data:`MAX_ATTEMPTS`.
  The client reports only a status, so a 429's Retry-After is not read; the schedule
  already backs off.
- Any other status (400, 403, 404, 410, 422, 3xx ...): failed at once; sending the same
  request again cannot change the answer. So do errors that say our request cannot be
  made at all (:class:`~fedcommons.errors.BadInput`, such as a sender that is not local).

A recipient whose actor could not be fetched yet is a row with no inbox; fetching it is
retried on the same schedule and shown by ``fedcommons deliveries``, unless the actor's
server gave an answer that will not change (404 or 410 for an account that is gone, say):
then the row fails at once.

Cross-process. On SQLite the worker notices rows written by other processes (a CLI
command) by polling, every ``poll`` seconds, SQLite's ``PRAGMA data_version`` (changes when
another connection commits) and the newest ``outgoing`` id; both are constant-time reads.
On PostgreSQL several server processes may share the queue (:mod:`.sharing`): each claims
the rows it sends (``store.deliveries.claim_due``) and renews its claims while it holds
them, fan-out of an outgoing row happens once (checked in its transaction), and a NOTIFY
from whoever queued work wakes the worker (:meth:`DeliveryWorker.queued_elsewhere`).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter, OrderedDict, deque
from typing import Callable

from ..errors import BadInput, FedcommonsError, FetchError, Forbidden, NotFound
from ..node import Node, now
from ..services.moderation.blocks import blocked
from ..store import actors as actor_store
from ..store import deliveries as store
from ..store import outgoing as outgoing_store
from ..store.actors import ActorRow
from ..store.db import data_version
from ..store.deliveries import DeliveryRow, Outcome
from ..store.writer import Direct, Writer
from . import addressing
from .sharing import Sharing

log = logging.getLogger(__name__)

# Seconds to wait after the n-th failed attempt (index n - 1); see retry_delay().
RETRY_DELAYS = (10, 60, 5 * 60, 30 * 60, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 12 * 3600,
                12 * 3600, 12 * 3600, 12 * 3600)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2

RETRY_STATUSES = frozenset({401, 408, 429})
# Errors that say the request can never be made or the recipient does not exist.
PERMANENT_ERRORS = (BadInput, Forbidden, NotFound)

# How many due rows of one host the worker holds in memory, as a multiple of per_host,
# and how many in all: enough to keep every slot busy between two reads of the queue.
_BUFFER_PER_HOST = 8
_BUFFER_TOTAL = 4096
_FAN_OUT_BATCH = 50
# Answers are written at most this often (real seconds) while POSTs are in flight: one
# commit per batch instead of one per answer.
_FLUSH_EVERY = 0.05
_CACHE_SIZE = 64
# A host is woken at most this often (clock seconds): wakes come from unverified
# requests, and a stream of them must not undo the backoff towards a host that is down.
WAKE_INTERVAL = 30.0


def retry_delay(attempt: int, rng: random.Random) -> float:
    """Seconds to wait after the ``attempt``-th failed attempt (1 = the first), jittered by
    up to 20 % either way so that deliveries that failed together do not retry together.

    ==============  ========  ============================
    after attempt   wait      next attempt, from the first
    ==============  ========  ============================
    1               10 s      10 s
    2               1 min     1 min 10 s
    3               5 min     6 min
    4               30 min    36 min
    5               1 h       1 h 36 min
    6               3 h       4 h 36 min
    7               6 h       10 h 36 min
    8               12 h      22 h 36 min
    9               12 h      1 d 10 h 36 min
    10              12 h      1 d 22 h 36 min
    11              12 h      2 d 10 h 36 min
    12              12 h      2 d 22 h 36 min (the 13th and last attempt)
    ==============  ========  ============================

    After the 13th attempt (:data:`MAX_ATTEMPTS`), about three days after the first, a
    delivery that still fails is marked failed. Past the table the last wait repeats.
    """
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, not {attempt}")
    base = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1]
    return base * rng.uniform(1 - JITTER, 1 + JITTER)


def is_retryable(status: int) -> bool:
    """Whether a non-2xx answer may change if the same POST is sent later."""
    return status in RETRY_STATUSES or status >= 500


def _is_permanent(exc: BaseException) -> bool:
    """Whether resolving a recipient failed for good: our request cannot be made, or the
    recipient's server answered that the actor is gone or never was (404, 410, ...) with
    a status that the same request cannot change."""
    if isinstance(exc, PERMANENT_ERRORS):
        return True
    status = getattr(exc, "upstream_status", None)
    return isinstance(exc, FetchError) and status is not None and not is_retryable(status)


class DeliveryWorker:
    """Delivers the node's outgoing activities; one per server process.

    ``clock`` gives POSIX seconds and decides what is due, so tests can move time on
    without waiting; ``poll`` is how often the queue is checked for work written by
    other processes and for retries that have come due.
    """

    def __init__(self, node: Node, client, *, per_host: int = 4, total: int = 64,
                 clock: Callable[[], float] = time.time, poll: float = 0.5,
                 rng: random.Random | None = None, writer: Writer | Direct | None = None,
                 sharing: Sharing | None = None):
        if per_host < 1 or total < 1:
            raise BadInput("per_host and total must be at least 1")
        self.node = node
        self.client = client
        # In the server, `node` only reads; rows are written on the writer's thread.
        self.writer = writer or Direct(node)
        self.per_host = per_host
        self.total = total
        self.clock = clock
        self.sharing = sharing
        self.poll = sharing.poll if sharing else poll
        self.rng = rng or random.Random()
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._kick = asyncio.Event()
        self._progress = asyncio.Event()
        # Due rows read from the queue but not started yet, by host (round-robin order).
        self._ready: OrderedDict[str, deque[DeliveryRow]] = OrderedDict()
        # Ids the worker holds: buffered, in flight, or answered but not yet written.
        self._held: set[int] = set()
        self._busy: Counter[str] = Counter()
        self._running: set[asyncio.Task] = set()
        self._outcomes: list[Outcome] = []
        self._flushed_at = 0.0
        # Hosts (and the whole queue) with more due rows than the last read buffered.
        self._truncated: set[str] = set()
        self._truncated_all = False
        self._need_fan_out = True
        self._need_read = True
        self._next_due: float | None = None
        self._seen_version: int | None = None
        self._seen_outgoing: int | None = None
        self._looked_at = 0.0  # (monotonic) the last unannounced look at a shared queue
        self._bodies: OrderedDict[str, bytes | None] = OrderedDict()
        self._senders: dict[str, ActorRow | None] = {}
        self._woken: dict[str, float] = {}
        self._back: set[str] = set()

    # -- control ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the delivery loop runs (False once stopped, or if it died)."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the delivery loop on the running event loop."""
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name="delivery-worker")

    async def stop(self) -> None:
        """Stop the loop and cancel POSTs in flight; they stay pending and are sent again
        by the next worker. Answers already received are written first."""
        task, self._task = self._task, None
        self._stopping = True
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        running = list(self._running)
        for t in running:
            t.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        try:
            await self._flush()
        except Exception:
            log.exception("could not record the last delivery answers; those activities will be sent again")
        if self.sharing is not None:
            try:  # the other processes need not wait for the lease to lapse
                await self.writer.statement(store.release_claims, self.sharing.holder)
            except Exception as exc:  # noqa: BLE001  the claims lapse by themselves
                log.warning("could not release this process's delivery claims: %s", exc)
        self._ready.clear()
        self._held.clear()

    def notify(self) -> None:
        """New outgoing rows were written in this process: fan them out now."""
        self._need_fan_out = True
        self._kick.set()

    def queued_elsewhere(self) -> None:
        """Another process on the database announced work (store.notices): outgoing rows
        to fan out, or deliveries it made due. Look at once."""
        self._need_fan_out = self._need_read = True
        self._kick.set()

    def wake(self, host: str) -> None:
        """A request arrived from ``host`` (``name[:port]`` or a URL), so it is up: make
        all its waiting deliveries due now and run the loop at once.

        At most once per :data:`WAKE_INTERVAL` per host; later calls are ignored. Only a
        wake that found rows counts: ordinary traffic from a host whose deliveries all went
        through must not use up the wake its next failed delivery will need."""
        host = addressing.normalise_host(host)
        at = self.clock()
        if at - self._woken.get(host, float("-inf")) < WAKE_INTERVAL:
            return
        # Reading first keeps the common case (nothing waiting) free of the write lock;
        # the loop makes the host's rows due (a write, which the caller does not wait for).
        if not store.host_waiting(self.node.db, host, at):
            return
        if len(self._woken) > 10_000:
            self._woken = {h: t for h, t in self._woken.items() if at - t < WAKE_INTERVAL}
        self._woken[host] = at
        self._back.add(host)
        self._kick.set()

    async def drain(self, timeout: float) -> None:
        """Wait until no outgoing row waits to be fanned out and no delivery is pending
        and due (for tests and benchmarks); TimeoutError after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._idle():
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"deliveries still due after {timeout:g} s")
            self._progress.clear()
            await _wait_for_event(self._progress, min(self.poll, remaining))

    def _idle(self) -> bool:
        db = self.node.db
        return (not self._outcomes and not self._back and not outgoing_store.has_pending(db)
                and store.count_due(db, self.clock()) == 0)

    # -- the loop -----------------------------------------------------------------------

    async def _run(self) -> None:
        if self.sharing is None:
            await self._loop()
            return
        async with self.sharing.renewing(self.writer, store.renew_claims):
            await self._loop()

    async def _loop(self) -> None:
        while not self._stopping:
            self._kick.clear()
            try:
                await self._pass()
            except Exception:
                log.exception("delivery pass failed; trying again in %g s", self.poll)
                self._need_fan_out = self._need_read = True
                await asyncio.sleep(self.poll)
            self._progress.set()
            await self._wait()

    async def _pass(self) -> None:
        # Flushing before a read also keeps answered rows out of what the read returns.
        if not self._running or self._need_read or time.monotonic() - self._flushed_at >= _FLUSH_EVERY:
            await self._flush()
        if self._back:
            await self._make_due()
        if self._need_fan_out:
            await self._fan_out()
        if self._need_read:
            await self._read_due()
        self._dispatch()

    async def _make_due(self) -> None:
        hosts, self._back = self._back, set()
        for host in hosts:
            moved = await self.writer.transact(store.make_host_due, host, self.clock())
            log.info("%s is back: %d waiting deliveries are due now", host, moved)
        self._need_read = True

    async def _wait(self) -> None:
        """Until kicked, or until the queue changed under us or a retry came due."""
        while not self._kick.is_set():
            timeout = self.poll
            if self._next_due is not None:
                timeout = max(0.0, min(timeout, self._next_due - self.clock()))
            if self._outcomes:
                timeout = max(0.0, min(timeout, self._flushed_at + _FLUSH_EVERY - time.monotonic()))
            if await _wait_for_event(self._kick, timeout):
                return
            if self._changed() or self._outcomes:
                return

    def _changed(self) -> bool:
        db = self.node.db
        changed = False
        # Sharing a PostgreSQL database, other processes' work is announced (queued_elsewhere);
        # the server's write position there moves with every write anyone makes, so the
        # worker only looks again every `poll` seconds.
        if self.sharing is not None:
            if time.monotonic() - self._looked_at >= self.poll:
                # The poll is the net under a lost notification, and under the claims of
                # a process that died, which lapse without a word: look at the queue again.
                self._looked_at = time.monotonic()
                self._need_fan_out = self._need_read = changed = True
        elif (version := data_version(db)) != self._seen_version:
            # Another process committed: perhaps outgoing rows, perhaps --retry-failed.
            self._seen_version = version
            self._need_fan_out = self._need_read = changed = True
        newest = outgoing_store.last_id(db)
        if newest != self._seen_outgoing:
            # Written on this connection by code that did not call notify().
            self._seen_outgoing = newest
            self._need_fan_out = changed = True
        if self._next_due is not None and self.clock() >= self._next_due:
            self._need_read = changed = True
        return changed

    async def _fan_out(self) -> None:
        """One deliveries row per distinct inbox (or unresolved recipient) of each
        outgoing row, written with the row's fanned-out mark in one transaction."""
        self._need_fan_out = False
        db = self.node.db
        self._seen_outgoing = outgoing_store.last_id(db)
        while True:
            rows = outgoing_store.pending(db, limit=_FAN_OUT_BATCH)
            for row in rows:
                plan = addressing.plan(self.node, row.recipients)
                await self.writer.transact(_fan_out_row, row, plan, self.clock(), now())
                self._need_read = True
                # A burst of activities must not keep the server's handlers waiting.
                await asyncio.sleep(0)
            if len(rows) < _FAN_OUT_BATCH:
                return

    async def _read_due(self) -> None:
        """Buffer due rows: up to a few rounds' worth per host (sharing the queue, claimed,
        and only a round's worth, so that a burst is spread over the processes)."""
        self._need_read = False
        db = self.node.db
        at = self.clock()
        if self.sharing is None:
            window, limit = self.per_host * _BUFFER_PER_HOST, _BUFFER_TOTAL
            rows = store.due(db, at, per_host=window, limit=limit)
        else:
            window, limit = self.per_host, self.total
            rows = await self.writer.statement(store.claim_due, self.sharing.holder, at, self.sharing.until(),
                                               per_host=window, limit=limit)
        per_host = Counter(row.host for row in rows)
        self._truncated = {host for host, n in per_host.items() if n >= window}
        self._truncated_all = len(rows) >= limit
        for row in rows:
            if row.id not in self._held:
                self._held.add(row.id)
                self._ready.setdefault(row.host, deque()).append(row)
        self._next_due = store.next_due(db, at)
        self._senders.clear()

    def _dispatch(self) -> None:
        """Start buffered rows while their host and the worker have free slots."""
        for host in list(self._ready):
            if len(self._running) >= self.total:
                return
            queue = self._ready[host]
            started = False
            while queue and self._busy[host] < self.per_host and len(self._running) < self.total:
                self._start(queue.popleft())
                started = True
            if not queue:
                del self._ready[host]
            elif started:
                # Round robin: a host that just got slots waits behind the others.
                self._ready.move_to_end(host)

    def _start(self, row: DeliveryRow) -> None:
        self._busy[row.host] += 1
        task = asyncio.get_running_loop().create_task(self._attempt(row))
        self._running.add(task)

    async def _attempt(self, row: DeliveryRow) -> None:
        outcome = None
        try:
            outcome = await self._deliver(row)
        finally:
            self._running.discard(asyncio.current_task())
            self._busy[row.host] -= 1
            if not self._busy[row.host]:
                del self._busy[row.host]
            if outcome is None:
                # Cancelled, or re-queued under another host: the row is read again.
                self._held.discard(row.id)
                self._need_read = True
            else:
                self._outcomes.append(outcome)
            if row.host not in self._ready and (row.host in self._truncated or self._truncated_all):
                self._need_read = True
            self._kick.set()

    async def _deliver(self, row: DeliveryRow) -> Outcome | None:
        """One attempt: resolve the inbox if needed, then POST. Never raises (but may be
        cancelled); None means there is nothing to record for this row."""
        try:
            if row.inbox is None:
                try:
                    inbox = await addressing.resolve_inbox(self.client, row.recipient, refresh=row.attempts > 0)
                except (FedcommonsError, OSError, TimeoutError) as exc:
                    return self._failure(row, None, f"cannot resolve the inbox of {row.recipient}: {exc}",
                                         permanent=_is_permanent(exc))
                resolved = await self._resolve(row, inbox)
                if resolved is None:
                    return None
                row = resolved
            block = blocked(self.node, row.recipient) or blocked(self.node, row.inbox)
            if block is not None:
                return self._failure(row, None, f"{block} is blocked on this node", permanent=True)
            body = self._body(row.activity_id)
            sender = self._sender(row.sender)
            if body is None:
                return self._failure(row, None, "the activity is no longer in the outgoing table", permanent=True)
            if sender is None:
                return self._failure(row, None, f"the sender {row.sender} is not a local actor", permanent=True)
            try:
                status = await self.client.post(row.inbox, body, sender)
            except (FedcommonsError, OSError, TimeoutError) as exc:
                return self._failure(row, None, str(exc) or type(exc).__name__,
                                     permanent=isinstance(exc, PERMANENT_ERRORS))
            if 200 <= status < 300:
                return Outcome(row.id, "delivered", status=status, at=now())
            return self._failure(row, status, f"HTTP {status}", permanent=not is_retryable(status))
        except Exception as exc:
            # A bug must not stop the worker or lose the row: record it and retry later.
            log.exception("delivery %d to %s failed unexpectedly", row.id, row.inbox or row.recipient)
            return self._failure(row, None, f"internal error: {type(exc).__name__}: {exc}", permanent=False)

    async def _resolve(self, row: DeliveryRow, inbox: str) -> DeliveryRow | None:
        """Record a resolved inbox; the row to POST now, or None if there is none."""
        kept = await self.writer.transact(store.resolve, row.id, inbox, addressing.host_of(inbox))
        if not kept:
            return None  # another row already carries the activity to that inbox
        resolved = store.get(self.node.db, row.id)
        if resolved is None or resolved.host != row.host:
            # Another host's limit applies: let the next read schedule it.
            return None
        return resolved

    def _failure(self, row: DeliveryRow, status: int | None, error: str, *, permanent: bool) -> Outcome:
        attempts = row.attempts + 1
        if permanent or attempts >= MAX_ATTEMPTS:
            if not permanent:
                error = f"{error} (gave up after {attempts} attempts)"
            log.info("delivery of %s to %s failed: %s", row.activity_id, row.inbox or row.recipient, error)
            return Outcome(row.id, "failed", status=status, error=error)
        retry_at = self.clock() + retry_delay(attempts, self.rng)
        return Outcome(row.id, "pending", next_attempt_at=retry_at, status=status, error=error)

    async def _flush(self) -> None:
        """Write the answers received since the last flush, in one transaction."""
        self._flushed_at = time.monotonic()
        if not self._outcomes:
            return
        outcomes, self._outcomes = self._outcomes, []
        try:
            await self.writer.transact(store.record_all, outcomes)
        except BaseException:
            self._outcomes = outcomes + self._outcomes
            raise
        for outcome in outcomes:
            self._held.discard(outcome.id)
            if outcome.state == "pending" and (self._next_due is None or outcome.next_attempt_at < self._next_due):
                self._next_due = outcome.next_attempt_at

    def _body(self, activity_id: str) -> bytes | None:
        if activity_id not in self._bodies:
            self._bodies[activity_id] = outgoing_store.body(self.node.db, activity_id)
            if len(self._bodies) > _CACHE_SIZE:
                self._bodies.popitem(last=False)
        return self._bodies[activity_id]

    def _sender(self, actor_id: str) -> ActorRow | None:
        if actor_id not in self._senders:
            row = actor_store.actor(self.node.db, actor_id)
            self._senders[actor_id] = row if row is not None and row.local else None
        return self._senders[actor_id]


def _fan_out_row(db, row, plan: addressing.Plan, due: float, created: str) -> None:
    if not outgoing_store.is_pending(db, row.id):
        return  # another server process on the database fanned it out first
    for inbox in plan.inboxes:
        store.add(db, row.activity_id, row.sender, inbox, addressing.host_of(inbox), due, created)
    for actor_id in plan.unresolved:
        store.add_unresolved(db, row.activity_id, row.sender, actor_id, addressing.host_of(actor_id), due, created)
    outgoing_store.mark_fanned_out(db, row.id)


async def _wait_for_event(event: asyncio.Event, timeout: float) -> bool:
    """Wait for an event at most ``timeout`` seconds; whether it was set.

    asyncio.timeout rather than asyncio.wait_for: on Python 3.11 wait_for swallows a
    cancellation that arrives just as the event is set, and stop() would then wait forever.
    """
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
        return True
    except TimeoutError:
        return False
