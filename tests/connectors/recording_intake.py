"""The part of the scripted Inbox doubles that every connector's tests share: recording, de-duplication, and
the Dispatcher's side of a turn (script -> ``outbound.reply``), so a connector is tested on its own.

It behaves like the real inbox where a connector can tell: receive() de-duplicates by idempotency key and
processing follows the acknowledgement; ask() returns the stored replies of a duplicate; delivery failures
are recorded. Subclasses write the conversation itself in ``_script``. The real Inbox and Dispatcher are
exercised with each connector in the tests on the real runtime.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from connectors.base import Answered, ChannelError
from dialog.messages import InboundMessage, Reply


@dataclass
class RecordingIntake:
    received: list[InboundMessage] = field(default_factory=list)
    processed: list[InboundMessage] = field(default_factory=list)
    failures: list[tuple[str, str, ChannelError]] = field(default_factory=list)
    outbound: Any = None  # the connector under test, set once mounted
    _replies: dict[str, list[Reply]] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _lock: asyncio.Lock | None = None

    async def receive(self, message: InboundMessage) -> bool:
        key = message.idempotency_key
        if key and any(m.idempotency_key == key for m in self.received):
            return False
        self.received.append(message)
        task = asyncio.get_running_loop().create_task(self._dispatch(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _dispatch(self, message: InboundMessage) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one at a time, in arrival order, like the Dispatcher per conversation
            if message.extras.get("no_reply"):
                return
            prepare = getattr(self.outbound, "prepare", None)
            if prepare is not None:
                message = await prepare(message)
            replies = await self.process(message)
            if not replies or self.outbound is None:
                return
            try:
                await self.outbound.reply(message, replies)
            except ChannelError as exc:
                self.failures.append((message.channel, message.sender.native_id, exc))

    async def process(self, message: InboundMessage) -> list[Reply]:
        self.processed.append(message)
        replies = self._script(message)
        if message.idempotency_key:
            self._replies[message.idempotency_key] = replies
        return replies

    async def ask(self, message: InboundMessage, timeout: float) -> Answered | None:
        key = message.idempotency_key
        if key and any(m.idempotency_key == key for m in self.received):
            return Answered(list(self._replies.get(key, [])), duplicate=True)
        self.received.append(message)
        return Answered(await self.process(message))

    async def join(self, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def delivery_failed(self, message: InboundMessage | None, channel: str, address: str,
                              error: ChannelError) -> None:
        self.failures.append((channel, address, error))

    def _script(self, message: InboundMessage) -> list[Reply]:
        raise NotImplementedError
