"""A recording Intake with a scripted two-question exchange, for connector tests without the engine.

Recording and de-duplication come from RecordingIntake; drafts live per conversation key, and tickets are
found by the requester's verified phone (identity linking across channels).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dialog.choice import resolve_choice
from dialog.messages import Attachment, InboundMessage, Option, Reply
from tests.connectors.recording_intake import RecordingIntake

IMPACT = (Option("individual", "Just me"), Option("team", "My team"), Option("organization", "Whole company"))
KB_OPTIONS = (Option("kb:yes:1", "Yes, it's solved"), Option("kb:no", "No, I still need help"))
KB_ARTICLE = """This article may solve it right away:

**Reset a forgotten password**

Use the self-service portal; it takes two minutes.

1. Open the portal and choose **Forgot password**.
2. Type the code sent to your phone.

[Open the article](https://desk.example.test/kb/en/password-reset)"""


@dataclass
class ScriptedTicket:
    reference: str
    channel: str
    phone: str | None
    description: str
    impact: str
    attachments: tuple[Attachment, ...]
    conversation_key: str


@dataclass
class TwilioScriptedIntake(RecordingIntake):
    tickets: list[ScriptedTicket] = field(default_factory=list)
    drafts: dict[str, dict[str, Any]] = field(default_factory=dict)
    _next: int = 123

    # ------------------------------------------------------------ the script

    def _ticket(self, message: InboundMessage, description: str, impact: str,
                attachments: tuple[Attachment, ...]) -> Reply:
        ref = f"INC-{self._next:06d}"
        self._next += 1
        self.tickets.append(ScriptedTicket(ref, message.channel, message.sender.phone, description, impact,
                                           attachments, message.conversation_key))
        self.drafts.pop(message.conversation_key, None)
        return Reply(f"Ticket {ref} created.", ticket=ref, kind="ticket")

    def _script(self, message: InboundMessage) -> list[Reply]:
        text = message.text.strip()
        if text.lower() == "status":
            mine = [t for t in self.tickets if message.sender.phone and t.phone == message.sender.phone]
            if not mine:
                return [Reply("You have no open tickets.")]
            return [Reply(f"{t.reference}: open", ticket=t.reference) for t in mine]
        key = message.conversation_key
        draft = self.drafts.get(key)
        if not text and not message.option_id and message.attachments:  # like the engine: attach, re-ask
            if draft is None:
                self.drafts[key] = {"description": "", "attachments": message.attachments}
                return [Reply("Got the file. What is it about?")]
            draft["attachments"] = tuple(draft["attachments"]) + message.attachments
            return [Reply("Got the file."), Reply("Who is affected?", options=IMPACT, kind="question")]
        if message.option_id == "cmd:human":  # file what is known now, flagged for a person
            if draft is None or not draft["description"]:
                return [Reply("A person will help you. What is it about?")]
            return [self._ticket(message, draft["description"], "individual", tuple(draft["attachments"]))]
        if draft is None and "password" in text.lower():  # like the engine's knowledge-base offer
            return [Reply(KB_ARTICLE, kind="article"),
                    Reply("Did this solve your problem?", options=KB_OPTIONS, kind="question")]
        if draft is None or not draft["description"]:
            earlier = tuple(draft["attachments"]) if draft else ()
            self.drafts[message.conversation_key] = {"description": text,
                                                     "attachments": earlier + message.attachments}
            return [Reply("Thanks, I got it."),
                    Reply("Who is affected?", options=IMPACT, kind="question")]
        said = text.lower()
        # Like the engine: a typed number names one of the options it is waiting for.
        impact = message.option_id or resolve_choice(text, [o.id for o in IMPACT]) or next(
            (o.id for o in IMPACT if said and (o.label.lower() in said or o.id == said)), None)
        if impact is None:
            return [Reply("Please pick one of the options.", options=IMPACT, kind="question")]
        return [self._ticket(message, draft["description"], impact, tuple(draft["attachments"]))]
