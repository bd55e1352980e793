"""Reading a whole large log into a pool's ledger on two cores.

Reading a log costs about 11 µs an entry on one core (opening the bodies, parsing them,
the ledger, hashing), so a full recomputation of a million-contribution pool is mostly
that. Above :data:`PARALLEL_MIN` entries a second process reads the later part of the log
(its own read-only connection) into a ledger of its own and hashes its leaves, while this
one reads the first part; then the second ledger is appended to the first
(:meth:`PoolLedger.absorb`, which gives the ledger one reading would) and its leaf hashes
go on into the frontier after the first part's. ``tests/test_standing_parallel.py`` holds
the two ways to the same bytes.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping

from ...errors import FedcommonsError, IntegrityError
from ...log.merkle import Frontier
from ...standing import PoolLedger
from ...store import log as log_store
from ...store import mirrors as mirror_store
from ...store.db import SEQUENTIAL_CACHE_KIB, open_db, page_cache
from .logs import LogView
from .pool_state import read_ledger

# Below this many entries one process reads the log: starting the second (a new
# interpreter, about half a second) and joining the parts would cost more than it saves.
PARALLEL_MIN = 200_000

_HASH_CHUNK = 4096  # leaf hashes handed to the frontier at a time

# How long to wait for the second process between checks that it is still alive (s).
_POLL = 1.0


def log_ledger(log: LogView, size: int, pool: str, frontier: Frontier | None = None) -> PoolLedger:
    """The ledger of ``pool`` read from the first ``size`` entries of ``log`` (with
    ``frontier``, every entry rehashed into it), as :func:`read_ledger` reads it; on two
    processes when the log is large and another process can open it."""
    retained = log.retained()
    if log.source is None or size < max(PARALLEL_MIN, 2):
        return read_ledger(log.entries(0, size), pool, frontier, retained)
    # This process reads a little more than half: it holds the joined ledger in the end, so
    # a smaller part sent over costs less memory on both sides: on the bench log, 940 MB
    # for both processes against 980 at half and half, for 16.3 s against 15.6 s
    # (bench/RESULTS.md); 1 GB was too close.
    middle = size * 11 // 20
    later = {idx: body for idx, body in retained.items() if idx >= middle}
    # spawn, not fork: the caller may be the server, whose other threads hold locks
    # (SQLite's among them) that a forked child would inherit held.
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_read_part, name="fedcommons-log-reader", daemon=True,
                             args=(sender, log.source, middle, size, pool, later, frontier is not None))
    worker.start()
    sender.close()
    try:
        # On a connection of its own too, with a small page cache (see _read).
        ledger = _read(log.source, 0, middle, pool, frontier, retained)
        try:
            payload, hashes = _receive(receiver, worker)
        except (EOFError, OSError):  # the pipe closed early: the reader died midway
            worker.join(_POLL * 10)
            raise IntegrityError(f"the process reading entries {middle} to {size} of the log stopped "
                                 f"(exit code {worker.exitcode})") from None
    except BaseException:
        worker.terminate()
        raise
    finally:
        receiver.close()
        worker.join(_POLL * 10)
        if worker.is_alive():
            worker.kill()
            worker.join(_POLL * 10)
    later_ledger = PoolLedger.restore(payload)
    del payload
    ledger.absorb(later_ledger)
    del later_ledger
    if frontier is not None:
        # A chunk at a time: a list of a million 32-byte objects would be 80 MB.
        step = 32 * _HASH_CHUNK
        for start in range(0, len(hashes), step):
            frontier.extend([hashes[at:at + 32] for at in range(start, min(start + step, len(hashes)), 32)])
    return ledger


def _receive(receiver, worker) -> tuple[bytearray, bytes]:
    """The second process's ledger snapshot and leaf hashes; its error raised here."""
    while not receiver.poll(_POLL):
        if not worker.is_alive():
            raise EOFError
    outcome = receiver.recv()
    if outcome == "error":
        raise receiver.recv()
    # The snapshot comes in its pieces, as plain bytes (not pickled) received in place:
    # no second copy of it on either side.
    total, pieces = outcome
    payload = bytearray(total)
    at = 0
    for _ in range(pieces):
        at += receiver.recv_bytes_into(payload, at)
    if at != total:
        raise EOFError
    return payload, receiver.recv_bytes()


def _read_part(sender, source: tuple[str, str | None], start: int, stop: int, pool: str,
               retained: Mapping[int, bytes], hashing: bool) -> None:
    """In the second process: read entries ``start`` to ``stop`` into a new ledger, and
    send back its snapshot and (with ``hashing``) the entries' leaf hashes, joined; or the
    error that stopped it."""
    try:
        frontier = _Leaves() if hashing else None
        ledger = _read(source, start, stop, pool, frontier, retained)
        parts = ledger.snapshot_parts()
        sender.send((sum(len(part) for part in parts), len(parts)))
        for part in parts:
            sender.send_bytes(part)
        del parts, ledger
        sender.send_bytes(frontier.leaves if hashing else b"")
    except FedcommonsError as exc:
        sender.send("error")
        sender.send(exc)
    except Exception as exc:  # noqa: BLE001 - anything else comes back as the parent's error
        sender.send("error")
        sender.send(IntegrityError(f"reading entries {start} to {stop} of the log failed: {exc!r}"))
    finally:
        sender.close()


def _read(source: tuple[str, str | None], start: int, stop: int, pool: str, frontier, retained) -> PoolLedger:
    """Entries ``start`` to ``stop`` of the log at ``source`` read into a new ledger of
    ``pool``, on a new read-only connection whose page cache stays small: a read from one
    end of the log to the other gains nothing from a large one."""
    path, origin = source
    db = open_db(path, readonly=True)
    try:
        with page_cache(db, SEQUENTIAL_CACHE_KIB):
            rows = (log_store.iter_leaves(db, start, stop) if origin is None
                    else mirror_store.iter_entries(db, origin, start, stop))
            return read_ledger(rows, pool, frontier, retained)
    finally:
        db.close()


class _Leaves:
    """Stands for a frontier in the second process: keeps the leaf hashes read_ledger gives it,
    for the parent's frontier to take on after its own part."""

    def __init__(self) -> None:
        self.leaves = bytearray()  # joined as they come: a third of a list of 32-byte objects

    def extend(self, hashes) -> None:
        self.leaves += b"".join(hashes)
