"""Understanding answers: options by id, number or words (in any of the languages), yes/no, dates, ratings.

Every parser returns a canonical value (an option value, "yes"/"no", an ISO date ...) or None when the
answer is not understood; the engine then repeats the question with a hint. Nothing here has side effects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache

from dialog.i18n import Catalogs
from dialog.messages import Option
from dialog.playbooks import Question
from dialog.text import canonical, contains_phrase, fold, has_words

ANSWER_PREFIX = "ans"
DATE_TOKENS = ("today", "yesterday", "this_week", "earlier")
SKIPPED = "skipped"
UNKNOWN = "unknown"

_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_NUM_DATE = re.compile(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?\b")


def answer_option_id(qid: str, value: str) -> str:
    return f"{ANSWER_PREFIX}:{qid}:{value}"


def option_value(option_id: str, qid: str) -> str | None:
    prefix = f"{ANSWER_PREFIX}:{qid}:"
    return option_id[len(prefix):] if option_id.startswith(prefix) else None


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(fold(pattern))


def match_choice(text: str, candidates: Sequence[tuple[str, Sequence[str]]]) -> str | None:
    """The value whose phrases best match ``text``: by number (1-based), exact phrase, contained phrase
    (the longest wins), or the answer being part of exactly one phrase. Ambiguity gives None."""
    canon = canonical(text)
    if not canon:
        return None
    token = canon.split()[0] if len(canon.split()) == 1 else ""
    if token.isdigit():
        idx = int(token)
        return candidates[idx - 1][0] if 1 <= idx <= len(candidates) else None
    best: dict[str, float] = {}
    for value, phrases in candidates:
        score = 0.0
        for raw in (value.replace("_", " "), *phrases):
            phrase = canonical(raw)
            if not phrase:
                continue
            if canon == phrase:
                score = max(score, 1000.0)
            elif contains_phrase(canon, phrase):
                score = max(score, 100.0 + len(phrase))
            elif len(canon) >= 3 and contains_phrase(phrase, canon):
                score = max(score, 1.0)
        if score:
            best[value] = max(best.get(value, 0.0), score)
    if not best:
        return None
    top = max(best.values())
    winners = [v for v, s in best.items() if s == top]
    return winners[0] if len(winners) == 1 else None


def parse_yes_no(text: str, catalogs: Catalogs) -> str | None:
    """"yes"/"no" from words of any catalog ("sí, gracias", "não", "nope", 👍); the longest phrase wins."""
    canon = canonical(text)
    hits: list[tuple[int, str]] = []
    for value in ("yes", "no"):
        for phrase in catalogs.words(value):
            if canon == phrase or canon.startswith(phrase + " "):
                hits.append((len(phrase), value))
    if not hits:
        return None
    hits.sort(reverse=True)
    if len(hits) > 1 and hits[0][0] == hits[1][0] and hits[0][1] != hits[1][1]:
        return None
    return hits[0][1]


def _valid_day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def date_value(token: str, today: date) -> str:
    """Canonical value of a quick date option: an ISO date where exact, else a coarse bucket."""
    if token == "today":
        return today.isoformat()
    if token == "yesterday":
        return (today - timedelta(days=1)).isoformat()
    return "this_week" if token == "this_week" else "more_than_a_week"


def parse_date(text: str, catalogs: Catalogs, today: date, lang: str) -> str | None:
    """Since when: ISO or numeric dates (in the user's order), "3 days ago", "hace 2 semanas", "ontem" ..."""
    found: date | None = None
    if m := _ISO_DATE.search(text):
        found = _valid_day(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if found is None:
            return None
    elif m := _NUM_DATE.search(text):
        a, b = int(m.group(1)), int(m.group(2))
        day, month = (b, a) if catalogs.catalog(lang).date_order == "mdy" else (a, b)
        year = int(m.group(3)) if m.group(3) else today.year
        year = year + 2000 if year < 100 else year
        found = _valid_day(year, month, day) or _valid_day(year, day, month)
        if found and found > today and not m.group(3):
            found = _valid_day(year - 1, found.month, found.day)
    if found is not None:
        return found.isoformat() if found <= today else None
    canon = canonical(text)
    for key, unit in (("date_days_ago_re", 1), ("date_weeks_ago_re", 7), ("date_hours_ago_re", 0)):
        for pattern in catalogs.words(key):
            if m := _compiled(pattern).search(canon):
                return (today - timedelta(days=unit * int(m.group(1)))).isoformat()
    for token in ("yesterday", "today", "this_week", "earlier"):
        if any(contains_phrase(canon, p) for p in catalogs.words(f"date_{token}")):
            return date_value(token, today)
    return None


def _label(labels: Mapping[str, str], lang: str) -> str:
    return labels.get(lang) or next(iter(labels.values()))


def question_options(question: Question, lang: str, catalogs: Catalogs) -> tuple[Option, ...]:
    """The buttons of a question, labelled in the user's language, with stable ids ``ans:<qid>:<value>``."""
    qid = question.id
    # A way out of every diagnostic question: "not sure / other" (impact and urgency cover every case;
    # an optional text question has "skip").
    way_out = () if question.field or any(c.value in (UNKNOWN, "other") for c in question.choices) \
        else (Option(answer_option_id(qid, UNKNOWN), catalogs.t(lang, "option.not_sure")),)
    if question.kind == "choice":
        return (*(Option(answer_option_id(qid, c.value), _label(c.labels, lang)) for c in question.choices),
                *way_out)
    if question.kind == "yesno":
        return (*(Option(answer_option_id(qid, v), catalogs.t(lang, f"option.{v}")) for v in ("yes", "no")),
                *way_out)
    if question.kind == "date":
        return tuple(Option(answer_option_id(qid, t), catalogs.t(lang, f"date.{t}")) for t in DATE_TOKENS)
    if question.optional:
        return (Option(answer_option_id(qid, "skip"), catalogs.t(lang, "option.skip")),)
    return (Option(answer_option_id(qid, UNKNOWN), catalogs.t(lang, "option.not_sure")),)


def parse_answer(question: Question, text: str, option_id: str | None, catalogs: Catalogs,
                 today: date, lang: str) -> str | None:
    """The canonical answer to ``question`` or None when it is not understood."""
    if option_id is not None:
        value = option_value(option_id, question.id)
        if value is None:
            return None
        if question.kind == "date":
            return date_value(value, today) if value in DATE_TOKENS else None
        if question.kind == "text":
            if value == UNKNOWN and not question.optional:
                return UNKNOWN
            return SKIPPED if value == "skip" and question.optional else None
        if value != UNKNOWN and question.kind == "choice" and question.choice(value) is None:
            return None
        return value
    if question.kind == "choice":
        # A bare yes/no synonym ("no" = blocked) counts only at the start of the answer: "no, I'm
        # blocked" is an answer, "a impressora não imprime" (a new problem typed here) is not.
        canon = canonical(text)
        yes_no = {*catalogs.words("yes"), *catalogs.words("no")}

        def usable(phrase: str) -> bool:
            c = canonical(phrase)
            return c not in yes_no or canon == c or canon.startswith(c + " ")

        candidates = [(c.value, [p for p in (*c.labels.values(), *(w for ws in c.synonyms.values()
                                                                      for w in ws)) if usable(p)])
                      for c in question.choices]
        return match_choice(text, candidates)
    if question.kind == "yesno":
        return parse_yes_no(text, catalogs)
    if question.kind == "date":
        canon = canonical(text)
        if canon.isdigit() and 1 <= int(canon) <= len(DATE_TOKENS):
            return date_value(DATE_TOKENS[int(canon) - 1], today)
        return parse_date(text, catalogs, today, lang)
    stripped = text.strip()
    if question.optional and (canonical(stripped) in catalogs.words("skip") or canonical(stripped) == "1"
                              or canonical(stripped) in catalogs.words("no")):
        return SKIPPED  # "Do you see an error message?" - "no"
    if len(stripped) >= question.min_length and has_words(stripped):
        return stripped
    return None


def parse_rating(text: str, catalogs: Catalogs) -> int | None:
    """A 1-5 rating: "4", "4/5", "⭐⭐⭐⭐", or words ("excelente", "ruim")."""
    if m := re.match(r"\s*([1-5])(?:\s*(?:/|de|of)\s*5)?(?!\d)", text):
        return int(m.group(1))
    stars = sum(text.count(s) for s in ("⭐", "★"))
    if 1 <= stars <= 5 and not has_words(text):
        return stars
    value = match_choice(text, [(str(n), catalogs.words(f"rating_{n}")) for n in range(1, 6)])
    return int(value) if value else None
