"""Group commit for the inbox: requests that arrive together share one durable commit.

Every 202 still waits for its own item to be committed (synchronous=FULL), so nothing
acknowledged is lost; but under load, one fsync serves every request that arrived while
the previous commit was running, instead of one fsync each.
"""

import asyncio
from dataclasses import dataclass

from ..node import Node, now
from ..store import inbox as inbox_store
from ..store.writer import Direct, Writer
from .background import Background


@dataclass
class _Item:
    activity_id: str
    body: bytes
    actor: str
    key_id: str | None
    recipient: str | None
    done: asyncio.Future


class InboxWriter(Background):
    """Persists accepted inbox items in batches; `persist` returns once the item is durable."""

    name = "inbox-writer"
    MAX_BATCH = 256

    def __init__(self, node: Node, *, writer: Writer | Direct | None = None):
        super().__init__()
        self.node = node
        self.writer = writer or Direct(node)
        self._queue: asyncio.Queue[_Item] = asyncio.Queue()

    async def stop(self) -> None:
        await super().stop()
        while not self._queue.empty():  # anything still waiting is written before we go
            await self._write([self._queue.get_nowait()])

    async def persist(self, activity_id: str, body: bytes, actor: str, key_id: str | None,
                      recipient: str | None) -> bool:
        """Store one item durably; False if its activity id was already stored (a replay)."""
        if not self.running:
            item = _Item(activity_id, body, actor, key_id, recipient, asyncio.get_running_loop().create_future())
            await self._write([item])
            return item.done.result()
        done = asyncio.get_running_loop().create_future()
        await self._queue.put(_Item(activity_id, body, actor, key_id, recipient, done))
        return await done

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < self.MAX_BATCH:
                batch.append(self._queue.get_nowait())
            # Shielded: a stop while the batch is on the writer thread still answers its requests.
            await asyncio.shield(self._write(batch))

    async def _write(self, batch: list[_Item]) -> None:
        rows = [(i.activity_id, i.body, i.actor, i.key_id, i.recipient) for i in batch]
        try:
            results = await self.writer.transact(inbox_store.insert_items, rows, now())
        except Exception as exc:  # every waiting request learns that its item was not stored
            for item in batch:
                if not item.done.done():
                    item.done.set_exception(exc)
            return
        for item, fresh in zip(batch, results):
            if not item.done.done():
                item.done.set_result(fresh)
