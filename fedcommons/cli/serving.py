"""How `fedcommons serve` meets connections from anyone: a deadline for request headers,
and one quiet line for each request too malformed to parse."""

import logging

from aiohttp.http_exceptions import HttpProcessingError

from ..web.observe import AccessLogger, configure_logging

__all__ = ["HEADER_TIMEOUT", "configure_logging", "quiet_rejected_requests", "runner_options"]

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
