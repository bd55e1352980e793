"""Any signed request from a host is news that the host is up: deliver what waits for it."""

import re
from urllib.parse import urlsplit

from aiohttp import web

from .keys import DELIVERY

_KEY_ID = re.compile(r'keyid="([^"]+)"', re.IGNORECASE)


@web.middleware
async def wake_middleware(request: web.Request, handler):
    """Wake the delivery queue for the host named by the request's signature key id.

    Only the host is read here (no verification): a forged key id can at most make
    deliveries to that host happen sooner, which a retry would do anyway.
    """
    worker = request.app.get(DELIVERY)
    if worker is not None:
        header = request.headers.get("Signature-Input") or request.headers.get("Signature") \
            or request.headers.get("Authorization", "")
        match = _KEY_ID.search(header)
        if match and urlsplit(match.group(1)).netloc:
            # The key id URL itself: wake() normalises hosts (default ports) as the queue does.
            worker.wake(match.group(1))
    return await handler(request)
