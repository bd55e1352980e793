"""make_app(node) -> the aiohttp application that serves a node.

Background work (processing accepted inbox items, delivering outgoing activities) starts
and stops with the application through `cleanup_ctx`, so a test can run a real node on a
loopback port and shut it down cleanly.

The application opens two connections of its own to the node's database: one that only
reads, used on the event loop (`app[NODE]`), and the writer's (`app[WRITER]`), used on
the writer's thread. Whatever the caller does with the node it passed stays its own.
"""

import asyncio

from aiohttp import web

from .errors import Busy
from .federation.client import Client
from .federation.delivery import DeliveryWorker
from .federation.housekeeping import Housekeeping
from .federation.inbox_worker import InboxWorker
from .federation.inbox_writer import InboxWriter
from .federation.poll_updates import PollUpdates
from .federation.settling import Settling
from .federation.sharing import sharing_for
from .federation.sync_worker import SyncWorker
from .federation.wiki_worker import WikiWorker
from .node import Node
from .services.standing import pool_state
from .store import notices
from .store.writer import Writer
from .web import routes
from .web.body_cache import BodyCache
from .web.keys import (BODIES, CLIENT, DELIVERY, HOUSEKEEPING, INBOX, INBOX_WRITER, LISTENER, MAX_BODY, NODE,
                       POLL_UPDATES, SETTLING, SHARING, SYNC, WIKIS, WRITER)
from .web.metrics import metrics_response

# The keys are web/keys.py's; named here too for whoever holds an application.
__all__ = ["CLIENT", "DELIVERY", "HOUSEKEEPING", "INBOX", "INBOX_WRITER", "LISTENER", "NODE", "POLL_UPDATES",
           "SETTLING", "SHARING", "SYNC", "WIKIS", "WRITER", "make_app", "node_writer"]


def make_app(node: Node, *, workers: bool = True, metrics_port: int | None = None) -> web.Application:
    """The node's web application; `workers=False` serves without background work (tests);
    `metrics_port`: also serve /metrics, to anyone who can reach it, on 127.0.0.1 at that port."""
    app = web.Application(client_max_size=MAX_BODY)
    app[NODE] = node.reopen(readonly=True)
    app[WRITER] = node_writer(node)
    app[BODIES] = BodyCache()
    app.cleanup_ctx.append(_storage)
    app.cleanup_ctx.append(_client)
    if workers:
        app.cleanup_ctx.append(_workers)
        app.cleanup_ctx.append(_sync)
        app.cleanup_ctx.append(_wikis)
    if metrics_port is not None:
        app.cleanup_ctx.append(_metrics_listener(metrics_port))
    routes.setup(app)
    return app


def _metrics_listener(port: int):
    """A listener of its own on loopback for /metrics: scraped by an agent on the same
    machine, out of reach of the public port and its token."""

    async def listener(app: web.Application):
        side = web.Application()

        async def serve_metrics(request: web.Request) -> web.Response:
            return metrics_response(app)

        side.router.add_get("/metrics", serve_metrics)
        runner = web.AppRunner(side, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield
        await runner.cleanup()

    return listener


def node_writer(node: Node) -> Writer[Node]:
    """A writer whose functions get a node of their own, on the writer's connection."""
    return Writer(node.reopen, lambda target: target.db, Node.close)


async def _storage(app: web.Application):
    await app[WRITER].start()
    indexing = asyncio.create_task(_index_log(app[WRITER]))
    yield
    indexing.cancel()
    await asyncio.gather(indexing, return_exceptions=True)
    await app[WRITER].stop()
    app[NODE].close()


async def _index_log(writer: Writer[Node]) -> None:
    """Index a log older than the per-pool index, one transaction at a time between the
    server's other writes; pages read the whole log until it is done."""
    while True:
        try:
            if not await writer.run(pool_state.index_log, batches=1):
                return
        except Busy:
            await asyncio.sleep(1)  # a CLI import holds the lock: index between its batches


async def _client(app: web.Application):
    client = Client(app[NODE], writer=app[WRITER])
    app[CLIENT] = client
    writer = InboxWriter(app[NODE], writer=app[WRITER])
    app[INBOX_WRITER] = writer
    writer.start()
    yield
    await writer.stop()
    await client.close()


async def _workers(app: web.Application):
    # On PostgreSQL other server processes may share the database and its work.
    sharing = app[SHARING] = sharing_for(app[NODE])
    delivery = DeliveryWorker(app[NODE], app[CLIENT], writer=app[WRITER], sharing=sharing)
    inbox = InboxWorker(app[NODE], app[CLIENT], delivery, writer=app[WRITER], sharing=sharing)
    app[DELIVERY] = delivery
    app[INBOX] = inbox
    housekeeping = Housekeeping(app[NODE], writer=app[WRITER], sharing=sharing)
    app[HOUSEKEEPING] = housekeeping
    settling = Settling(app[NODE], writer=app[WRITER], sharing=sharing)
    app[SETTLING] = settling
    poll_updates = PollUpdates(app[NODE], writer=app[WRITER], sharing=sharing)
    app[POLL_UPDATES] = poll_updates
    listener = None
    if sharing is not None:
        listener = app[LISTENER] = notices.Listener(app[NODE].config.database_url, _heard(inbox, delivery))
        listener.start()
    delivery.start()
    inbox.start()
    housekeeping.start()
    settling.start()
    poll_updates.start()
    yield
    if listener is not None:
        await listener.stop()
    await poll_updates.stop()
    await settling.stop()
    await housekeeping.stop()
    await inbox.stop()
    await delivery.stop()


def _heard(inbox: InboxWorker, delivery: DeliveryWorker):
    """What a process does when another on the database announces work (store.notices)."""

    def heard(channel: str) -> None:
        if channel == notices.INBOX:
            inbox.notify()
        elif channel == notices.DELIVERIES:
            delivery.queued_elsewhere()

    return heard


async def _wikis(app: web.Application):
    worker = WikiWorker(app[NODE], writer=app[WRITER], sharing=app[SHARING])
    app[WIKIS] = worker
    worker.start()
    yield
    await worker.stop()


async def _sync(app: web.Application):
    worker = SyncWorker(app[NODE], writer=app[WRITER], sharing=app[SHARING])
    app[SYNC] = worker
    worker.start()
    yield
    await worker.stop()
