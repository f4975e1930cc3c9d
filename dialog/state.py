"""Conversation state as plain, versioned, JSON-able data.

The ConversationStore port stores dicts (SQLite, Redis, memory), so the state is a dataclass with
``to_dict``/``from_dict``. ``version`` lets a newer engine read (or knowingly discard) what an older one
wrote; unknown keys are ignored and missing ones take their defaults, so adding a field needs no migration.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from dialog.messages import Option, Reply
from dialog.ports import Classification, Prediction

log = logging.getLogger(__name__)

STATE_VERSION = 1

# Stages of a conversation (see DialogEngine for the transitions).
START = "start"  # nothing in progress: a text is a new description (or goes to the active ticket)
DESCRIBE = "describe"  # waiting for (more of) the description
CLARIFY = "clarify"  # low confidence: waiting for the category choice
QUESTION = "question"  # waiting for the answer to draft.question
KB = "kb"  # articles shown: waiting for "did this solve it?"
RESUME = "resume"  # came back after the idle timeout: continue or start over?
ROUTE = "route"  # came back after the idle timeout with an open ticket: add to it or new problem?
OUTAGE = "outage"  # a known outage offered ("is this what you are seeing?"): waiting for yes/no
IN_PROGRESS = (DESCRIBE, CLARIFY, QUESTION, KB, OUTAGE)


@dataclass(slots=True)
class Draft:
    """The report being collected."""

    description: str = ""
    category: str | None = None
    category_source: str = ""  # model | user | fallback
    classification: dict[str, Any] | None = None
    answers: dict[str, str] = field(default_factory=dict)
    inferred: list[str] = field(default_factory=list)  # question ids answered from the description
    queue: list[str] = field(default_factory=list)  # question ids still to ask
    question: str | None = None  # the pending question
    invalid: int = 0  # invalid answers to the pending question
    articles: list[dict[str, str]] = field(default_factory=list)  # shown: {"id", "title"}
    attachments: list[dict[str, Any]] = field(default_factory=list)
    human: bool = False  # the user asked for a human: no questions, no articles
    more_detail_asked: bool = False
    type: str | None = None  # incident | request (the bot never files problems or changes)
    type_source: str = ""  # model | user
    rejected: list[str] = field(default_factory=list)  # categories the user said it is not about
    scope_asked: bool = False  # "everyone in that room": how many people, asked once
    started_at: str | None = None
    #: The known outage offered for this report ({"reference", "title", "service", "since", "major"});
    #: offered at most once per report, whatever the answer.
    outage: dict[str, Any] | None = None
    outage_offered: bool = False

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Draft:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})


#: Handoff statuses: the user asked for a person and waits (the bot still answers), or an agent has taken
#: the conversation (the bot is silent: every message goes to the ticket and the agent).
HANDOFF_WAITING = "waiting"
HANDOFF_LIVE = "live"


@dataclass(slots=True)
class Handoff:
    """The conversation's handoff to a person. ``ref`` is the ticket the agent works on; ``agent`` the
    display name the user was told; ``since`` when the current status began (ISO 8601)."""

    status: str = HANDOFF_WAITING
    ref: str = ""
    agent: str | None = None
    since: str | None = None
    timeout_noticed: bool = False  # the "nobody is free: the desk answers on the ticket" notice was sent

    @property
    def live(self) -> bool:
        return self.status == HANDOFF_LIVE

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Handoff:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})


@dataclass(slots=True)
class ConversationState:
    version: int = STATE_VERSION
    language: str | None = None
    language_locked: bool = False  # the user chose it explicitly: no automatic switching
    stage: str = START
    draft: Draft | None = None
    active_ticket: str | None = None  # later messages are added to it
    pending_options: list[str] = field(default_factory=list)
    pending_labels: dict[str, str] = field(default_factory=dict)  # id -> the label the user saw
    csat: dict[str, Any] | None = None  # {"ref", "score", "tries"} while a rating is being collected
    paused: dict[str, Any] | None = None  # RESUME/ROUTE: {"stage", "text"}
    transcript: list[dict[str, str]] = field(default_factory=list)
    greeted: bool = False
    unsupported_noticed: bool = False
    handoff: Handoff | None = None  # a person was asked for (waiting) or is chatting (live)
    updated_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> ConversationState:
        if not raw:
            return cls()
        version = raw.get("version", 0)
        if version != STATE_VERSION:
            # No older layout exists yet; a state from a newer engine is not guessed at.
            log.warning("conversation state version %s not understood; starting afresh", version)
            return cls(language=raw.get("language") if isinstance(raw.get("language"), str) else None)
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in known}
        if isinstance(values.get("draft"), dict):
            values["draft"] = Draft.from_dict(values["draft"])
        if isinstance(values.get("handoff"), dict):
            values["handoff"] = Handoff.from_dict(values["handoff"])
        elif values.get("handoff") is not None:
            values["handoff"] = None
        return cls(**values)

    def updated(self) -> datetime | None:
        return datetime.fromisoformat(self.updated_at) if self.updated_at else None


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    return {**reply.to_json(), "kind": reply.kind}


def reply_from_dict(raw: dict[str, Any]) -> Reply:
    options = tuple(Option(str(o["id"]), str(o["label"])) for o in raw.get("options") or ())
    return Reply(str(raw.get("text", "")), options, raw.get("ticket"), str(raw.get("kind", "message")))


def _prediction_to_dict(p: Prediction) -> dict[str, Any]:
    return {"label": p.label, "confidence": p.confidence, "top": [[label, conf] for label, conf in p.top]}


def _prediction_from_dict(raw: dict[str, Any]) -> Prediction:
    return Prediction(str(raw["label"]), float(raw["confidence"]),
                      tuple((str(label), float(conf)) for label, conf in raw.get("top") or ()))


def classification_to_dict(c: Classification) -> dict[str, Any]:
    return {"category": _prediction_to_dict(c.category), "type": _prediction_to_dict(c.type),
            "priority": _prediction_to_dict(c.priority), "model_version": c.model_version}


def classification_from_dict(raw: dict[str, Any]) -> Classification:
    return Classification(_prediction_from_dict(raw["category"]), _prediction_from_dict(raw["type"]),
                          _prediction_from_dict(raw["priority"]), str(raw.get("model_version", "unknown")))
