"""Background work after the acknowledgement: tracked tasks, run in order per conversation.

Providers that call us asynchronously (Telegram, Slack, Twilio Messaging, mail handed in by SMTP or IMAP)
get their answer as soon as the message is recorded; running the engine and delivering the replies happens
here. Tasks are kept (so shutdown can wait for them and nothing is garbage-collected mid-flight), and the
work of one conversation runs in arrival order: a task takes its conversation's lock as its first step, and
asyncio locks wake waiters first-come first-served.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

log = logging.getLogger(__name__)


class BackgroundWork:
    """One per connector. ``spawn`` the work after the acknowledgement; inside it, ``ordered(key)`` keeps
    the replies of one conversation in the order its messages arrived."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._tasks: set[asyncio.Task[Any]] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s background task failed", self.name, exc_info=task.exception())

    @asynccontextmanager
    async def ordered(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                self._locks.pop(key, None)

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
