"""Health for orchestrators and load balancers.

``/health`` is liveness: the process answers and its database can be read. ``/health/ready``
is readiness: every background worker this process started is still running (a worker
that died leaves a node that answers but no longer processes its inbox, delivers, syncs,
settles proposals or follows wikis) and the database takes a write (the write lock is granted within a short wait and
the file is writable). It answers 503, naming what is wrong, when either fails.
"""

import asyncio

from aiohttp import web

from ..errors import FedcommonsError
from ..store import log as log_store
from ..store.db import StoreError
from .keys import DELIVERY, HOUSEKEEPING, INBOX, INBOX_WRITER, NODE, POLL_UPDATES, SETTLING, SYNC, WIKIS, WRITER

# Longer than any write the writer runs (an import batch holds the lock about 0.1 s);
# short enough for a readiness probe's own timeout.
WRITE_PROBE_SECONDS = 3.0
_WORKERS = {"inbox": INBOX, "delivery": DELIVERY, "sync": SYNC, "inbox-writer": INBOX_WRITER,
            "housekeeping": HOUSEKEEPING, "settling": SETTLING, "poll-updates": POLL_UPDATES,
            "wikis": WIKIS}


def workers(app: web.Application) -> dict[str, bool]:
    """Each background worker this application started, and whether it still runs."""
    return {name: app[key].running for name, key in _WORKERS.items() if key in app}


async def health(request: web.Request) -> web.Response:
    """GET /health: liveness, the database answers."""
    log_store.log_size(request.app[NODE].db)
    return web.json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    """GET /health/ready: 200 when every worker runs and the database takes a write, else 503."""
    problems = [f"the {name} worker has stopped" for name, running in workers(request.app).items()
                if not running]
    try:
        await asyncio.wait_for(request.app[WRITER].transact(log_store.write_probe), WRITE_PROBE_SECONDS)
    except (asyncio.TimeoutError, FedcommonsError, StoreError, OSError) as exc:
        problems.append(f"the database cannot be written: {exc or 'no answer within the wait'}")
    body = {"status": "ok" if not problems else "unavailable", "problems": problems,
            "workers": workers(request.app)}
    return web.json_response(body, status=200 if not problems else 503, headers={"Cache-Control": "no-store"})
