"""Cosmetic work a connector does after the acknowledgement (marking a pressed Slack button as answered).

Processing and delivery are not here: the Dispatcher (atende.dispatch) owns them, in order per
conversation. Tasks are kept so shutdown can wait for them and nothing is garbage-collected mid-flight.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class BackgroundWork:
    """One per connector. ``spawn`` the work after the acknowledgement."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s background task failed", self.name, exc_info=task.exception())

    async def join(self, timeout: float | None = None) -> None:
        """Wait until every task (including ones spawned meanwhile) has finished."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self, timeout: float = 10.0) -> None:
        """Let running work finish (replies already computed still go out), then cancel what is left."""
        try:
            await self.join(timeout)
        except TimeoutError:
            left = list(self._tasks)
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)
            log.warning("%s: %d background tasks still running at shutdown were cancelled", self.name,
                        len(left))
