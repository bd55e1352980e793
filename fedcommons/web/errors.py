"""Errors on the wire: RFC 9457 problem details for clients, a page for browsers, never a traceback."""

import json
import logging

from aiohttp import web

from ..errors import FedcommonsError, TryLater
from .negotiation import wants_activity_json
from .templating import render

log = logging.getLogger("fedcommons.web")

TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 413: "Request body too large",
          415: "Unsupported media type", 429: "Too many requests", 500: "Internal error",
          502: "Bad gateway", 503: "Service unavailable"}


def problem(status: int, detail: str, request: web.Request | None = None) -> web.Response:
    """A problem+json response (or an HTML page for a browser)."""
    title = TITLES.get(status, "Error")
    if request is not None and request.method == "GET" and not wants_activity_json(request):
        return error_page(request, status, detail)
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return web.Response(status=status, body=json.dumps(body).encode(),
                        content_type="application/problem+json")


def message_page(request: web.Request, status: int, heading: str, detail: str, *, title: str | None = None,
                 headers: dict | None = None) -> web.Response:
    """A page saying what went wrong: a heading and one paragraph."""
    return render(request, "message.html", {"title": title or heading, "heading": heading, "detail": detail},
                  status=status, headers=headers)


def error_page(request: web.Request, status: int, detail: str) -> web.Response:
    """The page a browser gets for an error."""
    title = TITLES.get(status, "Error")
    return message_page(request, status, f"{status} {title}", detail, title=title)


def error_response(exc: FedcommonsError, request: web.Request | None = None) -> web.Response:
    """The problem details for an error, with ``Retry-After`` when it says when to come back."""
    response = problem(exc.status, str(exc), request)
    if isinstance(exc, TryLater):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@web.middleware
async def error_middleware(request: web.Request, handler):
    """Map fedcommons errors and HTTP errors to problem details; hide internal ones."""
    try:
        return await handler(request)
    except FedcommonsError as exc:
        if exc.status >= 500 and not isinstance(exc, TryLater):
            log.exception("error handling %s %s", request.method, request.path)
        else:
            log.info("%s %s -> %s: %s", request.method, request.path, exc.status, exc)
        return error_response(exc, request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.empty_body:
            raise
        return problem(exc.status, exc.text or exc.reason, request)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "the node hit an internal error; it has been logged", request)
