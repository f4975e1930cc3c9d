"""Understanding an answer to a playbook question, and what the description already answers.

Answers are understood or kept, never looped on: a canonical value when one matches (an option, yes/no, a
date), "unknown" for "n/a" / "no sé" / "not sure", and otherwise the user's own phrase as given ("el
sábado", "since I changed phones"). Only impact and urgency, which set the priority, get one hint first.
"""

from __future__ import annotations

from datetime import date

from dialog.answers import (
    DATE_TOKENS,
    SKIPPED,
    UNKNOWN,
    date_value,
    parse_answer,
    parse_yes_no,
)
from dialog.playbooks import Question
from dialog.redirects import is_none, is_unknown, scope_limited
from dialog.text import canonical, has_words
from dialog.turn import Deps, Turn


def infer(d: Deps, question: Question, folded: str, today: date, lang: str) -> str | None:
    """The answer the description already gives (a skip_if rule matched), or None: ask."""
    for rule in question.skip_if:
        matched = rule.match(folded)
        if matched is None:
            continue
        if rule.value is None:
            value = parse_answer(question, matched, None, d.catalogs, today, lang)
        elif question.kind == "date" and rule.value in DATE_TOKENS:
            value = date_value(rule.value, today)
        else:
            value = rule.value
        if question.field == "impact" and value == "organization" and scope_limited(d, folded):
            return None  # "everyone in that room": ask how many, don't assume the company
        if value is not None:
            return value
    return None


def understand(d: Deps, turn: Turn, question: Question) -> str | None:
    """The answer as a canonical value, or as given: a free phrase ("el sábado", "since I changed
    phones", "the one by the kitchen", "by Friday") is kept as given, never looped on; a kept answer
    to impact or urgency leaves the priority to its defaults."""
    text = turn.text
    if not turn.option_id and (is_unknown(d, text) or (
            not question.optional and canonical(text) in d.catalogs.words("skip"))):
        return UNKNOWN
    if not turn.option_id and question.kind == "text" and question.optional and is_none(d, text):
        return SKIPPED
    value = parse_answer(question, text, turn.option_id, d.catalogs, turn.now.date(), turn.lang)
    if value is not None or turn.option_id:
        return value
    draft = turn.state.draft
    first_try = draft is not None and draft.invalid == 0
    if question.field and first_try and not question.free_text:
        return None  # impact and urgency set the priority: one hint before keeping a free phrase
    if question.kind == "choice" and first_try and parse_yes_no(text, d.catalogs) is not None \
            and len(canonical(text).split()) <= 2:
        return None  # a bare "yes" to "what happens?" answers nothing: one hint
    if has_words(text) and len(text.strip()) >= 2:
        return text.strip()[: d.settings.max_text_chars]
    return None


def hint(d: Deps, turn: Turn, question: Question) -> None:
    """What a valid answer looks like, before the question is asked again."""
    if question.hint.get(turn.lang):
        d.emit(turn, question.hint[turn.lang])
    elif question.kind == "text":
        d.say(turn, "hint.text", min=question.min_length)
    elif question.kind == "date":
        example = turn.now.date()
        order = d.catalogs.catalog(turn.lang).date_order
        shown = d.t(turn, f"format.date_{order}", day=example.day, month=example.month)
        d.say(turn, "hint.date", example=shown)
    else:
        d.say(turn, f"hint.{question.kind}")
