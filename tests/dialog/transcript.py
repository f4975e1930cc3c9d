"""Transcript-style dialog tests: a conversation written as (speaker, line) pairs.

    await converse(desk, [
        ("user", "hola, no puedo entrar al correo"),
        ("bot", contains("¿A quién afecta")),
        ("user", press("ans:impact:team")),
        ...
    ])

"bot" lines are matched, in order, against the replies to the last user line (replies in between may be
skipped, so a test states what matters). ``("clock", timedelta)`` moves time; ``("notify", fn)`` delivers an
agent event built by ``fn(desk)``. On a mismatch the whole conversation so far is printed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from dialog.messages import Attachment, Identity, InboundMessage, Reply
from dialog.ports import TicketEvent

_ids = itertools.count(1)


@dataclass(frozen=True)
class Say:
    text: str = ""
    option: str | None = None
    attachments: tuple[Attachment, ...] = ()
    message_id: str | None = None
    locale_hint: str | None = None


def press(option_id: str) -> Say:
    return Say(option=option_id)


@dataclass
class contains:
    """Matches a reply whose text contains every fragment (case-insensitive) and, if given, offers exactly
    these option ids (``options``) or at least these (``has``)."""

    fragments: tuple[str, ...]
    options: Sequence[str] | None = None
    has: Sequence[str] = ()
    ticket: bool | None = None
    kind: str | None = None

    def __init__(self, *fragments: str, options: Sequence[str] | None = None, has: Sequence[str] = (),
                 ticket: bool | None = None, kind: str | None = None) -> None:
        self.fragments, self.options, self.has, self.ticket, self.kind = fragments, options, has, ticket, kind

    def __call__(self, reply: Reply) -> bool:
        text = reply.text.casefold()
        ids = [o.id for o in reply.options]
        return (all(f.casefold() in text for f in self.fragments)
                and (self.options is None or list(self.options) == ids)
                and all(o in ids for o in self.has)
                and (self.ticket is None or (reply.ticket is not None) == self.ticket)
                and (self.kind is None or reply.kind == self.kind))

    def __repr__(self) -> str:
        extra = f", options={self.options}" if self.options is not None else ""
        return f"contains({', '.join(map(repr, self.fragments))}{extra})"


@dataclass
class Conversation:
    turns: list[tuple[str, list[Reply]]] = field(default_factory=list)

    @property
    def last(self) -> list[Reply]:
        return self.turns[-1][1] if self.turns else []

    def dump(self) -> str:
        out = []
        for said, replies in self.turns:
            out.append(f"  user: {said[:200]!r}{' …' if len(said) > 200 else ''}")
            out.extend(f"   bot: {r.text!r} {[o.id for o in r.options] or ''}" for r in replies)
        return "\n".join(out)


def message(text: str = "", *, option: str | None = None, sender: Identity | None = None,
            conversation: str | None = None, message_id: str | None = None, locale_hint: str | None = None,
            attachments: tuple[Attachment, ...] = ()) -> InboundMessage:
    who = sender or Identity("web", "u1", "Ana")
    return InboundMessage(channel=who.channel, conversation_key=conversation or who.key, sender=who,
                          text=text, option_id=option, attachments=attachments,
                          provider_message_id=message_id or f"m{next(_ids)}", locale_hint=locale_hint)


async def converse(desk: Any, script: Sequence[tuple[str, Any]], *, conv: Conversation | None = None,
                   sender: Identity | None = None, conversation: str | None = None,
                   locale_hint: str | None = None) -> Conversation:
    conv = conv if conv is not None else Conversation()
    who = sender or Identity("web", "u1", "Ana")
    key = conversation or who.key
    pending: list[Reply] = []
    for speaker, line in script:
        if speaker == "user":
            say = line if isinstance(line, Say) else Say(text=str(line))
            msg = message(say.text, option=say.option, sender=who, conversation=key,
                          message_id=say.message_id, locale_hint=say.locale_hint or locale_hint,
                          attachments=say.attachments)
            pending = list(await desk.engine.handle(msg))
            conv.turns.append((say.text or f"[{say.option}]", list(pending)))
        elif speaker == "bot":
            matcher: Callable[[Reply], bool] = line if callable(line) else contains(str(line))
            for i, reply in enumerate(pending):
                if matcher(reply):
                    pending = pending[i + 1:]
                    break
            else:
                raise AssertionError(f"no reply matches {matcher!r}\nconversation:\n{conv.dump()}")
        elif speaker == "clock":
            assert isinstance(line, timedelta)
            desk.clock.advance(line)
        elif speaker == "notify":
            event: TicketEvent = line(desk) if callable(line) else line
            pending = list(await desk.engine.notify(key, event))
            conv.turns.append((f"<{event.kind} {event.reference}>", list(pending)))
        else:
            raise ValueError(f"unknown speaker {speaker!r}")
    return conv
