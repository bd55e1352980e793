"""A task that starts and stops with the server (inbox processing, group commit)."""

import asyncio


class Background:
    """Subclasses implement `_run`; `start` spawns it, `stop` cancels it and waits."""

    name = "background"

    def __init__(self):
        self._task: asyncio.Task | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        raise NotImplementedError
