"""The server's one writer: writes off the event loop, reads never waiting for them, and a
bounded wait for the lock that ends in 503 with Retry-After instead of a frozen server."""

import asyncio
import sqlite3
import threading
import time

import pytest
import support_db

from fedcommons.app import NODE, WRITER
from fedcommons.errors import Busy
from fedcommons.store.db import open_db
from support_nodes import served_node

WAIT = 0.5  # the writer's bound on waiting for the lock, in these tests


@pytest.fixture
async def served(tmp_path):
    async with served_node(tmp_path) as running:
        running.app[WRITER].wait = WAIT
        yield running


async def test_writes_run_on_the_writer_thread_and_their_errors_come_back(served):
    writer = served.app[WRITER]
    loop_thread = threading.current_thread()
    seen = await writer.run(lambda node: (threading.current_thread(), node.db.conn.execute("SELECT 1").fetchone()))
    assert seen[0] is not loop_thread and seen[1] == (1,)

    def fails(node):
        raise ValueError("from the writer")

    with pytest.raises(ValueError, match="from the writer"):
        await writer.run(fails)


async def test_the_event_loop_connection_refuses_writes(served):
    with pytest.raises(sqlite3.DatabaseError, match="readonly|read-only"):
        served.app[NODE].db.conn.execute("DELETE FROM inbox_items")


async def test_a_held_lock_makes_a_write_busy_within_its_bound_while_the_loop_goes_on(served):
    ticks = 0

    async def tick():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    with support_db.hold_write_lock(served.home):
        ticker = asyncio.create_task(tick())
        started = time.monotonic()
        try:
            with pytest.raises(Busy):
                await served.app[WRITER].transact(
                    lambda db: db.conn.execute("INSERT INTO hosts (host, updated_at) VALUES ('x', 'y')"))
        finally:
            ticker.cancel()
    waited = time.monotonic() - started
    assert waited < WAIT + 1.0
    # The loop ran all along: about one tick per 10 ms, not a frozen wait.
    assert ticks >= waited / 0.01 / 4


async def test_pages_answer_while_another_process_holds_the_lock_and_writes_get_503(served, http):
    with support_db.hold_write_lock(served.home):
        for path in ("/health", "/log/checkpoint", "/actor"):
            started = time.monotonic()
            async with http.get(served.url + path) as r:
                assert r.status == 200, path
            assert time.monotonic() - started < 0.5, path
        started = time.monotonic()
        async with http.post(served.url + "/oauth/register",
                             json={"redirect_uris": ["http://127.0.0.1/cb"], "client_name": "x"}) as r:
            assert r.status == 503
            assert int(r.headers["Retry-After"]) > 0
            assert (await r.json())["status"] == 503
        assert time.monotonic() - started < WAIT + 1.0
    # Nothing was written while refused; once the lock is free the same request works.
    async with http.post(served.url + "/oauth/register",
                         json={"redirect_uris": ["http://127.0.0.1/cb"], "client_name": "x"}) as r:
        assert r.status == 201
    reader = open_db(served.node.config.database, readonly=True)
    try:
        assert reader.conn.execute("SELECT count(*) FROM oauth_clients").fetchone()[0] == 1
    finally:
        reader.conn.close()
