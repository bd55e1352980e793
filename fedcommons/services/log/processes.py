"""Processes that check entries beside the one reading the log (verify, sync, mirrors).

Spawned, not forked: the parent may run an event loop and threads. Each leaves as soon
as its parent is gone, so a killed command leaves no process behind waiting for work.
"""

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor


def default_workers(entries: int, batch: int) -> int:
    """Checking processes for `entries` checked `batch` at a time: one per core, at most
    four, once there are more than four batches (fewer do not pay for the start-up)."""
    return min(4, os.cpu_count() or 1) if entries > 4 * batch else 0


def checking_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` checking processes tied to this one."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_watch_parent, initargs=(os.getpid(),))


def _watch_parent(parent: int) -> None:
    """In each checking process: leave when the parent is gone, which a worker waiting
    for its next page would otherwise never notice."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
