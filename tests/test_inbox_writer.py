"""Group commit: concurrent inbox items share commits, each is durable before its caller hears back."""

import asyncio

from fedcommons.federation.inbox_writer import InboxWriter
from fedcommons.home import init_node, open_node
from fedcommons.store import inbox as inbox_store


async def test_concurrent_items_are_stored_once_each_and_replays_are_reported(tmp_path):
    home = tmp_path / "home"
    init_node(home, "http://127.0.0.1:9999", allow_private_addresses=True).close()
    node = open_node(home)
    writer = InboxWriter(node)
    writer.start()
    ids = [f"https://peer.example/a/{i % 15}" for i in range(30)]  # every id twice
    results = await asyncio.gather(*(
        writer.persist(activity_id, b"{}", "https://peer.example/u", "https://peer.example/u#k", None)
        for activity_id in ids
    ))
    await writer.stop()
    assert sum(results) == 15  # the first of each pair is fresh, the second a replay
    node.close()
    reopened = open_node(home)  # what the caller was told is on disk
    assert all(inbox_store.count(reopened.db, f"https://peer.example/a/{i}") == 1 for i in range(15))
    reopened.close()


async def test_persist_works_before_start_and_after_stop(tmp_path):
    home = tmp_path / "home"
    node = init_node(home, "http://127.0.0.1:9999", allow_private_addresses=True)
    writer = InboxWriter(node)
    assert await writer.persist("https://peer.example/x", b"{}", "https://peer.example/u", None, None)
    assert not await writer.persist("https://peer.example/x", b"{}", "https://peer.example/u", None, None)
    node.close()
