"""What a running node tells its operator about each request: an id that ties its log lines
together, one access line, and (with `--log-format json`) all of it as JSON lines.

The id comes from a trusted proxy's ``X-Request-Id`` when it sends one (so the proxy's log
and the node's share it), else it is made here; the response carries it back. Every line
logged while the request is handled names it, through a context variable that a logging
filter reads, so the inbox's or a handler's own lines can be found beside the access line.
"""

import contextvars
import json
import logging
import re
import secrets
from datetime import datetime, timezone

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger


REQUEST_ID = contextvars.ContextVar("request_id", default=None)
# Set on every request by web.client_address: the client's address, and whether the peer
# was a trusted proxy. (Here, so that `serve`'s logging set-up imports nothing else.)
CLIENT = web.RequestKey("client", str)
VIA_TRUSTED_PROXY = web.RequestKey("via_trusted_proxy", bool)
HEADER = "X-Request-Id"
# What a proxy's id may look like before it is trusted into our logs.
_FOREIGN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _request_id(request: web.Request) -> str:
    offered = request.headers.get(HEADER, "")
    # Only from a trusted proxy: anyone else could make their requests look like another's.
    if offered and request.get(VIA_TRUSTED_PROXY) and _FOREIGN_ID.match(offered):
        return offered
    return secrets.token_hex(8)


@web.middleware
async def request_id_middleware(request: web.Request, handler):
    """Give the request its id, for every line logged while it is handled and for the response."""
    request_id = _request_id(request)
    token = REQUEST_ID.set(request_id)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers[HEADER] = request_id
        raise
    finally:
        REQUEST_ID.reset(token)
    response.headers[HEADER] = request_id
    return response


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (or None, outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "request_id", None):
            line["request_id"] = record.request_id
        for key in ("method", "path", "status", "bytes", "seconds", "client"):
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class AccessLogger(AbstractAccessLogger):
    """One line per request: client, method, path, status, bytes, seconds, request id; the
    fields also ride on the record for the JSON formatter."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, seconds: float) -> None:
        client = request.get(CLIENT) or request.remote or "-"
        fields = {"method": request.method, "path": request.path_qs[:500], "status": response.status,
                  "bytes": response.body_length, "seconds": round(seconds, 6), "client": client,
                  "request_id": response.headers.get(HEADER)}
        self.logger.info('%s "%s %s" %s %s %.6fs', client, request.method, fields["path"],
                         response.status, response.body_length, seconds, extra=fields)


def configure_logging(level: str, fmt: str) -> None:
    """Root logging for `serve`: text lines (the default) or JSON lines, each with the request id."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
