"""The intake flow: description (-> a known outage: "is this what you are seeing?" -> child ticket) ->
classification (-> clarifying question) -> diagnostic questions -> knowledge-base articles (-> self-service)
-> ticket.

Each step leaves the state at the next stage and emits the next prompt, so a conversation can be stopped
after any message and resumed later, by this process or another one.
"""

from __future__ import annotations

import logging
from typing import Literal

from dialog.answers import (
    UNKNOWN,
    answer_option_id,
    match_choice,
    parse_yes_no,
    question_options,
)
from dialog.drafts import attachment_dict, build_ticket_draft
from dialog.messages import Option
from dialog.outages import OutageOffer
from dialog.playbooks import Question
from dialog.ports import ArticleSuggestion, Classification, TicketDraft, TicketSummary
from dialog.redirects import is_unknown, redirect, scope_limited
from dialog.state import (
    CLARIFY,
    DESCRIBE,
    KB,
    OUTAGE,
    QUESTION,
    START,
    Draft,
    classification_from_dict,
    classification_to_dict,
)
from dialog.text import fold
from dialog.turn import Deps, Turn
from dialog.understanding import hint, infer, understand

log = logging.getLogger(__name__)

Feedback = Literal["shown", "accepted", "rejected", "reopened"]


class IntakeFlow:
    def __init__(self, deps: Deps) -> None:
        self.d = deps
        self.outages = OutageOffer(deps)

    # -- description ---------------------------------------------------------------------------------

    def begin(self, turn: Turn) -> Draft:
        turn.state.draft = Draft(started_at=turn.now.isoformat())
        turn.state.transcript = []
        return turn.state.draft

    def new_report(self, turn: Turn) -> None:
        st = turn.state
        st.draft, st.paused, st.transcript = None, None, []
        st.stage = DESCRIBE
        self.d.say(turn, "new_report")
        st.pending_options = []

    def cancel(self, turn: Turn) -> bool:
        st = turn.state
        if st.draft is None and st.paused is None:
            return False
        st.draft, st.paused, st.transcript = None, None, []
        st.stage = START
        st.pending_options = []
        return True

    def attach(self, turn: Turn) -> None:
        draft = turn.state.draft
        if draft is not None and turn.message is not None:
            draft.attachments.extend(attachment_dict(a) for a in turn.message.attachments)

    async def on_text(self, turn: Turn) -> None:
        """A (part of a) description, in stage START (no open ticket) or DESCRIBE."""
        st, d = turn.state, self.d
        if st.draft is None or not st.draft.description:
            if d.is_greeting(turn.text) or (not st.greeted and d.is_thanks(turn.text)):
                d.greet(turn)
                st.stage = DESCRIBE
                st.pending_options = []
                return
            if d.is_thanks(turn.text):
                d.say(turn, "you_are_welcome")
                return
        draft = st.draft or self.begin(turn)
        d.record_in(turn)
        if not st.greeted:
            d.greet(turn, "greeting_short")
        draft.description = f"{draft.description}\n{turn.text}".strip()[: d.settings.max_text_chars]
        self.attach(turn)
        known: Classification | None = None
        if self.outages.applies(draft) and not d.is_vague(draft.description):
            # Before anything else is asked: is this one more report of a problem the desk knows about?
            known = await d.classifier.classify(draft.description, turn.lang)
            draft.classification = classification_to_dict(known)
            if await self.outages.find(turn, draft, known):
                st.stage = OUTAGE
                self.prompt(turn)
                return
        await self._described(turn, draft, known)

    async def _described(self, turn: Turn, draft: Draft, known: Classification | None = None) -> None:
        """The description is in: one open question if it is too vague or short, else classify."""
        st, d = turn.state, self.d
        if not draft.more_detail_asked and (d.is_vague(draft.description)
                                            or len(draft.description) < d.settings.min_description_chars):
            # One open question before classifying: "nada funciona" routed by guess is a wrong ticket.
            draft.more_detail_asked = True
            st.stage = DESCRIBE
            key = "ask_vague" if d.is_vague(draft.description) else "ask_more_detail"
            d.ask(turn, d.t(turn, key), kind="message")
            return
        await self.classify(turn, draft, known)

    async def classify(self, turn: Turn, draft: Draft, given: Classification | None = None) -> None:
        """Classify the description (``given``: already classified as it stands); a user who asked for a
        human gets the ticket at once."""
        d = self.d
        result = given or await d.classifier.classify(draft.description, turn.lang)
        draft.classification = classification_to_dict(result)
        if draft.type_source != "user":
            # The bot files incidents and service requests only: a problem or change record is opened by
            # problem/change management, never from a user's report (an MFA lockout is an incident).
            draft.type = "request" if result.type.label == "request" else "incident"
            draft.type_source = "model"
        ranked = self._top_categories(draft)
        best = ranked[0] if ranked else d.settings.fallback_category
        known = result.category.label in d.taxonomy and result.category.label not in draft.rejected
        if draft.human:
            draft.category, draft.category_source = best, "model"
            await self.open_ticket(turn)
        elif not known or result.category.confidence < d.settings.confidence_threshold:
            turn.state.stage = CLARIFY
            draft.invalid = 0
            self.prompt(turn)
        else:
            draft.category, draft.category_source = best, "model"
            await self._start_questions(turn, draft)

    # -- known outage ----------------------------------------------------------------------------------

    async def on_outage(self, turn: Turn) -> None:
        """The answer to "is this what you are seeing?": yes files the report under the known outage and
        asks nothing more; no (or a description of something else) continues the normal intake."""
        st, d = turn.state, self.d
        draft = st.draft
        assert draft is not None
        d.record_in(turn)
        said, more = self.outages.answer(turn)
        if said is None:
            draft.invalid += 1
            if draft.invalid <= d.settings.max_invalid_answers:
                d.say(turn, "hint.yesno")
                self.prompt(turn)
                return
            said = "no"
        known = classification_from_dict(draft.classification) if draft.classification else None
        if more:
            draft.description = f"{draft.description}\n{turn.text}"[: d.settings.max_text_chars]
            known = None
        if said == "yes":
            outage = draft.outage or {}
            summary = await self.outages.join(draft, self.build(turn, draft))
            if summary is not None:
                self._finish(turn)
                st.active_ticket = summary.reference
                text = d.t(turn, "outage_joined", ref=summary.reference,
                           parent=str(outage.get("reference", "")))
                d.emit(turn, text, kind="ticket", ticket=summary.reference)
                await d.tickets.record_outbound(summary.reference, text, turn.requester.channel)
                return
            d.say(turn, "outage_gone")
        elif not more:
            d.say(turn, "outage_declined")
        draft.invalid = 0
        await self._described(turn, draft, known)

    # -- clarifying question -------------------------------------------------------------------------

    def _top_categories(self, draft: Draft) -> list[str]:
        """The classifier's best categories that the taxonomy has and the user has not ruled out."""
        if draft.classification is None:
            return []
        cat = classification_from_dict(draft.classification).category
        ranked = [cat.label, *(label for label, _ in sorted(cat.top, key=lambda x: -x[1]))]
        usable = [c for c in dict.fromkeys(ranked) if c in self.d.taxonomy and c not in draft.rejected
                  and c != self.d.settings.fallback_category]
        return usable[:3]

    def _clarify_options(self, turn: Turn, draft: Draft) -> list[Option]:
        options = [Option(f"cat:{cid}", self.d.taxonomy.name(turn.lang, cid))
                   for cid in self._top_categories(draft)]
        return [*options, Option("cat:other", self.d.t(turn, "option.other"))]

    async def on_clarify(self, turn: Turn) -> None:
        st, d = turn.state, self.d
        draft = st.draft
        assert draft is not None
        d.record_in(turn)
        chosen: str | None = None
        if turn.option_id and turn.option_id.startswith("cat:"):
            chosen = turn.option_id[4:]
        elif turn.text:
            top = self._top_categories(draft)
            candidates = [(cid, [d.taxonomy.name(lang, cid) for lang in d.catalogs.languages]) for cid in top]
            other = [d.catalogs.t(lang, "option.other") for lang in d.catalogs.languages]
            chosen = match_choice(turn.text, [*candidates, ("other", [*other, *d.catalogs.words("other")])])
            if chosen is None and is_unknown(d, turn.text):
                chosen = "other"  # "no sé": an agent sorts it
            if chosen is None:
                named = [c for c in d.taxonomy.named_in(turn.text) if c not in draft.rejected]
                chosen = named[0] if len(named) == 1 else None
            if chosen is None and len(turn.text) >= d.settings.min_description_chars:
                # Not an option but more detail ("it's the VPN on my home laptop"): never a trap, use it.
                draft.description = f"{draft.description}\n{turn.text}"[: d.settings.max_text_chars]
                await self.classify(turn, draft)
                return
        if chosen is None:
            draft.invalid += 1
            if draft.invalid <= d.settings.max_invalid_answers:
                d.say(turn, "hint.choice")
                self.prompt(turn)
                return
            chosen = (self._top_categories(draft) or [d.settings.fallback_category])[0]
        if chosen == "other" or chosen not in d.taxonomy:
            draft.category, draft.category_source = d.settings.fallback_category, "fallback"
        else:
            draft.category, draft.category_source = chosen, "user"
        await self._start_questions(turn, draft)

    # -- diagnostic questions ------------------------------------------------------------------------

    async def _start_questions(self, turn: Turn, draft: Draft) -> None:
        """Queue the questions the description does not already answer (answers kept from an earlier
        branch still count)."""
        assert draft.category is not None
        folded = fold(draft.description)
        draft.queue = []
        for question in self.d.questions(draft):
            if question.id in draft.answers:
                continue
            value = infer(self.d, question, folded, turn.now.date(), turn.lang)
            if value is not None:
                draft.answers[question.id] = value
                draft.inferred.append(question.id)
            else:
                draft.queue.append(question.id)
        await self._next(turn, draft)

    async def _next(self, turn: Turn, draft: Draft) -> None:
        while draft.queue:
            qid = draft.queue.pop(0)
            question = self.d.question(draft, qid)
            if qid in draft.answers or question is None or not question.applies(draft.answers):
                continue
            draft.question, draft.invalid = qid, 0
            turn.state.stage = QUESTION
            self.prompt(turn)
            return
        draft.question = None
        await self._after_questions(turn, draft)

    def _question(self, draft: Draft) -> Question | None:
        if draft.category is None or draft.question is None:
            return None
        return self.d.question(draft, draft.question)

    async def on_answer(self, turn: Turn) -> None:
        d = self.d
        draft = turn.state.draft
        assert draft is not None
        question = self._question(draft)
        if question is None:  # the playbook changed under a waiting conversation
            await self._next(turn, draft)
            return
        d.record_in(turn)
        if not turn.option_id and await self._redirected(turn, draft):
            return
        value = understand(d, turn, question)
        if question.field == "impact" and draft.scope_asked and value not in ("individual", "team",
                                                                             "organization"):
            value = "team"  # "unos 5", "the people on that floor": a group, not the company
        if question.field == "impact" and value == "organization" and not turn.option_id \
                and scope_limited(d, turn.text):
            value = None if not draft.scope_asked else "team"  # never guess upwards
            if value is None:
                draft.scope_asked = True
                self._ask_scope(turn, question)
                return
        if value is None:
            draft.invalid += 1
            if draft.invalid <= d.settings.max_invalid_answers:
                hint(d, turn, question)
                self.prompt(turn)
                return
            value = UNKNOWN
            d.say(turn, "moving_on")
        draft.answers[question.id] = value
        await self._next(turn, draft)

    def _ask_scope(self, turn: Turn, question: Question) -> None:
        """"Everyone in that room": how many people? Options from narrow to wide."""
        d = self.d
        options = [Option(answer_option_id(question.id, v), d.t(turn, f"impact.{v}"))
                   for v in ("team", "organization", "individual")]
        d.ask(turn, d.t(turn, "impact_ambiguous"), options)

    async def _redirected(self, turn: Turn, draft: Draft) -> bool:
        """The answer contradicts the question's premise: switch branch instead of repeating it."""
        d = self.d
        found = redirect(d, draft, turn.text)
        if found is None:
            return False
        draft.description = f"{draft.description}\n{turn.text}"[: d.settings.max_text_chars]
        if found.kind in ("request", "incident"):
            draft.type, draft.type_source = found.kind, "user"
            d.say(turn, f"switched_to_{found.kind}")
            await self._start_questions(turn, draft)
            return True
        old = draft.category
        assert old is not None
        draft.rejected.append(old)
        draft.answers = {k: v for k, v in draft.answers.items() if self._common(k)}
        if found.category is not None:
            draft.category, draft.category_source = found.category, "user"
            d.say(turn, "category_changed", category=d.taxonomy.name(turn.lang, found.category))
            await self._start_questions(turn, draft)
            return True
        draft.category = None
        result = await d.classifier.classify(draft.description, turn.lang)
        draft.classification = classification_to_dict(result)
        turn.state.stage = CLARIFY
        draft.invalid = 0
        d.emit(turn, d.t(turn, "category_wrong", old=d.taxonomy.name(turn.lang, old)))
        self.prompt(turn)
        return True

    def _common(self, qid: str) -> bool:
        return any(q.id == qid for q in self.d.playbooks.common.questions)

    # -- knowledge base ------------------------------------------------------------------------------

    async def _after_questions(self, turn: Turn, draft: Draft) -> None:
        d = self.d
        if draft.human:
            await self.open_ticket(turn)
            return
        k = d.settings.kb_suggestions
        try:
            found = (await d.kb.suggest(draft.description, turn.lang, draft.category, k))[:k] if k > 0 else []
        except Exception:  # suggestions are a bonus: a broken index must not block the ticket
            log.exception("knowledge-base search failed; opening the ticket without suggestions")
            found = []
        if not found:
            await self.open_ticket(turn)
            return
        best, others = found[0], found[1:]
        # Only the article whose content is delivered can be accepted: the others are links.
        draft.articles = [{"id": best.article_id, "title": best.title}]
        await self._feedback(best.article_id, "shown", turn)
        d.emit(turn, self._article_markdown(turn, best, others), kind="article")
        turn.state.stage = KB
        draft.invalid = 0
        self.prompt(turn)

    async def _feedback(self, article_id: str, event: Feedback, turn: Turn) -> None:
        try:
            await self.d.kb.record_feedback(article_id, event, turn.requester.key)
        except Exception:
            log.exception("could not record %s feedback for article %s", event, article_id)

    def _article_markdown(self, turn: Turn, best: ArticleSuggestion, others: list[ArticleSuggestion]) -> str:
        """The best article with its steps, as Markdown (kind "article": each channel renders it its own
        way, plain-text channels by the shared fallback), then the other matches as links."""
        d = self.d
        parts = [d.t(turn, "kb_intro"), f"**{best.title}**", (best.body or best.summary).strip()]
        if best.url:
            parts.append(f"[{d.t(turn, 'kb_open')}]({best.url})")
        if others:
            links = [f"- [{a.title}]({a.url})" if a.url else f"- {a.title}" for a in others]
            parts.append("\n".join([f"_{d.t(turn, 'kb_others')}_", *links]))
        return "\n\n".join(p for p in parts if p)

    def _kb_options(self, turn: Turn, draft: Draft) -> list[Option]:
        return [Option("kb:yes:1", self.d.t(turn, "kb.yes")), Option("kb:no", self.d.t(turn, "kb.no"))]

    async def on_kb(self, turn: Turn) -> None:
        d = self.d
        draft = turn.state.draft
        assert draft is not None
        d.record_in(turn)
        choice: str | None = turn.option_id
        if choice is None:
            options = self._kb_options(turn, draft)
            choice = match_choice(turn.text, [(o.id, [o.label]) for o in options])
            yes_no = parse_yes_no(turn.text, d.catalogs)
            if yes_no is not None:
                choice = "kb:yes:1" if yes_no == "yes" else "kb:no"
            elif choice is None and len(turn.text) >= d.settings.min_description_chars:
                # "I tried that already, the VPN still drops": not solved, and worth keeping.
                choice = "kb:no"
                draft.description = f"{draft.description}\n{turn.text}"[: d.settings.max_text_chars]
        if choice is None or not (choice == "kb:no" or choice.startswith("kb:yes:")):
            draft.invalid += 1
            if draft.invalid <= d.settings.max_invalid_answers:
                d.say(turn, "hint.kb")
                self.prompt(turn)
                return
            choice = "kb:no"
        if choice == "kb:no":
            for article in draft.articles:
                await self._feedback(article["id"], "rejected", turn)
            await self.open_ticket(turn)
            return
        index = int(choice.rsplit(":", 1)[1]) - 1
        article_id = draft.articles[min(max(index, 0), len(draft.articles) - 1)]["id"]
        summary = await d.tickets.record_self_service(self.build(turn, draft, article_id), article_id)
        await self._feedback(article_id, "accepted", turn)
        self._finish(turn)
        d.say(turn, "kb_thanks", ref=summary.reference, ticket=summary.reference)

    # -- ticket --------------------------------------------------------------------------------------

    def build(self, turn: Turn, draft: Draft, article_id: str | None = None) -> TicketDraft:
        return build_ticket_draft(self.d, turn, draft, article_id)

    async def open_ticket(self, turn: Turn) -> TicketSummary:
        d, st = self.d, turn.state
        draft = st.draft
        assert draft is not None
        summary = await d.tickets.create_ticket(self.build(turn, draft))
        human = draft.human
        self._finish(turn)
        st.active_ticket = summary.reference
        parts = [d.t(turn, "ticket_created", ref=summary.reference,
                     category=d.taxonomy.name(turn.lang, summary.category),
                     priority=d.catalogs.priority_name(turn.lang, summary.priority))]
        due = summary.resolution_due
        if due is not None:
            parts.append(d.t(turn, "ticket_due",
                             due=d.catalogs.format_datetime(turn.lang, due, d.settings.timezone),
                             relative=d.catalogs.format_duration(turn.lang, due - turn.now)))
        if human:
            await d.tickets.request_human(summary.reference, turn.requester)
            d.handoff_requested(turn, summary.reference)
            parts.append(d.t(turn, "human_flagged", ref=summary.reference))
        parts.append(d.t(turn, "ticket_followup_hint", ref=summary.reference))
        d.log_on(turn, summary.reference)
        d.emit(turn, "\n".join(parts), kind="ticket", ticket=summary.reference)
        return summary

    def _finish(self, turn: Turn) -> None:
        st = turn.state
        st.draft, st.transcript, st.paused = None, [], None
        st.stage = START
        st.pending_options = []

    # -- prompts -------------------------------------------------------------------------------------

    def prompt(self, turn: Turn) -> bool:
        """(Re-)ask what the current stage waits for; False when it waits for nothing in particular."""
        d, st = self.d, turn.state
        draft = st.draft
        if st.stage == DESCRIBE:
            d.ask(turn, d.t(turn, "ask_description"), kind="message")
            return True
        if draft is None:
            return False
        if st.stage == CLARIFY:
            d.ask(turn, d.t(turn, "clarify_category"), self._clarify_options(turn, draft))
            return True
        if st.stage == QUESTION and (question := self._question(draft)) is not None:
            d.ask(turn, question.prompt.get(turn.lang) or question.prompt[d.catalogs.default],
                  question_options(question, turn.lang, d.catalogs))
            return True
        if st.stage == KB:
            d.ask(turn, d.t(turn, "kb_ask"), self._kb_options(turn, draft))
            return True
        if st.stage == OUTAGE:
            self.outages.prompt(turn, draft)
            return True
        return False

