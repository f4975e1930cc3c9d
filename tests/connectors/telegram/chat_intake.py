"""A recording Intake double with a scripted exchange, for the Telegram and Slack connector tests.

The script: a description -> "Who is affected?" with two options -> a ticket (answered by button, by
number or by option id); "status" lists the requester's tickets. It behaves like the real intake where a
connector can tell: receive() de-duplicates by idempotency key and handle() returns the stored replies of
a duplicate. The fixtures telegram_intake / slack_intake (tests/connectors/conftest.py) hand it out.
"""

from __future__ import annotations

from connectors.base import ChannelError, IntakeResult, resolve_numbered_answer
from dialog.messages import InboundMessage, Option, Reply

CHAT_IMPACT = (Option("impact.individual", "Only me"), Option("impact.team", "My team"))


class ChatScriptedIntake:
    def __init__(self) -> None:
        self.received: list[InboundMessage] = []
        self.processed: list[InboundMessage] = []
        self.failures: list[tuple[str, str, ChannelError]] = []
        self.tickets: list[dict[str, object]] = []
        self.drafts: dict[str, dict[str, object]] = {}
        self._replies: dict[str, list[Reply]] = {}

    async def receive(self, message: InboundMessage) -> bool:
        key = message.idempotency_key
        if key and any(m.idempotency_key == key for m in self.received):
            return False
        self.received.append(message)
        return True

    async def process(self, message: InboundMessage) -> list[Reply]:
        self.processed.append(message)
        replies = self._script(message)
        self._replies[message.idempotency_key or ""] = replies
        return replies

    async def handle(self, message: InboundMessage) -> IntakeResult:
        if not await self.receive(message):
            return IntakeResult(list(self._replies.get(message.idempotency_key or "", [])), True)
        return IntakeResult(await self.process(message), False)

    async def delivery_failed(self, message: InboundMessage | None, channel: str, address: str,
                              error: ChannelError) -> None:
        self.failures.append((channel, address, error))

    def _script(self, message: InboundMessage) -> list[Reply]:
        text = message.text.strip()
        if text.lower() == "status":
            mine = [t for t in self.tickets if t["requester"] == message.sender.key]
            if not mine:
                return [Reply("You have no open tickets.")]
            return [Reply(f"{t['reference']}: open", ticket=str(t["reference"])) for t in mine]
        draft = self.drafts.get(message.conversation_key)
        if draft is None:
            self.drafts[message.conversation_key] = {"description": text, "attachments": message.attachments,
                                                     "message": message}
            return [Reply("Thanks, I got it."),
                    Reply("Who is affected?", options=CHAT_IMPACT, kind="question")]
        impact = message.option_id or resolve_numbered_answer(text, CHAT_IMPACT)
        if impact not in {o.id for o in CHAT_IMPACT}:
            return [Reply("Please pick one of the options.", options=CHAT_IMPACT, kind="question")]
        ref = f"INC-{len(self.tickets) + 1:06d}"
        self.tickets.append({"reference": ref, "description": draft["description"], "impact": impact,
                             "requester": message.sender.key, "email": message.sender.email,
                             "channel": message.channel, "conversation_key": message.conversation_key,
                             "attachments": draft["attachments"]})
        del self.drafts[message.conversation_key]
        return [Reply(f"Ticket {ref} created.", ticket=ref, kind="ticket")]
