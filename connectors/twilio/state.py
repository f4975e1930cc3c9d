"""What the Twilio connector remembers per contact: when a WhatsApp user last wrote to us.

WhatsApp only lets a business send free-form messages within 24 hours of the user's last message; later
pushes need an approved template. The fact must survive a restart, so it lives in the product's key-value
state port (the conversation database), not in a file of the connector's own. Which options were offered
last is the engine's business: it resolves typed numbers against its pending options.
"""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.base import KeyValueState

NAMESPACE = "twilio.last_inbound"


class ContactState:
    def __init__(self, state: KeyValueState) -> None:
        self._state = state

    async def touch_inbound(self, key: str, at: datetime) -> None:
        last = await self.last_inbound(key)
        if last is None or at > last:
            await self._state.set(NAMESPACE, key, at.timestamp())

    async def last_inbound(self, key: str) -> datetime | None:
        value = await self._state.get(NAMESPACE, key)
        return None if value is None else datetime.fromtimestamp(float(value), UTC)
