"""A recording Intake double with a scripted exchange, for the Telegram and Slack connector tests.

The script: a description -> "Who is affected?" with two options -> a ticket (answered by button, by
number or by option id); "status" lists the requester's tickets. Recording and de-duplication come from
RecordingIntake. The fixtures telegram_intake / slack_intake (tests/connectors/conftest.py) hand it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dialog.choice import resolve_choice
from dialog.messages import InboundMessage, Option, Reply
from tests.connectors.recording_intake import RecordingIntake

CHAT_IMPACT = (Option("impact.individual", "Only me"), Option("impact.team", "My team"))


@dataclass
class ChatScriptedIntake(RecordingIntake):
    tickets: list[dict[str, object]] = field(default_factory=list)
    drafts: dict[str, dict[str, object]] = field(default_factory=dict)

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
        impact = message.option_id or resolve_choice(text, [o.id for o in CHAT_IMPACT])
        if impact not in {o.id for o in CHAT_IMPACT}:
            return [Reply("Please pick one of the options.", options=CHAT_IMPACT, kind="question")]
        ref = f"INC-{len(self.tickets) + 1:06d}"
        self.tickets.append({"reference": ref, "description": draft["description"], "impact": impact,
                             "requester": message.sender.key, "email": message.sender.email,
                             "channel": message.channel, "conversation_key": message.conversation_key,
                             "attachments": draft["attachments"]})
        del self.drafts[message.conversation_key]
        return [Reply(f"Ticket {ref} created.", ticket=ref, kind="ticket")]
