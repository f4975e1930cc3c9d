"""The classifier and knowledge-base ports served by the ML packages, loaded in the background.

`atende serve` must accept requests within seconds, while torch and the models take longer to load. The
server starts at once; the classifier is awaited by the first conversation that needs it, and the KB
answers from BM25 alone until the embeddings are ready. If the model cannot be loaded at all, the keyword
stand-ins serve the port and /healthz says so (the reason is logged).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from atende.adapters.tickets import slugify
from atende.kb_pages import article_url
from atende.observability import ModelState
from dialog.ports import ArticleSuggestion, Classification, Classifier, KnowledgeBase, Prediction

log = logging.getLogger(__name__)


class ModelClassifier:
    """dialog.ports.Classifier over classifier.TicketClassifier. A triage model (the default) predicts the
    taxonomy's ids; labels of a model trained on a CSV export are slugified ("IT Support" -> it_support)."""

    def __init__(self, model_dir: Path, fallback: Classifier, taxonomy_file: Path | None = None) -> None:
        self._model_dir = model_dir
        self._taxonomy_file = taxonomy_file
        self._fallback = fallback
        self._model: Any = None
        self._task: asyncio.Task[None] | None = None
        self.status = "not loaded"
        self.state: ModelState = "loading"

    def _load(self) -> None:
        import classifier

        self._model = classifier.load(self._model_dir, self._taxonomy_file)

    async def _load_async(self) -> None:
        try:
            await asyncio.to_thread(self._load)
            self.status = f"loaded {self.version}"
            self.state = "ready"
        except Exception as exc:  # a missing or refused model must not take the intake down
            log.error(
                "classifier model could not be loaded from %s: %s; serving the keyword stand-in",
                self._model_dir,
                exc,
            )
            self.status = f"keyword stand-in ({exc})"
            self.state = "fallback"

    def start_loading(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._load_async())

    async def ready(self) -> None:
        self.start_loading()
        assert self._task is not None
        await asyncio.shield(self._task)

    @property
    def version(self) -> str:
        return str(self._model.version) if self._model is not None else self._fallback.version

    @property
    def categories(self) -> Sequence[str]:
        if self._model is None:
            return self._fallback.categories
        return [slugify(c) for c in self._model.labels("category")]

    async def classify(self, text: str, language: str | None = None) -> Classification:
        await self.ready()
        if self._model is None:
            return await self._fallback.classify(text, language)
        import classifier

        try:
            heads = await asyncio.to_thread(self._model.predict, text, language, truncate=True)
        except classifier.ClassifierError as exc:  # e.g. nothing the vectoriser can read
            log.info("classifier refused the text (%s); keyword stand-in answers", exc)
            return await self._fallback.classify(text, language)

        def pred(head: str, slug: bool = False) -> Prediction:
            h = heads[head]
            norm = slugify if slug else (lambda s: str(s).lower())
            return Prediction(
                label=norm(h.label),
                confidence=float(h.confidence),
                top=tuple((norm(lbl), float(p)) for lbl, p in h.top),
            )

        return Classification(
            category=pred("category", slug=True),
            type=pred("type"),
            priority=pred("priority"),
            model_version=self.version,
        )


def quiet_bm25s() -> None:
    """bm25s sets its own logger to DEBUG when imported, so its debug lines reach an INFO log: give it the
    level the rest of the process logs at (never below INFO)."""
    logging.getLogger("bm25s").setLevel(max(logging.INFO, logging.getLogger().getEffectiveLevel()))


class SearchKnowledgeBase:
    """dialog.ports.KnowledgeBase over kb_search: hybrid search plus deflection statistics."""

    def __init__(self, kb_dir: Path, cache_dir: Path, stats_path: Path, model_dir: str | None,
                 public_url: str | None = None) -> None:
        self._public_url = public_url
        self._kb_dir = kb_dir
        self._cache_dir = cache_dir
        self._stats_path = stats_path
        self._model_dir = model_dir
        self._kb: Any = None
        self._stats: Any = None
        self.status = "not loaded"
        self.state: ModelState = "loading"

    def load_sync(self) -> None:
        import kb_search

        self._stats = kb_search.DeflectionStats(self._stats_path)
        self._kb = kb_search.KnowledgeBase.load(self._kb_dir, self._cache_dir, model_dir=self._model_dir,
                                                 dense=False)
        quiet_bm25s()
        self.status = "bm25 ready"
        self.state = "ready"  # searches answer from BM25 while the embeddings warm up

    def warm_sync(self) -> None:
        """Load the embedding model and embed the articles (slow); search is hybrid afterwards."""
        if self._kb is not None and hasattr(self._kb, "warm"):
            self._kb.warm()
            self.status = "hybrid ready"

    async def suggest(
        self, query: str, language: str, category: str | None = None, k: int = 3
    ) -> list[ArticleSuggestion]:
        if self._kb is None:
            return []
        hits = await asyncio.to_thread(self._kb.search, query, language, category=category, k=k)
        return [
            ArticleSuggestion(
                article_id=h.article_id,
                title=h.title,
                language=h.language,
                summary=h.summary,
                score=float(h.score),
                body=h.body,
                url=article_url(self._public_url, h.language, h.article_id),
            )
            for h in hits
        ]

    async def record_feedback(
        self, article_id: str, event: Literal["shown", "accepted", "rejected", "reopened"], requester: str
    ) -> None:
        if self._stats is not None:
            await asyncio.to_thread(self._stats.record, article_id, event, requester, datetime.now(UTC))


__all__ = ["KnowledgeBase", "ModelClassifier", "SearchKnowledgeBase"]
