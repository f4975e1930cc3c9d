"""The ticket page's view-model: the whole conversation, the bot's diagnosis, the requester and the log,
all read from the ticket and its append-only event log.

Everything the bot and the user said before filing is in the log as ``message_in`` / ``message_out``
entries written at filing (ticket_core.filing), later messages are appended as they happen, agents'
public replies are ``agent_reply`` and their notes ``internal_note``: one ordered list of events is the
conversation, so the page and its live updates (which send the same events) cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from atende.console.queue import requester_name
from ticket_core import CannedResponse, Event, Ticket, TicketStore, is_agent_actor
from ticket_core.canned import fill

#: Event kinds that are part of the conversation (the rest is the log).
CONVERSATION_KINDS = frozenset({"message_in", "message_out", "agent_reply", "internal_note"})
_BOLD = re.compile(r"\*\*(.+?)\*\*")


@dataclass(frozen=True, slots=True)
class Line:
    """One message of the conversation. ``who``: user, bot, agent or note (an internal note)."""

    event_id: int
    who: str
    text: str
    channel: str | None
    at: datetime
    actor: str
    option: str | None = None
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Head:
    """One classifier head (category, type, priority): label, confidence, the top three."""

    name: str
    label: str
    confidence: float | None
    top: list[tuple[str, float]]


@dataclass(frozen=True, slots=True)
class KbOffer:
    title: str
    answer: str  # the user's answer as they saw it ("No, I still need help")
    solved: bool


@dataclass(frozen=True, slots=True)
class Diagnosis:
    answers: list[tuple[str, str]]  # (question as asked, or its id; answer as given)
    heads: list[Head]
    model_version: str | None
    kb: list[KbOffer]


@dataclass(frozen=True, slots=True)
class TicketPage:
    ticket: Ticket
    requester: str
    lines: list[Line]
    diagnosis: Diagnosis
    log: list[Event]
    merged_into: str | None
    merged_from: list[str]
    canned: list[tuple[CannedResponse, str]] = field(default_factory=list)  # (response, filled text)
    last_event_id: int = 0


def line(e: Event) -> Line | None:
    """The conversation line of ``e``, or None for a log-only event."""
    if e.kind not in CONVERSATION_KINDS:
        return None
    p = e.payload
    if e.kind == "message_in":
        who = "user"
    elif e.kind == "internal_note":
        who = "note"
    elif e.kind == "agent_reply" or is_agent_actor(e.actor):
        who = "agent"  # a live handoff message from an agent is a message_out with the agent as actor
    else:
        who = "bot"
    return Line(
        event_id=e.id, who=who, text=str(p.get("text") or ""), channel=p.get("channel"), at=e.at,
        actor=e.actor, option=p.get("option"),
        attachments=tuple(str(a) for a in p.get("attachments") or ()),
    )


def diagnosis(t: Ticket, events: Sequence[Event]) -> Diagnosis:
    """What the bot established before filing. The questions are read back from the transcript: a user's
    ``ans:<question>:<value>`` option answers the bot's message just before it; a free-text answer shows
    under its question id. A KB offer is the bot's article message (its bold title) answered with a
    ``kb:`` option."""
    asked: dict[str, tuple[str, str]] = {}
    kb: list[KbOffer] = []
    last_bot, article = "", ""
    for e in events:
        if e.kind == "message_out":
            last_bot = str(e.payload.get("text") or "")
            if _BOLD.search(last_bot):
                article = last_bot
            continue
        if e.kind != "message_in":
            continue
        option = str(e.payload.get("option") or "")
        text = str(e.payload.get("text") or "")
        if option.startswith("ans:"):
            qid = option.split(":")[1] if option.count(":") >= 2 else option
            asked[qid] = (last_bot, text)
        elif option.startswith("kb:"):
            found = _BOLD.search(article)
            kb.append(KbOffer(title=found.group(1) if found else "?", answer=text,
                              solved=option.startswith("kb:yes")))
    answers: list[tuple[str, str]] = []
    for qid, value in t.answers.items():
        question, shown = asked.get(qid, (qid, str(value)))
        answers.append((question or qid, shown))
    heads: list[Head] = []
    c: dict[str, Any] = t.classification or {}
    for name in ("category", "type", "priority"):
        h = c.get(name)
        if isinstance(h, dict):
            top = [(str(x[0]), float(x[1])) for x in h.get("top") or [] if len(x) == 2][:3]
            conf = h.get("confidence")
            heads.append(Head(name, str(h.get("label")), float(conf) if conf is not None else None, top))
    return Diagnosis(answers=answers, heads=heads, model_version=c.get("model_version"), kb=kb)


def load_ticket_page(store: TicketStore, ref: str, lang: str | None = None) -> TicketPage | None:
    """Everything the ticket page shows (blocking: call through ``asyncio.to_thread``); None when unknown.
    Canned responses come in the ticket's language (else the agent's), filled for this requester."""
    t = store.get(ref)
    if t is None:
        return None
    events = store.events(t.reference)
    name = requester_name(t)
    canned_lang = t.language if t.language in ("es", "pt", "en") else lang
    canned = [(c, fill(c.body, {"requester_name": name, "reference": t.reference}))
              for c in store.canned.list(canned_lang)]
    lines = [x for x in (line(e) for e in events) if x is not None]
    return TicketPage(
        ticket=t, requester=name, lines=lines, diagnosis=diagnosis(t, events), log=list(events),
        merged_into=store.merged_into(t.reference),
        merged_from=[str(e.payload["from"]) for e in events if e.kind == "merged" and "from" in e.payload],
        canned=canned, last_event_id=events[-1].id if events else 0,
    )
