"""What the node's web application holds, as typed keys: handlers and workers read these.

They live apart from `app.py`, which assembles the application and imports every route:
a handler that imported its keys from there would import itself back.
"""

from aiohttp import web

from ..federation.client import Client
from ..federation.delivery import DeliveryWorker
from ..federation.housekeeping import Housekeeping
from ..federation.inbox_worker import InboxWorker
from ..federation.inbox_writer import InboxWriter
from ..federation.poll_updates import PollUpdates
from ..federation.settling import Settling
from ..federation.sharing import Sharing
from ..federation.sync_worker import SyncWorker
from ..federation.wiki_worker import WikiWorker
from ..node import Node
from ..store.notices import Listener
from ..store.writer import Writer
from .body_cache import BodyCache

NODE = web.AppKey("node", Node)  # reads only: its connection refuses writes
WRITER = web.AppKey("writer", Writer[Node])  # every write: Writer.run(fn, ...) calls fn(node, ...)
CLIENT = web.AppKey("client", Client)
DELIVERY = web.AppKey("delivery", DeliveryWorker)
INBOX = web.AppKey("inbox", InboxWorker)
INBOX_WRITER = web.AppKey("inbox_writer", InboxWriter)
SYNC = web.AppKey("sync", SyncWorker)
HOUSEKEEPING = web.AppKey("housekeeping", Housekeeping)
SETTLING = web.AppKey("settling", Settling)  # ends proposals: counts, publishes and applies their tallies
# Sharing a PostgreSQL database with other server processes: how (None on SQLite), and the
# connection on which the others' announcements of work are heard.
SHARING = web.AppKey("sharing", Sharing | None)
LISTENER = web.AppKey("listener", Listener)
POLL_UPDATES = web.AppKey("poll_updates", PollUpdates)  # sends open proposals' live counts to followers
WIKIS = web.AppKey("wikis", WikiWorker)
BODIES = web.AppKey("bodies", BodyCache)  # pages and documents the same for everyone, while nothing changed

MAX_BODY = 1024 * 1024  # the largest request body the application reads
