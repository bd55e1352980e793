"""A task that starts and stops with the server (inbox processing, group commit)."""

import asyncio
import logging

log = logging.getLogger("fedcommons.background")


class Background:
    """Subclasses implement `_run`; `start` spawns it, `stop` cancels it and waits."""

    name = "background"

    def __init__(self, sharing=None):
        self._task: asyncio.Task | None = None
        # federation.sharing.Sharing when other server processes share the database.
        self.sharing = sharing

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

    async def _leading(self, work: str, seconds: float) -> bool:
        """Whether this process does the periodic `work` now: always when it serves the
        node alone; sharing the database, when it holds the work's lease for most of
        `seconds` (the time to the next round), so that one process does each round."""
        if self.sharing is None:
            return True
        try:
            return await self.sharing.lead(self.writer, work, seconds * 0.9)
        except Exception as exc:  # noqa: BLE001  the database is away: the next round asks again
            log.warning("%s: cannot tell which process does it now: %s", self.name, exc)
            return False
