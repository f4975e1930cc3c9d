"""KnowledgeBase: load the articles, keep keyword and semantic indexes current, answer searches.

Start-up must be fast (the server starts in <= 3 s) while importing torch and loading the model takes
several seconds, so ``load`` builds the keyword indexes at once and, with ``background=True``, loads the
model and the cached embeddings in a thread; until then ``search`` answers from BM25 alone with its own
threshold. ``refresh`` (called by ``search`` at most every ``refresh_interval`` seconds) compares file
mtimes and sizes, re-parses only changed files and re-embeds only texts whose hash is not in the cache.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb_search.articles import Article, ArticleError, load_articles, parse_article, scan
from kb_search.dense import Embedder, EmbeddingCache
from kb_search.fusion import FusionParams
from kb_search.snapshot import DenseRows, Hit, Snapshot

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class IndexReport:
    articles: int
    languages: tuple[str, ...]
    errors: tuple[str, ...]
    embedded: int  # texts embedded in this run
    cached: int  # texts found in the cache
    seconds: float


class KnowledgeBase:
    def __init__(
        self,
        kb_dir: Path | None,
        cache_dir: Path | None,
        embedder: Embedder | None,
        languages: tuple[str, ...] = ("es", "pt", "en"),
        params: FusionParams | None = None,
        refresh_interval: float | None = 2.0,
    ) -> None:
        self.kb_dir = kb_dir
        self.model_dir: str | Path | None = embedder.model_dir if embedder is not None else None
        self.cache_dir = cache_dir
        self.embedder = embedder
        self.languages = languages
        self.params = params or FusionParams.load()
        self.refresh_interval = refresh_interval
        self.errors: list[ArticleError] = []
        self._snap = Snapshot([])
        self._files: dict[str, tuple[int, int]] = {}
        self._parsed: dict[str, Article | ArticleError] = {}
        self._cache: EmbeddingCache | None = None
        self._lock = threading.RLock()
        self._last_check = 0.0
        self._ready = threading.Event()
        self._bg: threading.Thread | None = None
        self._embed_error: BaseException | None = None

    # -- construction ---------------------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        kb_dir: str | Path,
        cache_dir: str | Path | None = None,
        model_dir: str | Path | None = None,
        languages: Sequence[str] = ("es", "pt", "en"),
        *,
        dense: bool = True,
        background: bool = False,
        params: FusionParams | None = None,
        refresh_interval: float | None = 2.0,
        progress: Progress | None = None,
        embedder: Embedder | None = None,
    ) -> KnowledgeBase:
        """Load ``kb_dir``. ``dense=False``: keyword search only. ``background=True``: return as soon as the
        keyword index is built and load the model and embeddings in a thread (see ``wait_ready``).
        ``embedder``: share an already loaded model (tests, several knowledge bases in one process)."""
        if dense and embedder is None:
            embedder = Embedder(model_dir)
        elif not dense:
            embedder = None
        kb = cls(
            Path(kb_dir),
            Path(cache_dir) if cache_dir else None,
            embedder,
            tuple(languages),
            params,
            refresh_interval,
        )
        kb.model_dir = model_dir or kb.model_dir
        kb._reload_files(force=True, embed=False)
        if embedder is None:
            kb._ready.set()
        elif background:
            kb._bg = threading.Thread(target=kb._enable_dense, name="kb-embeddings", daemon=True)
            kb._bg.start()
        else:
            kb._enable_dense(progress, raise_errors=True)
        return kb

    @classmethod
    def from_articles(
        cls,
        articles: Sequence[Article],
        embedder: Embedder | None = None,
        cache_dir: str | Path | None = None,
        vectors: np.ndarray | None = None,
        params: FusionParams | None = None,
    ) -> KnowledgeBase:
        """In-memory knowledge base (no files, no hot reload). ``vectors``: one precomputed row per article,
        used instead of embedding them (the scale benchmark)."""
        kb = cls(None, Path(cache_dir) if cache_dir else None, embedder, params=params, refresh_interval=None)
        snap = Snapshot(articles)
        if vectors is not None:
            snap = snap.with_dense(
                DenseRows(np.ascontiguousarray(vectors, dtype=np.float32), np.arange(len(articles)))
            )
        elif embedder is not None:
            snap = snap.with_dense(kb._dense_rows(snap.docs)[0])
        kb._snap = snap
        kb._ready.set()
        return kb

    # -- state ------------------------------------------------------------------------------------------
    @property
    def articles(self) -> list[Article]:
        return list(self._snap.docs)

    @property
    def dense_ready(self) -> bool:
        return self._snap.dense is not None and self.embedder is not None and self.embedder.loaded

    def warm(self, timeout: float | None = None) -> bool:
        """Make semantic search available now (blocking; idempotent): waits for a background load, or loads
        the model and the cached embeddings here. True when hybrid search is on."""
        if self._bg is not None:
            self._ready.wait(timeout)
            return self.dense_ready
        if self.embedder is None:
            self.embedder = Embedder(self.model_dir)
        if not self.dense_ready:
            self._ready.clear()
            self._enable_dense(raise_errors=True)
        return self.dense_ready

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until the model and embeddings are loaded (or loading failed); True when dense is on."""
        self._ready.wait(timeout)
        return self.dense_ready

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def _embedding_cache(self) -> EmbeddingCache | None:
        if self.embedder is None or self.cache_dir is None:
            return None
        if self._cache is None:
            self._cache = EmbeddingCache(self.cache_dir, self.embedder.tag)
        return self._cache

    def _dense_rows(
        self, docs: Sequence[Article], progress: Progress | None = None
    ) -> tuple[DenseRows, int, int]:
        assert self.embedder is not None
        texts: list[str] = []
        starts: list[int] = []
        for d in docs:
            starts.append(len(texts))
            texts.extend(d.dense_texts())
        cache = self._embedding_cache()
        if not texts:
            return DenseRows(np.zeros((0, 1), dtype=np.float32), np.zeros(0, dtype=np.int64)), 0, 0
        if cache is not None:
            matrix, new = cache.embed(self.embedder, texts, progress)
        else:
            matrix, new = self.embedder.encode(texts, progress), len(set(texts))
        return DenseRows(matrix, np.array(starts, dtype=np.int64)), new, len(texts) - new

    def _enable_dense(self, progress: Progress | None = None, raise_errors: bool = False) -> None:
        try:
            assert self.embedder is not None
            self.embedder.load()
            with self._lock:
                snap = self._snap
                rows, _, _ = self._dense_rows(snap.docs, progress)
                # A refresh may have swapped the snapshot meanwhile; it then embedded on its own.
                if self._snap is snap:
                    self._snap = snap.with_dense(rows)
        except Exception as exc:
            self._embed_error = exc
            log.exception("knowledge base: semantic search disabled, keyword search only")
            if raise_errors:
                raise
        finally:
            self._ready.set()

    # -- hot reload --------------------------------------------------------------------------------------
    def _reload_files(self, force: bool = False, embed: bool = True) -> bool:
        if self.kb_dir is None:
            return False
        current = scan(self.kb_dir)
        if not force and current == self._files:
            return False
        changed = [p for p, st in current.items() if self._files.get(p) != st or p not in self._parsed]
        for p in changed:
            try:
                self._parsed[p] = parse_article(Path(p))
            except ArticleError as exc:
                self._parsed[p] = exc
        for p in set(self._parsed) - set(current):
            del self._parsed[p]
        self._files = current
        good = [a for a in self._parsed.values() if isinstance(a, Article)]
        result = load_articles(self.kb_dir, paths=[a.path for a in good], languages=self.languages)
        self.errors = sorted(
            [e for e in self._parsed.values() if isinstance(e, ArticleError)] + result.errors,
            key=lambda e: e.path,
        )
        for err in self.errors:
            log.warning("knowledge base: %s", err)
        snap = Snapshot(result.articles)
        if embed and self.embedder is not None and self.embedder.loaded:
            snap = snap.with_dense(self._dense_rows(snap.docs)[0])
        self._snap = snap
        return True

    def refresh(self) -> bool:
        """Pick up added, changed and deleted articles; True when something changed. Cheap when nothing did
        (one directory walk); safe to call from several threads."""
        with self._lock:
            self._last_check = time.monotonic()
            return self._reload_files()

    def _maybe_refresh(self) -> None:
        if self.refresh_interval is None or self.kb_dir is None:
            return
        if time.monotonic() - self._last_check >= self.refresh_interval and self._lock.acquire(
            blocking=False
        ):
            try:
                self._last_check = time.monotonic()
                self._reload_files()
            finally:
                self._lock.release()

    # -- indexing and search -------------------------------------------------------------------------------
    def index(self, progress: Progress | None = None) -> IndexReport:
        """Re-read the articles and embed every text missing from the cache (``atende kb index``)."""
        t0 = time.perf_counter()
        with self._lock:
            self._reload_files(force=True, embed=False)
            new = cached = 0
            if self.embedder is not None:
                rows, new, cached = self._dense_rows(self._snap.docs, progress)
                self._snap = self._snap.with_dense(rows)
        langs = tuple(sorted({a.language for a in self._snap.docs}))
        return IndexReport(
            len(self._snap.docs),
            langs,
            tuple(str(e) for e in self.errors),
            new,
            cached,
            time.perf_counter() - t0,
        )

    def embed_query(self, query: str) -> np.ndarray | None:
        if not self.dense_ready or self.embedder is None:
            return None
        return self.embedder.encode_query(query)

    def search(
        self, query: str, language: str, category: str | None = None, k: int = 3, *, threshold: bool = True
    ) -> list[Hit]:
        """Best articles above the confidence threshold, the user's language first; [] when none fits."""
        self._maybe_refresh()
        snap = self._snap
        qvec = self.embed_query(query) if snap.dense is not None else None
        return snap.search(
            query, language, qvec, self.params, category=category, k=k, apply_threshold=threshold
        )
