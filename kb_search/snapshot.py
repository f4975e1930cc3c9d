"""An immutable search state over one set of articles: per-language keyword indexes and the dense matrix.

A snapshot is never modified: hot reload builds a new one and swaps it in, so a search running in another
thread always sees a consistent state without locks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kb_search.ann import MIN_ROWS, IVFIndex
from kb_search.articles import Article
from kb_search.fusion import FusionParams, confidence, rank_scores
from kb_search.lexical import LexicalIndex


@dataclass(frozen=True, slots=True)
class Hit:
    article_id: str
    title: str
    language: str
    score: float  # confidence in [0, 1]-ish; only hits above the threshold are returned
    summary: str
    body: str
    path: str
    category: str = ""


class DenseRows:
    """Row-wise L2-normalised vectors; rows of one document are contiguous (``starts`` = first row).

    Large collections get an IVF index: only the rows in the cells nearest to the query are scored and the
    others get the lowest score seen (an article that far away adds no semantic evidence)."""

    def __init__(self, matrix: np.ndarray, starts: np.ndarray, ivf_min_rows: int = MIN_ROWS) -> None:
        self.matrix = matrix
        self.starts = starts
        self.ivf = IVFIndex(matrix) if len(matrix) >= ivf_min_rows else None

    def doc_scores(self, qvec: np.ndarray) -> np.ndarray:
        if self.ivf is not None:
            ids, scores = self.ivf.search(qvec)
            sims = np.full(len(self.matrix), scores.min() if len(scores) else 0.0, dtype=np.float32)
            sims[ids] = scores
        else:
            sims = self.matrix @ qvec
        if len(self.starts) == len(sims):
            return sims
        return np.maximum.reduceat(sims, self.starts)


class Snapshot:
    def __init__(
        self,
        docs: Sequence[Article],
        dense: DenseRows | None = None,
        lexical: dict[str, tuple[LexicalIndex, np.ndarray]] | None = None,
    ) -> None:
        self.docs = list(docs)
        self.article_ids = sorted({d.id for d in self.docs})
        pos = {a: i for i, a in enumerate(self.article_ids)}
        self.doc_article = np.array([pos[d.id] for d in self.docs], dtype=np.int64)
        self.doc_lang = np.array([d.language for d in self.docs])
        self.doc_category = np.array([d.category for d in self.docs])
        self.by_key = {d.key: i for i, d in enumerate(self.docs)}
        self.dense = dense
        if lexical is None:
            lexical = {}
            for lang in sorted(set(self.doc_lang.tolist())):
                idx = np.flatnonzero(self.doc_lang == lang)
                lexical[lang] = (LexicalIndex(lang, [self.docs[i].index_text() for i in idx]), idx)
        self.lexical = lexical

    def with_dense(self, dense: DenseRows | None) -> Snapshot:
        return Snapshot(self.docs, dense, self.lexical)

    def __len__(self) -> int:
        return len(self.docs)

    # -- scoring ---------------------------------------------------------------------------------------
    def lexical_doc_scores(self, query: str) -> np.ndarray:
        out = np.zeros(len(self.docs), dtype=np.float32)
        for index, idx in self.lexical.values():
            out[idx] = index.scores(query)
        return out

    def _per_article(self, doc_scores: np.ndarray, preferred: np.ndarray) -> np.ndarray:
        """Article score = its preferred-language version's score, or the best version when it has none."""
        n = len(self.article_ids)
        best = np.full(n, -np.inf, dtype=np.float32)
        np.maximum.at(best, self.doc_article, doc_scores)
        if preferred.any():
            pref = np.full(n, -np.inf, dtype=np.float32)
            pref[self.doc_article[preferred]] = doc_scores[preferred]
            best = np.where(np.isfinite(pref), pref, best)
        return best

    def article_scores(
        self, query: str, language: str, qvec: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        preferred = self.doc_lang == language
        lex = self._per_article(self.lexical_doc_scores(query), preferred)
        dense = None
        if qvec is not None and self.dense is not None:
            # Semantic evidence from every language version: MiniLM is English-centric, so a Spanish query
            # often sits closer to the Spanish text, sometimes to the English one; the best one counts.
            doc_dense = self.dense.doc_scores(qvec)
            dense = np.full(len(self.article_ids), -np.inf, dtype=np.float32)
            np.maximum.at(dense, self.doc_article, doc_dense)
        return lex, dense

    def search(
        self,
        query: str,
        language: str,
        qvec: np.ndarray | None,
        params: FusionParams,
        category: str | None = None,
        k: int = 3,
        apply_threshold: bool = True,
    ) -> list[Hit]:
        if not self.docs or not query.strip():
            return []
        lex, dense = self.article_scores(query, language, qvec)
        p = params.for_language(language)
        rank = rank_scores(lex, dense, p.alpha)
        conf = confidence(lex, dense, p.beta)
        threshold = p.threshold if dense is not None else p.bm25_threshold
        if category:
            cat_match = np.zeros(len(self.article_ids), dtype=bool)
            cat_match[self.doc_article[self.doc_category == category]] = True
            rank = rank + params.category_boost * cat_match
            conf = conf + params.category_boost * cat_match
        top = min(max(k * 4, 20), len(rank))
        cand = np.argpartition(-rank, top - 1)[:top] if top < len(rank) else np.arange(len(rank))
        order = cand[np.argsort(-rank[cand], kind="stable")]
        hits: list[tuple[int, Hit]] = []
        for a in order:
            if apply_threshold and conf[a] < threshold:
                continue
            doc = self._version(int(a), language)
            art = self.docs[doc]
            tier = 0 if art.language == language else 1
            hits.append(
                (
                    tier,
                    Hit(
                        art.id,
                        art.title,
                        art.language,
                        float(conf[a]),
                        art.summary,
                        art.body,
                        art.path,
                        art.category,
                    ),
                )
            )
            if len(hits) >= k * 2:
                break
        # User's language first, other languages as fallback; the sort is stable so rank order holds within.
        hits.sort(key=lambda t: t[0])
        return [h for _, h in hits[:k]]

    def _version(self, article: int, language: str) -> int:
        aid = self.article_ids[article]
        for lang in (language, "en", "es", "pt"):
            i = self.by_key.get((aid, lang))
            if i is not None:
                return i
        return int(np.flatnonzero(self.doc_article == article)[0])
