"""Checking the object proofs of a log's entries, in this process or in several.

Proof checks are most of the cost of verifying a log, and each entry's check depends on
earlier entries only through the keys they published. So pages of entries can be checked
in other processes, given the keys published so far and the index at which each was
published: an entry only counts a key published before it. Entries that publish keys
(actor descriptions, rare) are checked here, in order, so the key table is always
complete for the pages sent out after them.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ...errors import FedcommonsError, IntegrityError
from ...ld.canonical import parse_plain
from ...log.published_keys import learn_keys
from ...sig.proof import proof_verification_method, verify_proof
from .processes import checking_pool

PAGE = 2000
# The member name, with its colon: every proof also carries the *value*
# "proofPurpose":"assertionMethod", and a quote inside a JSON string is always escaped,
# so this spelling can only be a key (published_keys reads obj["assertionMethod"]).
PUBLISHES_KEYS = b'"assertionMethod":'


@dataclass
class Task:
    """One entry to check: where it is, what it claims to be, its bytes."""

    idx: int
    activity_id: str
    local: bool
    body: bytes


@dataclass
class PageResult:
    proofs: int = 0
    transport_only: int = 0
    unknown: list[tuple[Task, str]] = field(default_factory=list)  # a remote key we may hold
    failure: tuple[int, str] | None = None  # the first bad entry of the page


def check(task: Task, keys: dict[str, tuple[Ed25519PublicKey, int]], result: PageResult,
          activity: dict | None = None, plain: bool = False) -> dict | None:
    """Check one entry's proof with the keys published before it; record the outcome in
    `result`. Returns the parsed activity (None once the page has failed)."""
    where = f"entry {task.idx} ({task.activity_id})"
    if activity is None:
        try:
            activity, plain = parse_plain(task.body)
        except (UnicodeDecodeError, ValueError, RecursionError):
            result.failure = (task.idx, f"{where}: its bytes are not JSON")
            return None
    if not isinstance(activity, dict) or activity.get("id") != task.activity_id:
        result.failure = (task.idx, f"{where}: its bytes are not the activity its index says")
        return None
    method = proof_verification_method(activity)
    if method is None:
        if task.local:
            result.failure = (task.idx, f"{where}: a local entry without a Data Integrity proof")
            return None
        result.transport_only += 1
        return activity
    found = keys.get(method)
    if found is None or found[1] >= task.idx:
        if task.local:
            result.failure = (task.idx, f"{where}: signed with {method}, a key the log never published")
            return None
        result.unknown.append((task, method))
        return activity
    verdict = verify_proof(activity, found[0], plain=plain, canonical=task.body)
    if not verdict.ok:
        result.failure = (task.idx, f"{where}: proof does not verify ({verdict.reason})")
        return None
    result.proofs += 1
    return activity


_KEY_CACHE: dict[bytes, Ed25519PublicKey] = {}


def check_page(tasks: list[Task], key_material: dict[str, tuple[bytes, int]]) -> PageResult:
    """Check a page of entries (runs in a worker process)."""
    keys = {}
    for key_id, (raw, at) in key_material.items():
        key = _KEY_CACHE.get(raw)
        if key is None:
            key = _KEY_CACHE[raw] = Ed25519PublicKey.from_public_bytes(raw)
        keys[key_id] = (key, at)
    result = PageResult()
    for task in tasks:
        check(task, keys, result)
        if result.failure:
            break
    return result


class ProofChecker:
    """Checks entries' proofs in log order, with `workers` other processes (0: here)."""

    def __init__(self, node_key_id: str, node_key: Ed25519PublicKey, workers: int = 0):
        self.keys: dict[str, tuple[Ed25519PublicKey, int]] = {node_key_id: (node_key, -1)}
        self.proofs = self.transport_only = 0
        self.unknown: list[tuple[Task, str]] = []
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._page: list[Task] = []
        self._in_flight: deque[Future] = deque()

    def submit(self, task: Task) -> None:
        """Check an entry (now, or with its page); failures surface in order from `settle`."""
        if self._workers <= 0 or PUBLISHES_KEYS in task.body:
            self._flush()
            self.settle()  # earlier pages first: the first bad entry is reported first
            result = PageResult()
            activity = check(task, self.keys, result)
            self._absorb(result)
            if activity is not None:
                learnt: dict = {}
                learn_keys(activity, learnt)
                for key_id, key in learnt.items():
                    self.keys[key_id] = (key, task.idx)
            return
        self._page.append(task)
        if len(self._page) >= PAGE:
            self._flush()
            while len(self._in_flight) > 2 * self._workers:
                self._collect(self._in_flight.popleft())

    def settle(self) -> None:
        """Wait for every page sent out; raise IntegrityError for the first bad entry."""
        self._flush()
        while self._in_flight:
            self._collect(self._in_flight.popleft())

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _flush(self) -> None:
        if not self._page:
            return
        if self._pool is None:
            self._pool = checking_pool(self._workers)
        material = {key_id: (key.public_bytes_raw(), at) for key_id, (key, at) in self.keys.items()}
        self._in_flight.append(self._pool.submit(check_page, self._page, material))
        self._page = []

    def _collect(self, future: Future) -> None:
        try:
            result = future.result()
        except BrokenProcessPool as exc:
            raise FedcommonsError(f"a checking process died ({exc}); run again with --workers 0") from None
        self._absorb(result)

    def _absorb(self, result: PageResult) -> None:
        if result.failure:
            self.close()
            raise IntegrityError(result.failure[1])
        self.proofs += result.proofs
        self.transport_only += result.transport_only
        self.unknown.extend(result.unknown)
