"""`fedcommons serve` facing anyone: slow request heads are cut off, and requests too
malformed to parse cost one quiet log line, not a traceback."""

import asyncio
import logging
import os
import subprocess
import sys
import time

import pytest
from support_cli import run
from support_disk import SOURCE_ROOT
from support_nodes import free_port, served_node

from fedcommons.cli.serving import quiet_rejected_requests, runner_options

URL = "http://127.0.0.1:8080"
HUGE_REQUEST_LINE = b"GET /" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.fixture
async def served(tmp_path):
    """The node's app served on loopback with `serve`'s options and a half-second deadline."""
    async with served_node(tmp_path, workers=False, **runner_options(0.5)) as running:
        yield running.port


async def trickle(port: int, budget: float) -> tuple[float, bytes]:
    """Send a request head a few bytes at a time and never finish it: how long the server
    kept the connection open (at most `budget`), and what it answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    answer = b""
    try:
        for n in range(int(budget / 0.1)):
            writer.write(b"X-Slow-%d: 1\r\n" % n)
            await writer.drain()
            try:
                answer = await asyncio.wait_for(reader.read(1024), 0.1)
            except asyncio.TimeoutError:
                continue
            break  # the server answered or closed
    except ConnectionError:
        pass
    finally:
        writer.close()
    return time.monotonic() - started, answer


def status(answer: bytes) -> int:
    return int(answer.split(b"\r\n", 1)[0].split()[1])


async def request(port: int, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        await writer.drain()
        return await asyncio.wait_for(reader.read(1024), 5)
    finally:
        writer.close()


async def test_a_request_head_sent_too_slowly_is_cut_off(served):
    held, answer = await trickle(served, budget=5)
    assert 0.4 < held < 2.5, held
    assert answer == b""  # closed, not answered
    # A client that sends its head in time is served as before.
    assert status(await request(served, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) == 200


async def test_a_20_kb_request_line_is_one_quiet_log_line(served, caplog):
    installed = quiet_rejected_requests()
    try:
        with caplog.at_level(logging.DEBUG):
            answer = await request(served, HUGE_REQUEST_LINE)
    finally:
        logging.getLogger("aiohttp.server").removeFilter(installed)
    assert status(answer) == 400
    records = [r for r in caplog.records if r.name.startswith(("aiohttp.server", "fedcommons"))]
    assert [(r.levelno, r.exc_info) for r in records] == [(logging.INFO, None)], caplog.text
    assert records[0].getMessage().startswith("refused a malformed request from 127.0.0.1: ")
    assert "\n" not in records[0].getMessage()


async def test_serve_cuts_off_slow_heads_and_logs_malformed_requests_quietly(tmp_path):
    home, port = tmp_path / "home", free_port()
    run(home, "init", "--url", URL)
    server = subprocess.Popen(
        [sys.executable, "-m", "fedcommons", "--home", str(home), "serve", "--port", str(port),
         "--header-timeout", "1"],
        env=dict(os.environ, PYTHONPATH=str(SOURCE_ROOT)), stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):  # up to 10 s to start
            try:
                answer = await request(port, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                break
            except OSError:
                await asyncio.sleep(0.1)
        assert status(answer) == 200
        held, answer = await trickle(port, budget=6)
        assert 0.9 < held < 4 and answer == b"", (held, answer)
        assert status(await request(port, HUGE_REQUEST_LINE)) == 400
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=15)
    assert "Traceback" not in stderr, stderr
    assert "ERROR" not in stderr, stderr
    assert "INFO fedcommons.web: refused a malformed request from 127.0.0.1" in stderr, stderr
