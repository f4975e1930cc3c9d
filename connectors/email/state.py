"""What the e-mail desk remembers between mails, in the product's key-value state port (the conversation
database), not in a file of its own, so it survives restarts and is shared by every process:

- IMAP position (UIDVALIDITY + last UID per account/folder): a restart neither misses nor re-reads mail.
- Threads per conversation and per ticket: subject, last Message-IDs, ticket (our answers thread on them).
- Sends per address in the last two hours (the hourly cap) and digests of answered texts (the loop guard:
  an auto-responder repeating itself is recorded but not answered again).

Which options were offered last is the engine's business: it resolves "2" against its pending options.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from connectors.base import KeyValueState

MAX_REFERENCES = 20
_SENDS_KEPT_S = 7200


@dataclass(slots=True)
class Thread:
    subject: str = ""
    last_message_id: str | None = None
    references: list[str] = field(default_factory=list)
    ticket: str | None = None


class MailState:
    def __init__(self, state: KeyValueState) -> None:
        self._kv = state

    # --- IMAP position ---
    async def imap_position(self, account: str) -> tuple[int, int] | None:
        value = await self._kv.get("email.imap_position", account)
        return (int(value[0]), int(value[1])) if value else None

    async def set_imap_position(self, account: str, uidvalidity: int, last_uid: int) -> None:
        await self._kv.set("email.imap_position", account, [uidvalidity, last_uid])

    # --- threads ---
    async def thread(self, key: str) -> Thread:
        value: dict[str, Any] | None = await self._kv.get("email.thread", key)
        if not value:
            return Thread()
        return Thread(subject=str(value.get("subject") or ""), last_message_id=value.get("last_message_id"),
                      references=list(value.get("references") or []), ticket=value.get("ticket"))

    async def save_thread(self, key: str, thread: Thread) -> None:
        await self._kv.set("email.thread", key, {
            "subject": thread.subject, "last_message_id": thread.last_message_id,
            "references": thread.references[-MAX_REFERENCES:], "ticket": thread.ticket})

    # --- send cap ---
    async def sends_since(self, address: str, since: float) -> int:
        sends = await self._kv.get("email.sends", address) or []
        return sum(1 for at in sends if float(at) >= since)

    async def record_send(self, address: str, at: float | None = None) -> None:
        now = time.time()
        kept = now - _SENDS_KEPT_S
        sends = [float(t) for t in await self._kv.get("email.sends", address) or [] if float(t) >= kept]
        await self._kv.set("email.sends", address, [*sends, now if at is None else at])

    # --- loop guard ---
    async def answered_before(self, address: str, digest: str, window_s: float) -> bool:
        at = await self._kv.get("email.answered", f"{address}\n{digest}")
        return at is not None and float(at) >= time.time() - window_s

    async def record_answered(self, address: str, digest: str) -> None:
        await self._kv.set("email.answered", f"{address}\n{digest}", time.time())
