"""After the ticket: follow-up messages, the user's commands about tickets, agent notifications, CSAT, and
picking up a conversation after the idle timeout.
"""

from __future__ import annotations

import logging

from dialog.answers import match_choice, parse_rating, parse_yes_no
from dialog.intake import IntakeFlow
from dialog.messages import Option
from dialog.ports import TicketEvent, TicketSummary
from dialog.state import DESCRIBE, HANDOFF_LIVE, IN_PROGRESS, RESUME, ROUTE, START, Handoff
from dialog.text import canonical, has_words, references, snippet
from dialog.turn import CLOSED_STATUSES, Deps, Turn

log = logging.getLogger(__name__)

class Aftercare:
    def __init__(self, deps: Deps, intake: IntakeFlow) -> None:
        self.d = deps
        self.intake = intake

    # -- messages about tickets ----------------------------------------------------------------------

    async def follow_up(self, turn: Turn) -> None:
        """A message while a ticket is active: it goes to the ticket (small talk is just answered)."""
        st, d = turn.state, self.d
        ref = st.active_ticket
        assert ref is not None
        if turn.text and d.is_thanks(turn.text):
            d.say(turn, "you_are_welcome")
            return
        if turn.text and d.is_greeting(turn.text):
            d.greet(turn)
            d.say(turn, "ticket_followup_hint", ref=ref)
            return
        if turn.text and await self._topic_shift(turn, ref):
            return
        await self.add_to_ticket(turn, ref, turn.text)

    async def _topic_shift(self, turn: Turn, ref: str) -> bool:
        """A message that looks like a different problem (another category, or a request after a fault)
        is never appended silently: ask whether it is about the open ticket or a new problem."""
        d, st = self.d, turn.state
        if len(turn.text) < d.settings.min_description_chars or d.is_vague(turn.text):
            return False
        ticket = await d.tickets.get_ticket(ref, turn.requester)
        if ticket is None or ticket.status in CLOSED_STATUSES:
            return False
        result = await d.classifier.classify(turn.text, turn.lang)
        label = result.category.label
        confident = label in d.taxonomy and result.category.confidence >= d.settings.confidence_threshold
        other_category = confident and label != ticket.category and label != d.settings.fallback_category
        other_type = result.type.label == "request" and ticket.type == "incident" \
            and result.type.confidence >= d.settings.confidence_threshold
        if not (other_category or other_type):
            return False
        # "INC-000001 (La impresora de la planta 2 no imprime)": the title without its category prefix.
        shown = ticket.title.split(": ", 1)[-1] if ticket.category else ticket.title
        st.paused = {"stage": START, "text": turn.text, "title": snippet(shown, 50)}
        st.stage = ROUTE
        self.prompt(turn)
        return True

    async def add_to_ticket(self, turn: Turn, ref: str, text: str) -> None:
        d, st = self.d, turn.state
        attachments = turn.message.attachments if turn.message else ()
        summary = await d.tickets.add_message(ref, turn.requester, text, attachments)
        if summary is None or summary.status in CLOSED_STATUSES:
            if st.active_ticket == ref:
                st.active_ticket = None
            if summary is None and st.active_ticket is None and text:
                # The ticket is gone (closed, merged): the message is most likely a new problem.
                d.say(turn, "ticket_no_longer_open", ref=ref)
                turn.text = text
                await self.intake.on_text(turn)
                return
            if summary is None:
                d.say(turn, "ticket_not_found", ref=ref)
                return
        if summary is not None:
            ref = summary.reference  # a merged duplicate's messages land on the surviving ticket
        st.active_ticket = ref
        d.log_on(turn, ref)
        d.say(turn, "ticket_added", ref=ref, ticket=ref)

    async def quoted_reference(self, turn: Turn) -> bool:
        """A message naming one of the user's tickets is added to it; a foreign one is "not found"."""
        refs = references(turn.text)
        if not refs:
            return False
        ref = refs[0]
        if await self.d.tickets.get_ticket(ref, turn.requester) is None:
            self.d.say(turn, "ticket_not_found", ref=ref)
            return True
        await self.add_to_ticket(turn, ref, turn.text)
        return True

    async def attachments_only(self, turn: Turn) -> None:
        st, d = turn.state, self.d
        count = len(turn.message.attachments) if turn.message else 0
        if st.draft is not None and st.stage in IN_PROGRESS:
            self.intake.attach(turn)
            d.say(turn, "attachment_received", count=count)
            self.intake.prompt(turn)
        elif st.active_ticket and st.stage == START:
            await self.add_to_ticket(turn, st.active_ticket, "")
        else:
            self.intake.begin(turn)
            self.intake.attach(turn)
            st.stage = DESCRIBE
            d.say(turn, "attachment_needs_description")
            st.pending_options = []

    # -- commands ------------------------------------------------------------------------------------

    def _line(self, turn: Turn, s: TicketSummary) -> str:
        cats = self.d.catalogs
        return self.d.t(turn, "status_line", ref=s.reference, title=snippet(s.title, 50),
                        status=cats.status_name(turn.lang, s.status),
                        priority=cats.priority_name(turn.lang, s.priority))

    async def status(self, turn: Turn, ref: str | None) -> None:
        d = self.d
        if ref:
            found = await d.tickets.get_ticket(ref, turn.requester)
            if found is None:
                d.say(turn, "ticket_not_found", ref=ref)
            else:
                d.emit(turn, self._line(turn, found), ticket=found.reference)
            return
        tickets = await d.tickets.list_open_tickets(turn.requester)
        if not tickets:
            d.say(turn, "status_none")
            return
        d.emit(turn, "\n".join([d.t(turn, "status_header"), *(self._line(turn, s) for s in tickets)]))

    async def close(self, turn: Turn, ref: str | None) -> None:
        d, st = self.d, turn.state
        if ref is None:
            tickets = await d.tickets.list_open_tickets(turn.requester)
            if not tickets:
                d.say(turn, "close_none")
                return
            options = [Option(f"close:{s.reference}", f"{s.reference} – {snippet(s.title, 40)}")
                       for s in tickets]
            d.say(turn, "close_which", options=options, kind="question")
            return
        closed = await d.tickets.close_ticket(ref, turn.requester)
        if closed is None:
            known = await d.tickets.get_ticket(ref, turn.requester)
            d.say(turn, "close_already" if known and known.status in CLOSED_STATUSES else "ticket_not_found",
                  ref=ref)
            return
        if st.active_ticket == ref:
            st.active_ticket = None
        d.say(turn, "close_done", ref=ref, ticket=ref)

    async def human(self, turn: Turn) -> None:
        """Talk to a human: flag the ticket; mid-report, file what is known now; else ask what it is about."""
        d, st = self.d, turn.state
        draft = st.draft
        if draft is not None and draft.description and st.stage in IN_PROGRESS:
            draft.human = True
            d.record_in(turn)
            if draft.classification is None:
                await self.intake.classify(turn, draft)
            else:
                await self.intake.open_ticket(turn)
            return
        if st.active_ticket:
            flagged = await d.tickets.request_human(st.active_ticket, turn.requester)
            if flagged is not None and flagged.status not in CLOSED_STATUSES:
                d.handoff_requested(turn, flagged.reference)
                d.log_on(turn, flagged.reference)
                d.say(turn, "human_flagged", ref=st.active_ticket, ticket=st.active_ticket)
                return
            st.active_ticket = None
        draft = draft if draft is not None and st.stage in IN_PROGRESS else self.intake.begin(turn)
        draft.human = True
        st.stage = DESCRIBE
        d.say(turn, "human_need_description")
        st.pending_options = []

    async def reopen(self, turn: Turn, ref: str | None) -> None:
        d, st = self.d, turn.state
        ref = ref or (st.csat or {}).get("ref") or st.active_ticket
        if not ref:
            d.say(turn, "reopen_which")
            return
        reopened = await d.tickets.reopen_ticket(ref, turn.requester)
        st.csat = None
        if reopened is None:
            # Not reopened: unknown (or someone else's), still open (nothing to reopen), or closed for good.
            known = await d.tickets.get_ticket(ref, turn.requester)
            if known is None:
                d.say(turn, "ticket_not_found", ref=ref)
            elif known.status not in CLOSED_STATUSES:
                st.active_ticket = known.reference
                d.emit(turn, self._line(turn, known), ticket=known.reference)
            else:
                d.say(turn, "close_already", ref=ref, ticket=ref)
            return
        st.active_ticket = ref
        if reopened.status != "self_service_resolved" and reopened.kb_article_id:
            # The article the user accepted did not really solve it: that counts against its deflection.
            try:
                await d.kb.record_feedback(reopened.kb_article_id, "reopened", turn.requester.key)
            except Exception:
                log.exception("could not record the reopen of article %s", reopened.kb_article_id)
        d.say(turn, "reopened", ref=ref, ticket=ref)

    # -- CSAT ----------------------------------------------------------------------------------------

    def csat_prompt(self, turn: Turn) -> None:
        d, csat = self.d, turn.state.csat
        assert csat is not None
        if csat.get("score") is None:
            options = [Option(f"csat:{n}", d.t(turn, f"csat.option_{n}")) for n in range(1, 6)]
            d.ask(turn, d.t(turn, "csat_ask", ref=csat["ref"]),
                  [*options, Option("csat:reopen", d.t(turn, "csat.not_solved"))], kind="csat")
        else:
            d.ask(turn, d.t(turn, "csat_comment_ask"), [Option("csat:skip", d.t(turn, "option.skip"))],
                  kind="csat")

    async def on_csat(self, turn: Turn) -> bool:
        """Read the message as the rating (then the comment). False: not a rating, handle it normally."""
        d, st = self.d, turn.state
        csat = st.csat
        assert csat is not None
        ref, option = str(csat["ref"]), turn.option_id
        if option == "csat:reopen":
            await self.reopen(turn, ref)
            return True
        if csat.get("score") is None:
            by_button = option is not None and option[5:].isdigit()
            score = int(option[5:]) if option and by_button else parse_rating(turn.text, d.catalogs)
            if score is not None and 1 <= score <= 5:
                await d.tickets.record_csat(ref, turn.requester, score, None)
                csat["score"] = score
                self.csat_prompt(turn)
                return True
            csat["tries"] = int(csat.get("tries", 0)) + 1
            if csat["tries"] <= 1:
                d.say(turn, "csat_invalid")
                self.csat_prompt(turn)
                return True
            st.csat = None  # the user moved on: do not trap them in the survey
            return False
        st.csat = None
        skipped = option == "csat:skip" or canonical(turn.text) in d.catalogs.words("skip")
        if not skipped and turn.text:
            await d.tickets.record_csat(ref, turn.requester, int(csat["score"]), turn.text)
        d.say(turn, "csat_thanks")
        st.pending_options = []
        self.intake.prompt(turn)
        return True

    # -- idle timeout --------------------------------------------------------------------------------

    def pause(self, turn: Turn) -> bool:
        """After the idle timeout: offer to resume the unfinished report, or ask whether a message is for
        the open ticket. The message that woke us is kept and used if the user starts over / files it."""
        st, d = turn.state, self.d
        content = turn.text if has_words(turn.text) and not d.is_greeting(turn.text) \
            and not d.is_thanks(turn.text) else None
        if st.draft is not None and st.draft.description and st.stage in IN_PROGRESS:
            st.paused = {"stage": st.stage, "text": content}
            st.stage = RESUME
        elif st.active_ticket and st.stage == START and content:
            st.paused = {"stage": START, "text": content}
            st.stage = ROUTE
        else:
            return False
        self.prompt(turn)
        return True

    def prompt(self, turn: Turn) -> bool:
        d, st = self.d, turn.state
        if st.stage == RESUME and st.draft is not None:
            title = snippet(st.draft.description or "…", 60)
            d.ask(turn, d.t(turn, "resume_offer", title=title),
                  [Option("resume:continue", d.t(turn, "resume.continue")),
                   Option("resume:restart", d.t(turn, "resume.restart"))])
            return True
        if st.stage == ROUTE and st.active_ticket:
            ref = st.active_ticket
            shift = (st.paused or {}).get("title")
            prompt = d.t(turn, "topic_shift_offer", ref=ref, title=shift) if shift \
                else d.t(turn, "route_offer", ref=ref)
            d.ask(turn, prompt,
                  [Option("route:ticket", d.t(turn, "route.ticket", ref=ref)),
                   Option("route:new", d.t(turn, "route.new"))])
            return True
        return False

    def _pick(self, turn: Turn, prefix: str, keys: tuple[str, str], yes_means: str) -> str | None:
        if turn.option_id:
            return turn.option_id.partition(":")[2]
        d = self.d
        candidates = [(k, [*(d.catalogs.t(lang, f"{prefix}.{k}", ref="") for lang in d.catalogs.languages),
                           *d.catalogs.words(f"{prefix}_{k}")]) for k in keys]
        chosen = match_choice(turn.text, candidates)
        if chosen is None and (yn := parse_yes_no(turn.text, d.catalogs)):
            chosen = yes_means if yn == "yes" else next(k for k in keys if k != yes_means)
        return chosen

    async def on_resume(self, turn: Turn) -> None:
        st, d = turn.state, self.d
        paused = st.paused or {}
        choice = self._pick(turn, "resume", ("continue", "restart"), "continue")
        if choice == "continue" and st.draft is not None:
            st.stage, st.paused = str(paused.get("stage") or DESCRIBE), None
            d.say(turn, "resume_ack")
            self.intake.prompt(turn)
        elif choice in ("continue", "restart"):
            self.intake.cancel(turn)
            text = paused.get("text")
            if text:
                turn.text = str(text)
                await self.intake.on_text(turn)
            else:
                self.intake.new_report(turn)
        else:
            d.say(turn, "hint.choice")
            self.prompt(turn)

    async def on_route(self, turn: Turn) -> None:
        st, d = turn.state, self.d
        text = str((st.paused or {}).get("text") or "")
        choice = self._pick(turn, "route", ("ticket", "new"), "ticket")
        if choice not in ("ticket", "new") or not st.active_ticket:
            d.say(turn, "hint.choice")
            self.prompt(turn)
            return
        ref = st.active_ticket
        st.stage, st.paused, st.pending_options = START, None, []
        turn.text = text
        if choice == "ticket":
            await self.add_to_ticket(turn, ref, text)
        else:
            st.active_ticket = None
            await self.intake.on_text(turn)

    # -- agents' events ------------------------------------------------------------------------------

    def notify(self, turn: Turn, event: TicketEvent) -> None:
        d, st = self.d, turn.state
        ref = event.reference
        ours = st.handoff if st.handoff is not None and st.handoff.ref == ref else None
        if event.kind in ("handoff_taken", "handoff_released", "handoff_timed_out"):
            self._handoff(turn, event, ours)
        elif event.kind == "agent_reply" and ours is not None and ours.live:
            d.emit(turn, event.text or "", ticket=ref)  # live chat: the agent's words, as written
        elif event.kind == "agent_reply":
            d.say(turn, "agent_reply", ref=ref, text=event.text or "", ticket=ref)
            if st.active_ticket is None and st.draft is None:
                st.active_ticket = ref  # the user's answer should reach the agent
        elif event.kind == "status_changed":
            status = event.status or ""
            if status == "pending_user":  # one message that says what is expected, not two near-copies
                d.say(turn, "pending_user", ref=ref, ticket=ref)
                if st.draft is None:
                    st.active_ticket = ref
                return
            d.say(turn, "status_changed", ref=ref, status=d.catalogs.status_name(turn.lang, status),
                  ticket=ref)
            if status in CLOSED_STATUSES and st.active_ticket == ref:
                st.active_ticket = None
            if status in CLOSED_STATUSES and ours is not None:
                st.handoff = None  # nobody chats about a finished ticket
        elif event.kind == "resolved":
            note = f"\n{event.text}" if event.text else ""
            d.emit(turn, d.t(turn, "resolved", ref=ref) + note, kind="notice", ticket=ref)
            if st.active_ticket == ref:
                st.active_ticket = None
            if ours is not None:
                st.handoff = None
            st.csat = {"ref": ref, "score": None, "tries": 0}
            self.csat_prompt(turn)

    def _handoff(self, turn: Turn, event: TicketEvent, ours: Handoff | None) -> None:
        """An agent took the conversation (the bot goes silent: DialogEngine.handle), handed it back, or
        nobody took it in time (told once, with the desk's hours). Events about a handoff the conversation
        no longer has (the ticket was resolved meanwhile) say nothing."""
        d, st, ref = self.d, turn.state, event.reference
        if event.kind == "handoff_taken":
            name = event.author or d.t(turn, "handoff_someone")
            st.handoff = Handoff(HANDOFF_LIVE, ref, name, turn.now.isoformat())
            st.pending_options = []
            if st.draft is None:
                st.active_ticket = ref
            d.say(turn, "handoff_joined", name=name, ref=ref, ticket=ref)
        elif event.kind == "handoff_released":
            if ours is None:
                return
            st.handoff = None
            d.say(turn, "handoff_back", ref=ref, ticket=ref)
            if st.csat is not None:
                self.csat_prompt(turn)
            elif not self.prompt(turn):
                self.intake.prompt(turn)  # the question a report in progress was waiting for
        elif ours is not None and not ours.live and not ours.timeout_noticed:
            ours.timeout_noticed = True
            d.say(turn, "handoff_timeout", ref=ref, hours=d.desk_hours(turn.lang), ticket=ref)
