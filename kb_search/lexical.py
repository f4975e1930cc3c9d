"""Keyword side: one bm25s index per language, with scores normalised to [0, 1].

Raw BM25 grows with the length of the query, so it cannot be compared with a cosine or with a fixed
threshold. Dividing by the query's total idf mass (unknown words counted at the highest idf, since a word no
article contains is as informative as it gets) gives "the share of what the user said that this article
covers": query-independent enough to fuse with cosine similarity and to threshold.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence

import bm25s
import numpy as np

from kb_search.text import Analyzer, Corrector


class LexicalIndex:
    def __init__(
        self,
        language: str,
        texts: Sequence[str],
        k1: float = 1.2,
        b: float = 0.9,
        correct_typos: bool = True,
        bigrams: bool = True,
    ) -> None:
        self.language = language
        self.analyzer = Analyzer(language)
        self.bigrams = bigrams
        self.n_docs = len(texts)
        words = [self.analyzer.words(t) for t in texts]
        surface: set[str] = set()
        for w in words:
            surface.update(w)
        stems = [self._with_pairs(self.analyzer.stem(w)) for w in words]
        df: Counter[str] = Counter()
        for doc in stems:
            df.update(set(doc))
        n = max(self.n_docs, 1)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.max_idf = math.log(1 + (n + 0.5) / 0.5)
        self.corrector = Corrector(surface) if correct_typos else None
        self._bm25: bm25s.BM25 | None = None
        if self.n_docs and df:
            self._bm25 = bm25s.BM25(k1=k1, b=b)
            self._bm25.index(stems, show_progress=False)

    def _with_pairs(self, stems: list[str]) -> list[str]:
        if not self.bigrams:
            return stems
        return stems + [f"{a}_{b}" for a, b in itertools.pairwise(stems)]

    def query_terms(self, text: str) -> list[str]:
        """Stemmed query terms (repeats kept: a word said twice matters more), typos corrected."""
        words = self.analyzer.words(text)
        if self.corrector is not None:
            words = [self.corrector.correct(w) for w in words]
        return self._with_pairs(self.analyzer.stem(words))

    def raw_scores(self, terms: list[str]) -> np.ndarray:
        known = [t for t in terms if t in self.idf]
        if self._bm25 is None or not known:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def mass(self, terms: list[str]) -> float:
        return sum(self.idf.get(t, self.max_idf) for t in terms)

    def scores(self, text: str) -> np.ndarray:
        """Normalised BM25 in [0, 1] for every document of this index."""
        terms = self.query_terms(text)
        raw = self.raw_scores(terms)
        mass = self.mass(terms)
        return raw / mass if mass > 0 else raw
