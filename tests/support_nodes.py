"""Real nodes on 127.0.0.1 for federation tests: each with its own home, port and server.

Every test that serves a node does it through RunningNode, most through `served_node`.
"""

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

from fedcommons.app import make_app
from fedcommons.home import init_node, open_node


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def serve_on_loopback(app: web.Application, port: int = 0, **options) -> tuple[web.AppRunner, int]:
    """Serve `app` on 127.0.0.1 (on a free port when `port` is 0): the runner, to clean up
    afterwards, and the port. `options` go to the AppRunner."""
    runner = web.AppRunner(app, **options)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, runner.addresses[0][1]


class RunningNode:
    """A node home served by an in-process aiohttp site; stop() and start() keep the home."""

    def __init__(self, home: Path, port: int):
        self.home, self.port = home, port
        self.url = f"http://127.0.0.1:{port}"
        self.runner: web.AppRunner | None = None
        self.node = None

    @classmethod
    def create(cls, root: Path, name: str, *, url: str | None = None) -> "RunningNode":
        """A new home `root/name`; `url`: the node's own URL, when it is not the loopback
        address it is served on (as for a node behind a proxy)."""
        port = free_port()
        running = cls(root / name, port)
        init_node(running.home, url or running.url, allow_private_addresses=True).close()
        return running

    async def start(self, *, workers: bool = True, **runner_options) -> "RunningNode":
        """Serve the home; `workers=False` leaves out the background workers, and
        `runner_options` go to the AppRunner."""
        self.node = open_node(self.home)
        self.app = make_app(self.node, workers=workers)
        self.runner, _ = await serve_on_loopback(self.app, self.port, **runner_options)
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
        if self.node is not None:
            self.node.close()
            self.node = None


@asynccontextmanager
async def served_node(root: Path, name: str = "a", *, url: str | None = None,
                      **start_options) -> AsyncIterator[RunningNode]:
    """A new node home `root/name`, served for the `async with` block and stopped after it."""
    running = RunningNode.create(root, name, url=url)
    await running.start(**start_options)
    try:
        yield running
    finally:
        await running.stop()


async def eventually(check, timeout: float = 15.0, interval: float = 0.1):
    """Wait until check() returns something truthy (bounded); returns it."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {check}")
        await asyncio.sleep(interval)


def cli(home, action):
    """Run an action as a separate CLI process would: its own connection to the node's database."""
    node = open_node(home)
    try:
        return action(node)
    finally:
        node.close()


async def in_cli(home, action):
    """:func:`cli` in a thread, so the served nodes keep answering meanwhile."""
    return await asyncio.to_thread(cli, home, action)
