"""The server's one writer: a thread with its own connection, so no write blocks the event loop.

While the server runs, every write goes through `Writer.run`, which hands a function to
this thread and awaits its result. The event loop only ever reads (on a connection that
refuses writes), and in WAL mode a read never waits for a writer, so pages, `/health` and
the checkpoint keep answering while a write waits for the lock: behind a CLI import, say,
which holds it between batches.

A write waits for the lock at most `WAIT_SECONDS` in all, counted from the moment it was
handed in, queueing behind other writes included; then it fails with `Busy`, which the
web layer answers with 503 and `Retry-After`, and background workers treat as "try later".
"""

import asyncio
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Generic, TypeVar

from .database import Database

from ..errors import Busy
from .db import transaction, wait_for_locks

T = TypeVar("T")
R = TypeVar("R")

WAIT_SECONDS = 5.0


class Writer(Generic[T]):
    """Runs write functions one at a time on a thread of its own.

    `open_target` is called once, on that thread, and returns what every function is
    given as its first argument (a node bound to the writer's own connection);
    `db_of` finds that connection's database in it.
    """

    def __init__(self, open_target: Callable[[], T], db_of: Callable[[T], Database],
                 close_target: Callable[[T], None], *, wait: float = WAIT_SECONDS):
        self._open, self._db_of, self._close = open_target, db_of, close_target
        self.wait = wait
        self._target: T | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fedcommons-writer")

    async def start(self) -> None:
        """Open the writer's connection on its thread (migrations run there too)."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._start)

    def _start(self) -> None:
        self._target = self._open()

    async def stop(self) -> None:
        """Let queued writes finish, then close the connection."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._stop)
        self._executor.shutdown(wait=True)

    def _stop(self) -> None:
        if self._target is not None:
            self._close(self._target)
            self._target = None

    async def run(self, work: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """`work(target, *args, **kwargs)` on the writer thread; raises Busy if the database
        stayed locked (or the queue stayed full) for longer than `wait` seconds."""
        deadline = time.monotonic() + self.wait
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, self._call, deadline, work, args, kwargs)

    async def transact(self, store_work: Callable[..., R], *args: Any) -> R:
        """`store_work(db, *args)`, a function of `store`, in a transaction of its own."""
        return await self.run(_in_transaction, self._db_of, store_work, args)

    async def statement(self, store_work: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """`store_work(db, *args, **kwargs)` outside a transaction, so without the node's write
        lock: for a single statement that is atomic by itself (a claim on queued work)."""
        return await self.run(_alone, self._db_of, store_work, args, kwargs)

    def _call(self, deadline: float, work: Callable[..., R], args: tuple, kwargs: dict) -> R:
        if self._target is None:
            raise Busy("the node is shutting down; try again shortly")
        left = deadline - time.monotonic()
        if left <= 0:
            raise Busy("the database was busy for too long; try again shortly")
        db = self._db_of(self._target)
        wait_for_locks(db, int(left * 1000))
        try:
            return work(self._target, *args, **kwargs)
        except BaseException as exc:
            # Every later write runs on this connection: none may join what a failed one
            # left open (on PostgreSQL, a BEGIN whose wait for the write lock timed out).
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError) and _is_locked(exc):
                raise Busy("the database is busy (another process is writing); try again shortly") from exc
            raise


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    if hasattr(exc, "busy"):  # PostgreSQL's (store/postgresql.py)
        return exc.busy
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


class Direct(Generic[T]):
    """`Writer`'s interface on the caller's own connection and thread: for the CLI and
    tests, where the process is its own only writer and nothing waits on an event loop."""

    def __init__(self, target: T, db_of: Callable[[T], Database] = lambda node: node.db):
        self.target, self._db_of = target, db_of

    async def run(self, work: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        return work(self.target, *args, **kwargs)

    async def transact(self, store_work: Callable[..., R], *args: Any) -> R:
        return _in_transaction(self.target, self._db_of, store_work, args)

    async def statement(self, store_work: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        return _alone(self.target, self._db_of, store_work, args, kwargs)


def _in_transaction(target, db_of, store_work: Callable[..., R], args: tuple) -> R:
    db = db_of(target)
    with transaction(db):
        return store_work(db, *args)


def _alone(target, db_of, store_work: Callable[..., R], args: tuple, kwargs: dict) -> R:
    return store_work(db_of(target), *args, **kwargs)


class Threaded(Direct[T]):
    """`Direct`, each write in a thread of its own, so that the caller's event loop goes on
    meanwhile (a CLI sync downloads the next page while one is stored)."""

    async def run(self, work: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        return await asyncio.to_thread(work, self.target, *args, **kwargs)
