"""Turning what the intake collected into the ticket core's :class:`TicketDraft`.

Missing impact/urgency take safe defaults (one person affected; the classifier's priority prior, else
medium) so a report filed early ("talk to a human", too many invalid answers) is still complete.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dialog.messages import Attachment
from dialog.playbooks import FIELD_VALUES
from dialog.ports import Level, TicketDraft, TicketType, TranscriptLine
from dialog.state import Draft, classification_from_dict
from dialog.text import first_sentence
from dialog.turn import Deps, Turn


def build_ticket_draft(d: Deps, turn: Turn, draft: Draft, article_id: str | None = None) -> TicketDraft:
    assert turn.message is not None
    classification = classification_from_dict(draft.classification) if draft.classification else None
    category = draft.category or (classification.category.label if classification
                                  else d.settings.fallback_category)
    fields: dict[str, str] = {}
    for question in d.playbooks.questions_for(category):
        value = draft.answers.get(question.id)
        if question.field and value in FIELD_VALUES[question.field]:
            fields[question.field] = value
    prior = classification.priority.label if classification else "medium"
    impact = fields.get("impact")
    return TicketDraft(
        title=draft.title or first_sentence(draft.description) or d.t(turn, "untitled"),
        description=draft.description,
        category=category,
        type=_ticket_type(classification.type.label if classification else "incident"),
        impact="team" if impact == "team" else "organization" if impact == "organization" else "individual",
        urgency=_level(fields.get("urgency") or prior),
        channel=turn.message.channel,
        requester=turn.message.sender,
        language=turn.lang,
        answers=dict(draft.answers),
        classification=classification,
        transcript=tuple(TranscriptLine("in" if line["d"] == "in" else "out", line["text"],
                                        _parse_time(line["at"], turn.now), line.get("option"))
                         for line in turn.state.transcript),
        attachments=tuple(_attachment(a) for a in draft.attachments),
        kb_article_id=article_id,
        conversation_key=turn.message.conversation_key,
    )


def attachment_dict(a: Attachment) -> dict[str, Any]:
    return {"name": a.name, "content_type": a.content_type, "size": a.size, "path": a.path, "url": a.url}


def _attachment(raw: dict[str, Any]) -> Attachment:
    return Attachment(str(raw.get("name", "")), str(raw.get("content_type", "application/octet-stream")),
                      int(raw.get("size", 0)), raw.get("path"), raw.get("url"))


def _level(value: str) -> Level:
    return "low" if value == "low" else "high" if value == "high" else "medium"


def _ticket_type(value: str) -> TicketType:
    if value in ("request", "problem", "change"):
        return "request" if value == "request" else "problem" if value == "problem" else "change"
    return "incident"


def _parse_time(raw: str, default: datetime) -> datetime:
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return default
