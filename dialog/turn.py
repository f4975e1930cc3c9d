"""What one turn of the engine works with: the state, the language, the replies being produced.

:class:`Deps` bundles the ports and the loaded data so the flows (intake, aftercare) share one set of
helpers for producing replies, recognising small talk and keeping the transcript.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dialog.commands import CommandParser
from dialog.i18n import Catalogs
from dialog.messages import Identity, InboundMessage, Option, Reply
from dialog.playbooks import Playbooks, Question
from dialog.ports import Classifier, KnowledgeBase, KnownOutages, TicketService
from dialog.settings import EngineSettings
from dialog.state import HANDOFF_WAITING, ConversationState, Draft, Handoff
from dialog.taxonomy import Taxonomy
from dialog.text import canonical, contains_phrase

CLOSED_STATUSES = frozenset({"resolved", "closed", "self_service_resolved", "cancelled"})


@dataclass(slots=True)
class Turn:
    state: ConversationState
    lang: str
    now: datetime
    message: InboundMessage | None = None
    text: str = ""
    replies: list[Reply] = field(default_factory=list)
    #: Answer without changing anything (invalid option, empty message): the stored state stays as it was.
    keep_state: bool = False
    #: The ticket this exchange belongs to (the message was appended to it, or it was filed or flagged):
    #: the replies from ``log_from`` on are logged on it as message_out, so the desk sees them.
    log_ticket: str | None = None
    log_from: int = 0

    @property
    def requester(self) -> Identity:
        if self.message is None:
            raise RuntimeError("this turn has no inbound message")
        return self.message.sender

    @property
    def option_id(self) -> str | None:
        return self.message.option_id if self.message else None


@dataclass(frozen=True, slots=True)
class Deps:
    classifier: Classifier
    kb: KnowledgeBase
    tickets: TicketService
    catalogs: Catalogs
    playbooks: Playbooks
    settings: EngineSettings
    parser: CommandParser
    taxonomy: Taxonomy
    #: Known outages offered before the intake asks anything (None: the feature is off).
    outages: KnownOutages | None = None

    # -- the questions of a draft: its category's playbook, or the request questions ------------------

    def questions(self, draft: Draft) -> list[Question]:
        if draft.category is None:
            return []
        return self.playbooks.questions_for(self.taxonomy.playbook(draft.category), draft.type == "request")

    def question(self, draft: Draft, qid: str) -> Question | None:
        return next((q for q in self.questions(draft) if q.id == qid), None)

    def says(self, text: str, lexicon_key: str) -> bool:
        """The message contains one of the lexicon's phrases (any language), as whole words."""
        canon = canonical(text)
        return any(contains_phrase(canon, phrase) for phrase in self.catalogs.words(lexicon_key))

    def t(self, turn: Turn, key: str, **params: object) -> str:
        return self.catalogs.t(turn.lang, key, **params)

    def emit(self, turn: Turn, text: str, options: Sequence[Option] = (), kind: str = "message",
             ticket: str | None = None) -> Reply:
        """Add a reply; while a report is being collected it also goes into the report's transcript."""
        reply = Reply(text, tuple(options), ticket, kind)
        turn.replies.append(reply)
        if turn.state.draft is not None:
            self._transcribe(turn, "out", text)
        return reply

    def say(self, turn: Turn, key: str, *, options: Sequence[Option] = (), kind: str = "message",
            ticket: str | None = None, **params: object) -> Reply:
        return self.emit(turn, self.t(turn, key, **params), options, kind, ticket)

    def ask(self, turn: Turn, text: str, options: Sequence[Option] = (), kind: str = "question") -> None:
        """A prompt that waits for an answer: its option ids become the pending ones."""
        self.emit(turn, text, options, kind)
        turn.state.pending_options = [o.id for o in options]
        turn.state.pending_labels = {o.id: o.label for o in options}

    def log_on(self, turn: Turn, ref: str) -> None:
        """The replies produced from now on in this turn go to ``ref``'s log (see DialogEngine.handle)."""
        if turn.log_ticket != ref:
            turn.log_ticket, turn.log_from = ref, len(turn.replies)

    def handoff_requested(self, turn: Turn, ref: str) -> None:
        """The user asked for a person on ``ref``: waiting until an agent takes it (a live one stays live)."""
        current = turn.state.handoff
        if current is not None and current.live and current.ref == ref:
            return
        turn.state.handoff = Handoff(HANDOFF_WAITING, ref, None, turn.now.isoformat())

    def desk_hours(self, lang: str) -> str:
        hours = dict(self.settings.desk_hours)
        return hours.get(lang) or hours.get("*") or self.catalogs.t(lang, "desk_hours_default")

    def record_in(self, turn: Turn) -> None:
        if turn.state.draft is not None:
            if turn.option_id and not turn.text:  # a button: what the user saw, with its id alongside
                self._transcribe(turn, "in", self._option_label(turn), option=turn.option_id)
            else:
                self._transcribe(turn, "in", turn.text)

    def _option_label(self, turn: Turn) -> str:
        if not turn.option_id:
            return ""
        return turn.state.pending_labels.get(turn.option_id) or f"[{turn.option_id}]"

    def _transcribe(self, turn: Turn, direction: str, text: str, option: str | None = None) -> None:
        if not text:
            return
        lines = turn.state.transcript
        cut = text[: self.settings.max_text_chars]
        line = {"d": direction, "text": cut, "at": turn.now.isoformat()}
        if option is not None:
            line["option"] = option
        lines.append(line)
        del lines[: max(0, len(lines) - self.settings.transcript_limit)]

    # Small talk: messages made only of greetings or thanks are answered, not filed.

    def _only(self, text: str, lexicon_key: str, extra: Sequence[str] = ()) -> bool:
        rest = self.parser.reduce(text)
        if not rest:
            return False
        words = {*self.catalogs.words(lexicon_key), *extra}
        phrases = sorted({*words, *(self.parser.reduce(w) for w in words)} - {""}, key=len, reverse=True)
        for phrase in phrases:
            rest = re.sub(rf"(?<!\S){re.escape(phrase)}(?!\S)", " ", rest)
        return not rest.strip()

    def is_greeting(self, text: str) -> bool:
        return self._only(text, "greeting", [self.parser.reduce(self.settings.bot_name)])

    def is_thanks(self, text: str) -> bool:
        """Thanks, possibly with a greeting ("ok thanks", "gracias equipo"); a greeting alone ("hola?")
        is not thanks."""
        return self._only(text, "thanks", [*self.catalogs.words("greeting")]) and not self.is_greeting(text)

    def is_vague(self, text: str) -> bool:
        """"nada funciona", "nothing works!!", "hola, tengo un problema": nothing an analyst could route."""
        return self._only(text, "vague", [*self.catalogs.words("greeting")])

    def first_name(self, turn: Turn) -> str | None:
        name = turn.message.sender.display_name if turn.message else None
        return name.split()[0] if name and name.split() else None

    def greet(self, turn: Turn, key: str = "greeting") -> None:
        name = self.first_name(turn)
        bot = self.settings.bot_name
        self.say(turn, f"{key}_named" if name else key, name=name or "", bot=bot)
        turn.state.greeted = True
