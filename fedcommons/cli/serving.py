"""How `fedcommons serve` meets connections from anyone: a deadline for request headers,
and one quiet line for each request too malformed to parse; and how `serve --workers N`
runs N processes that accept on one socket, stopped together and restarted when one dies."""

import contextlib
import logging
import os
import signal
import socket
import time
from typing import Callable

from aiohttp.http_exceptions import HttpProcessingError

from ..web.observe import AccessLogger, configure_logging

__all__ = ["HEADER_TIMEOUT", "configure_logging", "listening_socket", "quiet_rejected_requests", "runner_options",
           "supervise"]

# Long enough for a slow phone network, short enough that trickling headers a byte at a
# time (slowloris) holds a connection for seconds, not for ever.
HEADER_TIMEOUT = 15.0

log = logging.getLogger("fedcommons.web")


def runner_options(header_timeout: float = HEADER_TIMEOUT) -> dict:
    """Keyword arguments for aiohttp's runner (`web.run_app`, `web.AppRunner`).

    aiohttp has no timeout of its own for reading request headers, but its keep-alive
    timer starts when a connection opens and again after each response, and closes the
    connection if no complete request has arrived when it fires; received bytes do not
    reset it. So the keep-alive timeout is the header deadline (and also how long an idle
    connection stays open: proxies that keep connections to the node should idle less).
    """
    return {"keepalive_timeout": header_timeout, "access_log_class": AccessLogger}


class RejectedRequests(logging.Filter):
    """aiohttp logs every request it cannot parse (a 20 KB request line, a bad header) at
    ERROR with a traceback, which anyone on the internet can fill a log with. Such a
    request is the client's fault and was answered 400: say so in one line at INFO.
    Anything else, a handler's crash above all, keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if not isinstance(exc, HttpProcessingError):
            return True
        remote = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        reason = " ".join(str(exc.message or exc).split())[:200]
        log.log(min(record.levelno, logging.INFO), "refused a malformed request from %s: %s", remote, reason)
        return False


def quiet_rejected_requests() -> RejectedRequests:
    """Install the filter on aiohttp's server logger (once); return it."""
    logger = logging.getLogger("aiohttp.server")
    for existing in logger.filters:
        if isinstance(existing, RejectedRequests):
            return existing
    installed = RejectedRequests()
    logger.addFilter(installed)
    return installed


# -- several worker processes (`serve --workers N`) -------------------------------------

# A worker that dies is started again; one that dies this soon after starting, this many
# times in a row, is failing for a reason a restart will not change (a database gone).
QUICK_DEATH_SECONDS = 5.0
MAX_QUICK_DEATHS = 5
# On SIGTERM or SIGINT the workers finish the requests they are answering; a worker that
# is still running after this long is killed.
STOP_SECONDS = 30.0
_REAP_EVERY = 0.2

superlog = logging.getLogger("fedcommons.serve")


def listening_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port, made before the workers start so that they all
    accept on it (and a port that is taken is reported once, by the parent)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def supervise(workers: int, serve_one: Callable[[int], None]) -> int:
    """Run `serve_one(n)` in `workers` forked processes, n = 1..workers, until SIGTERM or
    SIGINT, which are passed on to them; restart a worker that dies. Returns the exit
    status: 0 after a requested stop, 1 when a worker kept dying at once."""
    stop = {"signal": None}

    def on_signal(signum, frame):
        stop["signal"] = signum

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    children: dict[int, tuple[int, float]] = {}  # pid -> (worker number, started at)
    quick_deaths = {n: 0 for n in range(1, workers + 1)}
    status = 0
    try:
        for n in range(1, workers + 1):
            _start_worker(n, serve_one, children, previous)
        while stop["signal"] is None and children:
            time.sleep(_REAP_EVERY)
            for pid, code in _reap():
                n, started = children.pop(pid, (None, 0.0))
                if n is None or stop["signal"] is not None:
                    continue
                quick_deaths[n] = quick_deaths[n] + 1 if time.monotonic() - started < QUICK_DEATH_SECONDS else 0
                superlog.error("worker %d (pid %d) %s", n, pid, _how_it_ended(code))
                if quick_deaths[n] >= MAX_QUICK_DEATHS:
                    superlog.error("worker %d died %d times within %g s of starting: stopping every worker",
                                   n, quick_deaths[n], QUICK_DEATH_SECONDS)
                    stop["signal"], status = signal.SIGTERM, 1
                    break
                _start_worker(n, serve_one, children, previous)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_workers(children)
    return status


def _start_worker(n: int, serve_one: Callable[[int], None], children: dict, handlers: dict) -> None:
    # Held back across the fork: a stop signal that reached the new worker before it had
    # its own handlers would be taken for the parent's and lost.
    signal.pthread_sigmask(signal.SIG_BLOCK, handlers)
    pid = os.fork()
    if pid == 0:  # the worker: the parent's handlers are not its own
        code = 0
        try:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, handlers)
            serve_one(n)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            superlog.exception("worker %d failed", n)
            code = 1
        finally:
            logging.shutdown()
            os._exit(code)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, handlers)
    children[pid] = (n, time.monotonic())
    superlog.info("worker %d started (pid %d)", n, pid)


def _reap() -> list[tuple[int, int]]:
    """The (pid, wait status) of every child that ended, without waiting."""
    ended = []
    while True:
        try:
            pid, code = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid == 0:
            return ended
        ended.append((pid, code))


def _how_it_ended(code: int) -> str:
    if os.WIFSIGNALED(code):
        return f"was killed by {signal.Signals(os.WTERMSIG(code)).name}; starting it again"
    return f"exited with status {os.waitstatus_to_exitcode(code)}; starting it again"


def _stop_workers(children: dict) -> None:
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while children and time.monotonic() < deadline:
        for pid, _ in _reap():
            children.pop(pid, None)
        if children:
            time.sleep(_REAP_EVERY)
    for pid in children:
        superlog.error("worker pid %d did not stop within %g s: killing it", pid, STOP_SECONDS)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    children.clear()
