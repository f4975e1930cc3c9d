"""The conversation engine: one inbound message in, the replies out, the state persisted in between.

State machine (``ConversationState.stage``)::

    START --text--> [greeting: DESCRIBE] --description--> [a known outage matches: OUTAGE --yes--> child
        ticket of the outage --> START with active_ticket; --no--> on with the same description]
        --> [vague or short: one open question, DESCRIBE]
        --> classify (category from the taxonomy; type incident or request, never problem/change)
        confidence < threshold --> CLARIFY --category--> QUESTION*  (the category's playbook, or the
        confidence >= threshold -----------------------> QUESTION*   request questions; only what the
                                                                      description does not answer)
    QUESTION* --"it's a request" / "not about printers"--> request questions / re-classify (CLARIFY)
    QUESTION* --> articles? KB --yes--> self-service record --> START
                            KB --no---> ticket --> START with active_ticket (later messages go to it)
                  no articles ---------> ticket
    idle timeout: CLARIFY/QUESTION/KB/DESCRIBE --> RESUME (continue | start over);
                  START with a ticket and a new message --> ROUTE (add to ticket | new problem)
    START with a ticket and a message that looks like another problem --> ROUTE (topic shift)
    notify(resolved) sets ``csat``: the next message is the 1-5 rating, then an optional comment.
    "human" --> the ticket is flagged, ``handoff`` waiting (the bot still answers);
    notify(handoff_taken) --> ``handoff`` live: every message goes to the ticket, the bot says NOTHING
    (checked first in ``handle``, before commands, buttons and notices) until notify(handoff_released),
    the ticket's resolution or closure; notify(handoff_timed_out) tells a waiting user once.

Commands (help, status, new, cancel, close, human, language) are recognised in every stage. The engine is
deterministic for a given state, message and classifier/KB answers; time comes from the injected clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from dialog.aftercare import Aftercare
from dialog.choice import resolve_choice
from dialog.commands import Command, CommandParser
from dialog.i18n import Catalogs
from dialog.intake import IntakeFlow
from dialog.messages import InboundMessage, Option, Reply, utcnow
from dialog.playbooks import PlaybookError, Playbooks
from dialog.ports import (
    Classifier,
    ConversationStore,
    KnowledgeBase,
    KnownOutages,
    LanguageDetector,
    TicketEvent,
    TicketService,
)
from dialog.settings import EngineSettings
from dialog.state import (
    CLARIFY,
    DESCRIBE,
    KB,
    OUTAGE,
    QUESTION,
    RESUME,
    ROUTE,
    START,
    ConversationState,
    reply_from_dict,
    reply_to_dict,
)
from dialog.taxonomy import Taxonomy
from dialog.text import contains_phrase, has_words, sanitize
from dialog.turn import Deps, Turn

__all__ = ["DialogEngine", "EngineSettings", "TicketEvent"]

log = logging.getLogger(__name__)



class DialogEngine:
    def __init__(self, classifier: Classifier, kb: KnowledgeBase, tickets: TicketService,
                 store: ConversationStore, detector: LanguageDetector, settings: EngineSettings | None = None,
                 catalogs: Catalogs | None = None, playbooks: Playbooks | None = None,
                 clock: Callable[[], datetime] | None = None, taxonomy: Taxonomy | None = None,
                 outages: KnownOutages | None = None) -> None:
        """``outages``: the desk's known outages, offered to a new report before anything is asked
        (None: never offered)."""
        self.settings = settings or EngineSettings()
        self.catalogs = catalogs or Catalogs.load(self.settings.locales_dir,
                                                  default=self.settings.default_language)
        self.playbooks = playbooks or Playbooks.load(self.settings.playbooks_dir, self.catalogs.languages)
        self.taxonomy = taxonomy or Taxonomy.load(self.settings.taxonomy_file, self.catalogs.languages)
        missing = self.playbooks.missing({c.id: c.playbook for c in self.taxonomy.categories})
        if missing:
            raise PlaybookError(f"{self.taxonomy.source}: " + "; ".join(missing))
        if self.settings.fallback_category not in self.taxonomy:
            # A preset without "other" (the support queues): its last category takes "something else".
            log.warning("%s has no category %r; using %r for 'something else'", self.taxonomy.source,
                        self.settings.fallback_category, self.taxonomy.ids[-1])
            self.settings = replace(self.settings, fallback_category=self.taxonomy.ids[-1])
        self._store = store
        self._detector = detector
        self._clock = clock or utcnow
        self._deps = Deps(classifier, kb, tickets, self.catalogs, self.playbooks, self.settings,
                          CommandParser(self.catalogs), self.taxonomy, outages)
        self._intake = IntakeFlow(self._deps)
        self._care = Aftercare(self._deps, self._intake)

    # -- entry points --------------------------------------------------------------------------------

    async def handle(self, message: InboundMessage) -> list[Reply]:
        """Process one inbound message. A redelivered message (same idempotency key) gets the replies
        stored the first time and changes nothing."""
        message_key = message.idempotency_key
        if message_key is not None:
            stored = await self._store.processed(message_key)
            if stored is not None:
                return [reply_from_dict(r) for r in stored]
        state = ConversationState.from_dict(await self._store.load(message.conversation_key))
        snapshot = state.to_dict()
        now = self._clock()
        text, truncated = sanitize(message.text, self.settings.max_text_chars)
        if state.handoff is not None and state.handoff.live and await self._to_agent(state, message, text):
            # An agent has the conversation: the bot says nothing at all, whatever the message (commands,
            # buttons, files, noise); the message is on the ticket, where the agent reads it.
            state.updated_at = now.isoformat()
            await self._store.save(message.conversation_key, state.to_dict(), message_key, [])
            return []
        about = state.active_ticket
        turn = Turn(state, state.language or self.settings.default_language, now, message, text)
        await self._dispatch(turn, truncated)
        await self._log_exchange(turn, about)
        if turn.keep_state:
            saved = snapshot
        else:
            state.updated_at = now.isoformat()
            saved = state.to_dict()
        await self._store.save(message.conversation_key, saved, message_key,
                               [reply_to_dict(r) for r in turn.replies])
        return turn.replies

    async def notify(self, conversation_key: str, event: TicketEvent,
                     message_key: str | None = None) -> list[Reply]:
        """An agent replied, changed the status or resolved a ticket: the messages to push to the user, in
        their language. ``resolved`` also starts the CSAT survey. User idle time is not reset.
        ``message_key`` (the event's key in the inbox) saves the replies with the state, as for messages."""
        if message_key is not None:
            stored = await self._store.processed(message_key)
            if stored is not None:
                return [reply_from_dict(r) for r in stored]
        state = ConversationState.from_dict(await self._store.load(conversation_key))
        turn = Turn(state, state.language or self.settings.default_language, self._clock())
        self._care.notify(turn, event)
        await self._store.save(conversation_key, state.to_dict(), message_key,
                               [reply_to_dict(r) for r in turn.replies])
        return turn.replies

    async def _log_exchange(self, turn: Turn, about: str | None) -> None:
        """The desk sees the conversation about a ticket on the ticket's log: the replies of a turn that
        appended to, filed or flagged a ticket; and a whole exchange the bot handled itself (thanks, a
        command) while the conversation stays on its ticket. Not a message that starts something else (a
        new report, a topic shift): that belongs to what it starts."""
        st, message = turn.state, turn.message
        assert message is not None
        tickets = self._deps.tickets
        if turn.log_ticket is None and about is not None and st.active_ticket == about and st.draft is None \
                and st.stage == START and turn.replies and not turn.keep_state:
            shown = turn.text or (st.pending_labels.get(message.option_id or "") if message.option_id else "")
            if shown or message.option_id:
                await tickets.record_inbound(about, message.sender, shown or f"[{message.option_id}]")
            turn.log_ticket, turn.log_from = about, 0
        if turn.log_ticket is not None:
            for reply in turn.replies[turn.log_from:]:
                await tickets.record_outbound(turn.log_ticket, reply.text, message.channel)

    async def _to_agent(self, state: ConversationState, message: InboundMessage, text: str) -> bool:
        """A message during a live handoff goes to the ticket (message_in) and nowhere else. False when the
        ticket no longer takes messages from this sender (closed, merged away): the handoff is over and the
        bot answers the message."""
        assert state.handoff is not None
        ref = state.handoff.ref
        if message.option_id and not text:  # a button pressed before the agent came: what the user saw
            text = state.pending_labels.get(message.option_id) or f"[{message.option_id}]"
        lost = [str(n) for key in ("attachments_too_large", "attachments_failed")
                for n in message.extras.get(key) or ()]
        if lost:
            text = (text + "\n" if text else "") + "[" + ", ".join(lost) + ": not received]"
        if not text and not message.attachments:
            return True
        added = await self._deps.tickets.add_message(ref, message.sender, text, message.attachments)
        if added is None or added.status in ("resolved", "closed", "self_service_resolved"):
            log.warning("live handoff on %s ended: the ticket no longer takes this sender's messages", ref)
            state.handoff = None
            return False
        return True

    # -- dispatch ------------------------------------------------------------------------------------

    def _attachment_notices(self, turn: Turn) -> None:
        """Connectors do not store files over the size cap (or that failed to download); tell the user
        which ones, so nobody believes an agent has seen them."""
        extras = turn.message.extras if turn.message is not None else {}
        too_large = [str(n) for n in extras.get("attachments_too_large") or ()]
        failed = [str(n) for n in extras.get("attachments_failed") or ()]
        if too_large:
            limit = int(extras.get("max_attachment_bytes") or 0)
            self._deps.say(turn, "attachment_too_large", names=", ".join(too_large),
                           limit_mb=f"{limit / 1_048_576:.0f}" if limit else "?", kind="notice")
        if failed:
            self._deps.say(turn, "attachment_failed", names=", ".join(failed), kind="notice")
        left_out = int(extras.get("attachments_over_count") or 0)
        if left_out:
            self._deps.say(turn, "attachment_too_many", count=left_out,
                           limit=int(extras.get("max_attachments") or 0), kind="notice")

    async def _dispatch(self, turn: Turn, truncated: bool) -> None:
        st, d = turn.state, self._deps
        if turn.message is not None and not turn.option_id and st.pending_options and turn.text:
            chosen = resolve_choice(turn.text, st.pending_options)
            if chosen is not None:  # "2" or "the second one" answers the pending options on any channel
                turn.message = replace(turn.message, option_id=chosen, text="")
                turn.text = ""
        option = turn.option_id
        command = d.parser.from_option(option) if option else d.parser.parse(turn.text) if turn.text else None
        if command is not None and command.name == "new" and st.stage in (RESUME, ROUTE) and not option:
            command = None  # "start over" / "new problem" answers the pending resume/route question
        self._choose_language(turn, command)
        if truncated:
            d.say(turn, "truncated", limit=self.settings.max_text_chars, kind="notice")
        self._attachment_notices(turn)
        if command is not None:
            await self._command(turn, command)
            return
        if option and option not in st.pending_options:
            self._stale_option(turn)
            return
        if not turn.text and not option:
            if turn.message is not None and turn.message.attachments:
                await self._care.attachments_only(turn)
                return
            self._refuse(turn, "empty_message")
            return
        if not option and not has_words(turn.text) and not self._accepts_symbols(st):
            self._refuse(turn, "no_words")
            return
        timed_out = self._timed_out(turn)
        st.pending_options = []
        if st.csat is not None and await self._care.on_csat(turn):
            return
        if timed_out and self._care.pause(turn):
            return
        await self._by_stage(turn)

    async def _by_stage(self, turn: Turn) -> None:
        st = turn.state
        if st.stage == RESUME:
            await self._care.on_resume(turn)
        elif st.stage == ROUTE:
            await self._care.on_route(turn)
        elif st.stage == CLARIFY and st.draft is not None:
            await self._intake.on_clarify(turn)
        elif st.stage == QUESTION and st.draft is not None:
            await self._intake.on_answer(turn)
        elif st.stage == KB and st.draft is not None:
            await self._intake.on_kb(turn)
        elif st.stage == OUTAGE and st.draft is not None:
            await self._intake.on_outage(turn)
        else:
            starting = st.draft is None or not st.draft.description
            if starting and await self._care.quoted_reference(turn):
                return
            if st.stage == START and st.active_ticket and st.draft is None:
                await self._care.follow_up(turn)
            else:
                await self._intake.on_text(turn)

    def _accepts_symbols(self, st: ConversationState) -> bool:
        """Emoji alone are an answer only where they can mean one: a rating, a comment, yes/no."""
        if st.csat is not None or st.stage in (KB, OUTAGE):
            return True
        if st.stage == QUESTION and st.draft and st.draft.category and st.draft.question:
            question = self._deps.question(st.draft, st.draft.question)
            return question is not None and question.kind == "yesno"
        return False

    def _timed_out(self, turn: Turn) -> bool:
        last = turn.state.updated()
        if last is None or turn.now - last <= self.settings.idle_timeout:
            return False
        # A late press of one of the pending buttons simply continues.
        return not (turn.option_id and turn.option_id in turn.state.pending_options)

    def _refuse(self, turn: Turn, key: str) -> None:
        """Polite answer to input we cannot use; nothing about the conversation changes."""
        turn.keep_state = True
        self._deps.say(turn, key)
        self._reprompt(turn)

    def _stale_option(self, turn: Turn) -> None:
        turn.keep_state = True
        if turn.state.pending_options:
            self._deps.say(turn, "option_invalid")
            self._reprompt(turn)
        else:
            self._deps.say(turn, "option_expired")

    def _reprompt(self, turn: Turn) -> None:
        if turn.state.csat is not None:
            self._care.csat_prompt(turn)
        elif not self._care.prompt(turn):
            self._intake.prompt(turn)

    # -- commands ------------------------------------------------------------------------------------

    async def _command(self, turn: Turn, command: Command) -> None:
        st, d = turn.state, self._deps
        name = command.name
        if name in ("help", "start", "unknown"):
            if name == "start":
                d.greet(turn)
            else:
                d.say(turn, "help" if name == "help" else "unknown_command",
                      options=[Option("cmd:new", d.t(turn, "option.new")),
                               Option("cmd:status", d.t(turn, "option.status")),
                               Option("cmd:human", d.t(turn, "option.human"))])
            self._reprompt(turn)
        elif name == "status":
            await self._care.status(turn, command.arg)
            self._reprompt(turn)
        elif name == "close":
            await self._care.close(turn, command.arg)
            if command.arg:
                self._reprompt(turn)
        elif name == "new":
            st.csat = None
            self._intake.new_report(turn)
        elif name == "cancel":
            if self._intake.cancel(turn):
                d.say(turn, "cancelled")
            elif st.csat is not None:
                st.csat = None
                st.pending_options = []
                d.say(turn, "csat_skipped")
            else:
                d.say(turn, "nothing_to_cancel")
        elif name == "human":
            st.pending_options = []
            await self._care.human(turn)
        elif name == "reopen":
            await self._care.reopen(turn, command.arg)
        elif name == "lang":
            self._switch_language(turn, command.arg)

    # -- language ------------------------------------------------------------------------------------

    def _choose_language(self, turn: Turn, command: Command | None) -> None:
        """Detected language of free text; else the language of a recognised phrase, the channel's locale
        hint, or the default. A description switches the language unless the user chose one; later, any
        *clear* message (several words, confidently detected) does, even after a choice: the conversation
        follows the user's latest clear message ("english please", then a full sentence in Portuguese).
        Answers to free-text questions (an error message copied in English) never switch."""
        st, msg = turn.state, turn.message
        free_text = command is None and not turn.option_id and has_words(turn.text) and st.csat is None
        describing = st.stage == DESCRIBE or (st.stage == START and not st.active_ticket)
        hint = self._hint(msg)
        if free_text:
            code, confidence = self._detector.detect(turn.text)
            clear = (code in self.catalogs.languages and confidence >= self.settings.clear_language_confidence
                     and len(turn.text.split()) >= self.settings.clear_language_words
                     and not self._answering_text(st))
            may_switch = st.language is None or (not st.language_locked and describing) or clear
            if may_switch and code is not None and code in self.catalogs.languages:
                if clear and st.language_locked and code != st.language:
                    st.language_locked = False
                st.language = code
            elif may_switch and code is not None and code not in self.catalogs.languages:
                fallback = st.language or hint or self.settings.default_language
                st.language = fallback
                if not st.unsupported_noticed:
                    st.unsupported_noticed = True
                    self._unsupported_notice(turn, fallback)
        if st.language is None:
            st.language = ((command.language if command else None) or self._lexicon_guess(turn.text)
                           or hint or self.settings.default_language)
        turn.lang = st.language

    def _answering_text(self, st: ConversationState) -> bool:
        if st.stage != QUESTION or st.draft is None or st.draft.question is None:
            return False
        question = self._deps.question(st.draft, st.draft.question)
        return question is not None and question.kind == "text"

    def _hint(self, message: InboundMessage | None) -> str | None:
        if message is None or not message.locale_hint:
            return None
        code = message.locale_hint.replace("_", "-").split("-")[0].lower()
        return code if code in self.catalogs.languages else None

    def _lexicon_guess(self, text: str) -> str | None:
        """The language of greetings/yes/no/thanks words ("hola", "oi", "sim") too short for the detector."""
        reduced = self._deps.parser.reduce(text)
        scores: dict[str, int] = {}
        for key in ("greeting", "thanks", "yes", "no", "vague"):
            for lang, phrase in self.catalogs.phrases(key):
                if contains_phrase(reduced, phrase):
                    scores[lang] = max(scores.get(lang, 0), len(phrase))
        if not scores:
            return None
        best = max(scores.values())
        winners = [lang for lang, score in scores.items() if score == best]
        return winners[0] if len(winners) == 1 else None

    def _unsupported_notice(self, turn: Turn, continue_in: str) -> None:
        parts = [self.catalogs.t(lang, "unsupported_language",
                                 language=self.catalogs.t(lang, f"language_name.{continue_in}"))
                 for lang in self.catalogs.languages]
        self._deps.emit(turn, "\n\n".join(parts), kind="notice")

    def _switch_language(self, turn: Turn, code: str | None) -> None:
        st, d = turn.state, self._deps
        if code is None or code not in self.catalogs.languages:
            self._unsupported_notice(turn, turn.lang)
            self._reprompt(turn)
            return
        st.language, st.language_locked, turn.lang = code, True, code
        d.say(turn, "language_switched")
        if st.stage == START and st.csat is None and st.draft is None and not st.active_ticket:
            st.stage = DESCRIBE
        self._reprompt(turn)

    # -- administration ------------------------------------------------------------------------------

    def reload_definitions(self) -> tuple[int, int]:
        """Read the taxonomy file and the playbooks again (an admin edited them) and use them from the next
        message on; returns (categories, playbooks). Everything is loaded and checked before anything is
        swapped: a broken file raises (TaxonomyError, PlaybookError, OSError) and the old ones stay.
        A conversation whose draft names a category the new taxonomy lacks is asked again, as after any
        edit of the file between two messages."""
        playbooks = Playbooks.load(self.settings.playbooks_dir, self.catalogs.languages)
        taxonomy = Taxonomy.load(self.settings.taxonomy_file, self.catalogs.languages)
        missing = playbooks.missing({c.id: c.playbook for c in taxonomy.categories})
        if missing:
            raise PlaybookError(f"{taxonomy.source}: " + "; ".join(missing))
        settings = self.settings
        if settings.fallback_category not in taxonomy:
            settings = replace(settings, fallback_category=taxonomy.ids[-1])
        deps = replace(self._deps, playbooks=playbooks, taxonomy=taxonomy, settings=settings)
        intake = IntakeFlow(deps)
        care = Aftercare(deps, intake)
        # One synchronous swap (no await in between): a turn already running keeps the objects it holds.
        self.playbooks, self.taxonomy, self.settings = playbooks, taxonomy, settings
        self._deps, self._intake, self._care = deps, intake, care
        return len(taxonomy.categories), len(playbooks.categories)
