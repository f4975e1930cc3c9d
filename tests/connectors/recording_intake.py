"""The part of the scripted Intake doubles that every connector's tests share: recording and de-duplication.

It behaves like the real intake where a connector can tell: receive() de-duplicates by idempotency key,
handle() returns the stored replies of a duplicate, delivery failures are recorded. Subclasses write the
conversation itself in ``_script``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.base import ChannelError, IntakeResult
from dialog.messages import InboundMessage, Reply


@dataclass
class RecordingIntake:
    received: list[InboundMessage] = field(default_factory=list)
    processed: list[InboundMessage] = field(default_factory=list)
    failures: list[tuple[str, str, ChannelError]] = field(default_factory=list)
    _replies: dict[str, list[Reply]] = field(default_factory=dict)

    async def receive(self, message: InboundMessage) -> bool:
        key = message.idempotency_key
        if key and any(m.idempotency_key == key for m in self.received):
            return False
        self.received.append(message)
        return True

    async def process(self, message: InboundMessage) -> list[Reply]:
        self.processed.append(message)
        replies = self._script(message)
        if message.idempotency_key:
            self._replies[message.idempotency_key] = replies
        return replies

    async def handle(self, message: InboundMessage) -> IntakeResult:
        if not await self.receive(message):
            return IntakeResult(list(self._replies.get(message.idempotency_key or "", [])), duplicate=True)
        return IntakeResult(await self.process(message), duplicate=False)

    async def delivery_failed(self, message: InboundMessage | None, channel: str, address: str,
                              error: ChannelError) -> None:
        self.failures.append((channel, address, error))

    def _script(self, message: InboundMessage) -> list[Reply]:
        raise NotImplementedError
