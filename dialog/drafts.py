"""Turning what the intake collected into the ticket core's :class:`TicketDraft`.

Missing impact/urgency take safe defaults (one person affected; the classifier's priority prior, else
medium) so a report filed early ("talk to a human", too many invalid answers) is still complete. The type is
an incident or a service request, never a problem or a change: those records are for agents. A blocking
report in one of ``EngineSettings.escalate_categories`` (security, outage) is filed with at least team
impact, so it is never below P2 in the default matrix.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dialog.answers import SKIPPED, UNKNOWN
from dialog.messages import Attachment
from dialog.playbooks import FIELD_VALUES
from dialog.ports import Level, TicketDraft, TicketType, TranscriptLine
from dialog.state import Draft, classification_from_dict
from dialog.titles import summarize
from dialog.turn import Deps, Turn


def build_ticket_draft(d: Deps, turn: Turn, draft: Draft, article_id: str | None = None) -> TicketDraft:
    assert turn.message is not None
    classification = classification_from_dict(draft.classification) if draft.classification else None
    guess = classification.category.label if classification else None
    category = draft.category or (guess if guess is not None and guess in d.taxonomy
                                  else d.settings.fallback_category)
    fields: dict[str, str] = {}
    for question in d.questions(draft) if draft.category else d.playbooks.common.questions:
        value = draft.answers.get(question.id)
        if question.field and value in FIELD_VALUES[question.field]:
            fields[question.field] = value
    prior = classification.priority.label if classification else "medium"
    impact = fields.get("impact")
    urgency = _level(fields.get("urgency") or prior)
    if category in d.settings.escalate_categories and urgency == "high" and impact in (None, "individual"):
        impact = "team"
    kind = draft.type or (classification.type.label if classification else d.taxonomy.default_type(category))
    return TicketDraft(
        title=title(d, turn, draft, category) or d.t(turn, "untitled"),
        description=draft.description,
        category=category,
        type=_ticket_type(kind),
        impact="team" if impact == "team" else "organization" if impact == "organization" else "individual",
        urgency=urgency,
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


def title(d: Deps, turn: Turn, draft: Draft, category: str) -> str:
    """A scannable title: the category, the clause that states the problem, then the short answers the
    user gave (named things first: the application, printer or VPN client; then the chosen options).
    Answers inferred from the description are already in it."""
    if not draft.description:
        return ""
    texts: list[str] = []
    labels: list[str] = []
    for question in d.questions(draft) if draft.category else ():
        value = draft.answers.get(question.id)
        if not value or value in (SKIPPED, UNKNOWN) or question.field or question.id in draft.inferred \
                or value.startswith("("):
            continue
        if question.kind == "text":
            texts.append(value)
        elif question.kind == "choice" and (choice := question.choice(value)) is not None:
            labels.append(choice.labels.get(turn.lang) or next(iter(choice.labels.values())))
    return summarize(draft.description, d.taxonomy.name(turn.lang, category), [*texts, *labels])


def attachment_dict(a: Attachment) -> dict[str, Any]:
    return {"name": a.name, "content_type": a.content_type, "size": a.size, "path": a.path, "url": a.url}


def _attachment(raw: dict[str, Any]) -> Attachment:
    return Attachment(str(raw.get("name", "")), str(raw.get("content_type", "application/octet-stream")),
                      int(raw.get("size", 0)), raw.get("path"), raw.get("url"))


def _level(value: str) -> Level:
    return "low" if value == "low" else "high" if value == "high" else "medium"


def _ticket_type(value: str) -> TicketType:
    """Only incidents and requests come from a user's report (a model's "problem"/"change" -> incident)."""
    return "request" if value == "request" else "incident"


def _parse_time(raw: str, default: datetime) -> datetime:
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return default
