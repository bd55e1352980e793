"""``/metrics`` in the Prometheus text format, for whoever runs the node.

Not for the public: served on the public port only to requests bearing the node's
``metrics_token`` (``Authorization: Bearer ...``), and otherwise only on a separate
loopback port (``serve --metrics-port``). What it says:

- request latency by route and status (a histogram);
- HTTP signatures refused, by reason;
- inbox items and deliveries by state (the queues' depths and outcomes);
- each mirror's distance behind the newest checkpoint seen for its origin, and the age of
  its last sync attempt;
- the age of our newest checkpoint and of the newest cosignature a witness made on it;
- whether each background worker is alive.

Queue and log figures are read from the database at each scrape (a few indexed queries),
so they are right whichever process wrote them.
"""

import hmac
import time
from datetime import datetime

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from ..errors import FedcommonsError
from ..store import deliveries as delivery_store
from ..store import gauges
from ..store import log as log_store
from .health import workers
from .keys import NODE

# Seconds: from a cached page (a millisecond) to the slowest thing a request may do.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The node's metrics: one registry per application, so that several in one process
    (tests, a node serving two ports) never mix their counts."""

    def __init__(self, app: web.Application):
        self.registry = CollectorRegistry(auto_describe=True)
        self.latency = Histogram("fedcommons_http_request_duration_seconds", "Time to answer a request.",
                                 ("method", "route", "status"), buckets=BUCKETS, registry=self.registry)
        self.signature_failures = Counter("fedcommons_signature_failures_total",
                                          "HTTP signatures refused, by reason.", ("reason",),
                                          registry=self.registry)
        self.registry.register(_NodeCollector(app))

    def render(self) -> bytes:
        """The text exposition of every metric."""
        return generate_latest(self.registry)


METRICS = web.AppKey("metrics", Metrics)


def _route(request: web.Request) -> str:
    """The route's pattern (``/pools/{name}``), never the path itself: a label per path
    would let anyone grow the metrics without bound."""
    info = request.match_info
    resource = info.route.resource if info.route is not None else None
    return resource.canonical if resource is not None and info.http_exception is None else "unmatched"


@web.middleware
async def metrics_middleware(request: web.Request, handler):
    """Time each request; count refused signatures. Sits inside the error middleware, so
    it sees errors as they are raised and reports the status they will be answered with."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except FedcommonsError as exc:
        status = exc.status
        if exc.status == 401 and getattr(exc, "signature_failure", None) is not None:
            request.app[METRICS].signature_failures.labels(exc.signature_failure).inc()
        raise
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        request.app[METRICS].latency.labels(request.method, _route(request), str(status)).observe(
            time.perf_counter() - started)


def allowed(request: web.Request, token: str | None) -> bool:
    """Whether the request bears the metrics token (compared in constant time)."""
    if not token:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


async def metrics(request: web.Request) -> web.Response:
    """GET /metrics on the public port: only with the token; without one set, not here at all."""
    token = request.app[NODE].config.metrics_token
    if not token:
        raise web.HTTPNotFound()
    if not allowed(request, token):
        raise web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    return metrics_response(request.app)


def metrics_response(app: web.Application) -> web.Response:
    """The metrics of `app`, as Prometheus reads them."""
    response = web.Response(body=app[METRICS].render())
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    response.headers["Cache-Control"] = "no-store"
    return response


class _NodeCollector:
    """Figures read from the node at scrape time."""

    def __init__(self, app: web.Application):
        self.app = app

    def describe(self):
        return []  # read at each scrape; nothing to describe up front

    def collect(self):
        db = self.app[NODE].db
        now = time.time()
        inbox = GaugeMetricFamily("fedcommons_inbox_items", "Inbox items by state.", labels=("state",))
        for state, count in gauges.inbox_states(db).items():
            inbox.add_metric((state,), count)
        yield inbox
        deliveries = GaugeMetricFamily("fedcommons_deliveries", "Deliveries by state.", labels=("state",))
        for state, count in delivery_store.counts(db).items():
            deliveries.add_metric((state,), count)
        yield deliveries
        yield GaugeMetricFamily("fedcommons_log_entries", "Entries in the node's own log.",
                                value=log_store.log_size(db))
        signed_at = gauges.newest_checkpoint_signed_at(db)
        if signed_at is not None:
            yield GaugeMetricFamily("fedcommons_checkpoint_age_seconds", "Age of the newest signed checkpoint.",
                                    value=max(0.0, now - _seconds(signed_at)))
        cosigned = gauges.newest_cosignature_timestamp(db)
        if cosigned is not None:
            yield GaugeMetricFamily("fedcommons_cosignature_age_seconds",
                                    "Age of the newest cosignature of our log.", value=max(0.0, now - cosigned))
        behind = GaugeMetricFamily("fedcommons_mirror_entries_behind",
                                   "Entries a mirror lacks of the newest checkpoint seen for its origin.",
                                   labels=("origin",))
        age = GaugeMetricFamily("fedcommons_mirror_last_sync_age_seconds",
                                "Seconds since a mirror's last sync attempt.", labels=("origin",))
        failing = GaugeMetricFamily("fedcommons_mirror_failing",
                                    "1 when a mirror's last sync failed or its origin forked.", labels=("origin",))
        for mirror in gauges.mirror_gauges(db):
            behind.add_metric((mirror.origin,), mirror.seen_size - mirror.size)
            if mirror.last_sync:
                age.add_metric((mirror.origin,), max(0.0, now - _seconds(mirror.last_sync)))
            failing.add_metric((mirror.origin,), int(mirror.failing or mirror.forked))
        yield behind
        yield age
        yield failing
        up = GaugeMetricFamily("fedcommons_worker_up", "1 while a background worker runs.", labels=("worker",))
        for name, running in workers(self.app).items():
            up.add_metric((name,), int(running))
        yield up


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
