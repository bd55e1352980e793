"""Dishonest and broken peers for replication tests, served on 127.0.0.1.

A `FakePeer` impersonates a real node home it holds the keys of: it serves that node's
actor document and a log *history* of its choosing, with checkpoints signed by the
node's real key. A history can be the node's true log, the same log with an old entry
rewritten (and re-signed, as an operator with every key could), or one history for one
requester and another for the rest. Pages can be tampered with on the way out.
"""

import base64
import json
from collections.abc import Callable

from aiohttp import web
from support_nodes import serve_on_loopback

from fedcommons.ld.canonical import canonicalize
from fedcommons.log.checkpoint import Checkpoint, format_checkpoint
from fedcommons.log.merkle import (
    Frontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_at,
)
from fedcommons.node import NODE_NAME
from fedcommons.services.actors.actors import actor_document
from fedcommons.services.actors.signing import sign_as
from fedcommons.store import actors as actor_store
from fedcommons.store import log as log_store


class History:
    """A log as a list of entry bodies (None for redacted) with leaf hashes and every node."""

    def __init__(self, entries: list[tuple[bytes, bytes | None]]):
        self.entries = entries
        self.nodes: dict[tuple[int, int], bytes] = {}
        frontier = Frontier.empty()
        for leaf, _ in entries:
            for level, index, value in frontier.append(leaf):
                self.nodes[(level, index)] = value

    @classmethod
    def of_node(cls, node, stop: int | None = None) -> "History":
        """The node's true log (its first `stop` entries)."""
        return cls([(row.leaf_hash, row.body) for row in log_store.iter_entries(node.db, 0, stop)])

    @property
    def size(self) -> int:
        return len(self.entries)

    def lookup(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def root(self, size: int | None = None) -> bytes:
        return root_at(self.size if size is None else size, self.lookup)

    def rewritten(self, node, index: int, change: Callable[[dict], None]) -> "History":
        """This history with entry `index` changed by `change` and signed again by its author."""
        activity = json.loads(self.entries[index][1])
        activity.pop("proof")
        change(activity)
        author = actor_store.actor(node.db, activity["actor"])
        pending = sign_as(node, author, activity)
        body = pending.body
        assert body == canonicalize(pending.activity)
        entries = list(self.entries)
        entries[index] = (leaf_hash(body), body)
        return History(entries)

    def note(self, node, size: int | None = None) -> str:
        """A checkpoint of this history signed with the node's real key."""
        size = self.size if size is None else size
        return node.note_signer.sign(format_checkpoint(Checkpoint(node.config.origin, size, self.root(size))))


def change_summary(activity: dict) -> None:
    """Rewrite a contribution's summary and effort: history an operator might want changed."""
    obj = activity["object"]
    obj["name"] = "something else entirely"
    obj["effortQuantity"]["hasNumericalValue"] = 6000


class FakePeer:
    """Serves a node's actor and a chosen history on the node's own URL and port."""

    def __init__(self, node, port: int, history: History,
                 history_for: Callable[[web.Request], History] | None = None,
                 tamper: Callable[[dict, int, int], dict | bytes] | None = None,
                 note_for: Callable[[History], str] | None = None):
        self.node, self.port = node, port
        self.history = history
        self.history_for = history_for or (lambda request: self.history)
        self.tamper = tamper
        self.note_for = note_for
        self.runner: web.AppRunner | None = None
        self.requests: list[str] = []

    async def start(self) -> "FakePeer":
        app = web.Application()
        app.router.add_get("/actor", self.actor)
        app.router.add_get("/log/checkpoint", self.checkpoint)
        app.router.add_get("/log/entries", self.entries)
        app.router.add_get("/log/proof/consistency", self.consistency)
        app.router.add_get("/log/proof/inclusion", self.inclusion)
        app.router.add_get("/log/mirrors", self.mirrors)
        self.runner, _ = await serve_on_loopback(app, self.port)
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def actor(self, request):
        row = actor_store.local_actor(self.node.db, NODE_NAME, "node")
        return web.json_response(actor_document(self.node, row), content_type="application/activity+json")

    async def checkpoint(self, request):
        history = self.history_for(request)
        note = self.note_for(history) if self.note_for else history.note(self.node)
        return web.Response(text=note, content_type="text/plain")

    async def entries(self, request):
        self.requests.append(request.path_qs)
        history = self.history_for(request)
        start, limit = int(request.query.get("start", 0)), int(request.query.get("limit", 1000))
        page = {"hashEncoding": "base64", "start": start, "entries": [
            {"index": idx, "leafHash": base64.b64encode(leaf).decode(),
             "activity": json.loads(body) if body is not None else None}
            for idx, (leaf, body) in enumerate(history.entries[start:start + limit], start=start)
        ]}
        if self.tamper is not None:
            page = self.tamper(page, start, limit)
        if isinstance(page, bytes):
            return web.Response(body=page, content_type="application/json")
        return web.json_response(page)

    async def consistency(self, request):
        history = self.history_for(request)
        old, new = int(request.query["from"]), int(request.query["to"])
        proof = consistency_proof(old, new, history.lookup)
        return web.json_response({"hashEncoding": "base64",
                                  "proof": [base64.b64encode(h).decode() for h in proof]})

    async def inclusion(self, request):
        history = self.history_for(request)
        index, size = int(request.query["index"]), int(request.query["size"])
        proof = inclusion_proof(index, size, history.lookup)
        return web.json_response({"hashEncoding": "base64",
                                  "proof": [base64.b64encode(h).decode() for h in proof]})

    async def mirrors(self, request):
        return web.json_response({"mirrors": []})


def by_requester(histories: dict[str, History], default: History):
    """Pick a history by the requesting node's URL, which its User-Agent carries."""

    def pick(request: web.Request) -> History:
        agent = request.headers.get("User-Agent", "")
        for url, history in histories.items():
            if f"+{url})" in agent:
                return history
        return default

    return pick
