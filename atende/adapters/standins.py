"""Keyword stand-ins for the Classifier and KnowledgeBase ports, and an in-memory ConversationStore.

They exist so the whole intake runs before the trained classifier (classifier/) and the hybrid index
(kb_search/) are wired in, and as a fallback when those artifacts are missing. They are deliberately simple
and named as such; the engine only knows the ports and never imports this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from dialog.ports import ArticleSuggestion, Classification, Prediction
from dialog.text import fold

#: The stand-ins' data (keywords per category id, cues, demo articles) lives in a data file beside it.
_DATA = yaml.safe_load((Path(__file__).with_name("standins.yaml")).read_text(encoding="utf-8"))
CATEGORY_KEYWORDS: Mapping[str, tuple[str, ...]] = {
    cat: tuple(words) for cat, words in _DATA["categories"].items()
}
_SPECIFIC_FIRST = frozenset(_DATA["specific_first"])
_REQUEST = tuple(_DATA["request_cues"])
_URGENT = tuple(_DATA["urgent_cues"])
_MINOR = tuple(_DATA["minor_cues"])


def _hits(folded: str, keywords: Iterable[str]) -> int:
    return sum(1 for kw in keywords if re.search(rf"(?<!\w){re.escape(kw)}(?!\w)", folded))


class KeywordClassifier:
    """Stand-in Classifier: counts category keywords (en/es/pt). Confidence is the smoothed share of the
    best category's hits, so one clear keyword is "confident" (0.55) and no keyword at all is not (0.1)."""

    def __init__(self, keywords: Mapping[str, Sequence[str]] | None = None, smoothing: float = 0.1) -> None:
        source = keywords or CATEGORY_KEYWORDS
        self._keywords = {c: tuple(fold(k) for k in kws) for c, kws in source.items()}
        self._smoothing = smoothing

    @property
    def version(self) -> str:
        return "keyword-standin-1"

    @property
    def categories(self) -> Sequence[str]:
        return tuple(self._keywords)

    async def classify(self, text: str, language: str | None = None) -> Classification:
        folded = fold(text)
        hits = {c: _hits(folded, kws) for c, kws in self._keywords.items()}
        total = sum(hits.values()) + self._smoothing * len(hits)
        probs = {c: (h + self._smoothing) / total for c, h in hits.items()}
        # Ties: the more specific category first (a phishing e-mail is security, a printer scan to e-mail
        # is printing), then the declared order.
        ranked = sorted(probs.items(), key=lambda cp: (-cp[1], cp[0] not in _SPECIFIC_FIRST))
        top = tuple((c, round(p, 4)) for c, p in ranked)
        category = Prediction(ranked[0][0], round(ranked[0][1], 4), top)
        is_request = _hits(folded, _REQUEST) > 0
        first, second = ("request", "incident") if is_request else ("incident", "request")
        kind = Prediction(first, 0.6, ((first, 0.6), (second, 0.4)))
        level = "high" if _hits(folded, _URGENT) else "low" if _hits(folded, _MINOR) else "medium"
        priority = Prediction(level, 0.5, ((level, 0.5),))
        return Classification(category, kind, priority, self.version)


@dataclass(frozen=True, slots=True)
class KeywordArticle:
    article_id: str
    title: str
    language: str
    summary: str
    keywords: tuple[str, ...]
    category: str | None = None
    body: str = ""
    url: str | None = None


def _demo(
    aid: str, category: str, keywords: Sequence[str], texts: Mapping[str, tuple[str, str]]
) -> list[KeywordArticle]:
    return [
        KeywordArticle(f"{aid}-{lang}", title, lang, summary, tuple(keywords), category)
        for lang, (title, summary) in texts.items()
    ]


#: A few demo articles (one topic, three languages) so the deflection step can be tried out of the box.
DEMO_ARTICLES: tuple[KeywordArticle, ...] = tuple(
    article
    for item in _DATA["demo_articles"]
    for article in _demo(item["id"], item["category"], item["keywords"],
                         {lang: (t["title"], t["summary"]) for lang, t in item["texts"].items()})
)


Feedback = Literal["shown", "accepted", "rejected", "reopened"]


class KeywordKnowledgeBase:
    """Stand-in KnowledgeBase: articles sharing at least ``min_hits`` keywords with the query, the user's
    language first. Feedback is kept in memory (``events``) for tests and the terminal chat."""

    def __init__(self, articles: Iterable[KeywordArticle] = DEMO_ARTICLES, min_hits: int = 1) -> None:
        self.articles = [
            KeywordArticle(
                a.article_id,
                a.title,
                a.language,
                a.summary,
                tuple(fold(k) for k in a.keywords),
                a.category,
                a.body,
                a.url,
            )
            for a in articles
        ]
        self.min_hits = min_hits
        self.events: list[tuple[str, str, str]] = []

    async def suggest(
        self, query: str, language: str, category: str | None = None, k: int = 3
    ) -> list[ArticleSuggestion]:
        folded = fold(query)
        scored = [(hits, a) for a in self.articles if (hits := _hits(folded, a.keywords)) >= self.min_hits]
        in_language = [(h, a) for h, a in scored if a.language == language]
        chosen = in_language or scored
        chosen.sort(key=lambda ha: (-ha[0], ha[1].category != category, ha[1].article_id))
        return [
            ArticleSuggestion(a.article_id, a.title, a.language, a.summary, float(h), a.body, a.url)
            for h, a in chosen[:k]
        ]

    async def record_feedback(self, article_id: str, event: Feedback, requester: str) -> None:
        self.events.append((article_id, event, requester))
