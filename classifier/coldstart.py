"""The cold-start category model: learnt from the taxonomy file alone (no labelled tickets).

Method, chosen by measurement (benchmarks/triage.py --methods prints the comparison): a multinomial
logistic regression over the taxonomy's example phrases, names and descriptions, on two views of a text:

- its multilingual-e5-small sentence embedding (scaled by ``embed_weight``): meaning across languages, so
  "a impressora não imprime" lands near "the printer is not printing";
- character 2-5-gram TF-IDF of the accent-free lowercase text: robust to typos, missing accents and
  product names ("outlok", "GlobalProtect") that an embedding may blur.

Nearest-neighbour votes over the same two views, each view alone, the English MiniLM and the es/pt lexicon
gloss were measured as well and were less accurate (see the model card). The probabilities are
temperature-scaled; the temperature is fitted on out-of-fold predictions over the examples themselves
(grouped so that translations of one phrase stay in one fold), so calibration uses no evaluation data.

Fitting takes about a second for 400 phrases (the examples' embeddings come from the model directory's
cache), so the model is rebuilt from the taxonomy file at load time: editing the file is enough to add,
rename or remove a category.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from classifier.cues import fold
from classifier.encoder import CachedEncoder, Encoder
from classifier.taxonomy import Taxonomy


@dataclass(frozen=True, slots=True)
class ColdStartConfig:
    """Chosen by grouped cross-validation over the taxonomy's examples (benchmarks/triage.py --methods)."""

    embed_weight: float = 2.0
    c: float = 30.0
    ngram_min: int = 2
    ngram_max: int = 5
    folds: int = 10

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ColdStartModel:
    """Category probabilities over ``taxonomy.ids`` (columns in that order)."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        encoder: Encoder | None,
        config: ColdStartConfig | None = None,
        temperature: float | None = None,
        cache: dict[str, np.ndarray] | None = None,
        extra: tuple[Sequence[str], Sequence[str], Sequence[float]] | None = None,
    ) -> None:
        """``extra``: texts, labels (taxonomy ids) and weights of the desk's own tickets, learnt together
        with the examples (see desk.py); their vectors are not added to the examples' cache."""
        self.taxonomy = taxonomy
        self.config = config or ColdStartConfig()
        self.encoder = encoder
        self.cached = CachedEncoder(encoder, cache) if encoder is not None else None
        texts, labels, groups = _rows(taxonomy)
        self._w = np.ones(len(texts))
        self._emb = self.cached.encode(texts) if self.cached is not None else None
        if extra is not None:
            extra_texts, extra_labels, extra_weights = extra
            texts = [*texts, *extra_texts]
            labels = [*labels, *extra_labels]
            groups = [*groups, *(f"desk#{i}" for i in range(len(extra_texts)))]
            self._w = np.concatenate([self._w, np.asarray(extra_weights, dtype=np.float64)])
            if self._emb is not None and encoder is not None:
                self._emb = np.vstack([self._emb, encoder.encode(list(extra_texts))])
        self.classes = taxonomy.ids
        self._y = np.array([self.classes.index(lbl) for lbl in labels])
        self._groups = np.array(groups)
        self._texts = list(texts)
        self.vectorizer, self.lr = self._fit(np.arange(len(texts)))
        self.temperature = temperature if temperature is not None else self.calibrate()

    @property
    def mode(self) -> str:
        return "e5+char" if self.encoder is not None else "char"

    def _char(self) -> TfidfVectorizer:
        cfg = self.config
        return TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(cfg.ngram_min, cfg.ngram_max),
            sublinear_tf=True,
            preprocessor=fold,
            dtype=np.float32,
        )

    def _features(
        self, vectorizer: TfidfVectorizer, texts: Sequence[str], emb: np.ndarray | None
    ) -> sparse.csr_matrix:
        x = vectorizer.transform(texts)
        if emb is None:
            return x.tocsr()
        return sparse.hstack([sparse.csr_matrix(emb * self.config.embed_weight), x]).tocsr()

    def _fit(self, rows: np.ndarray) -> tuple[TfidfVectorizer, LogisticRegression]:
        vec = self._char()
        texts = [self._texts[i] for i in rows]
        vec.fit(texts)
        emb = self._emb[rows] if self._emb is not None else None
        # newton-cg: the same optimum as lbfgs, ~10x faster on a few hundred rows with 10K+ features.
        lr = LogisticRegression(C=self.config.c, solver="newton-cg", max_iter=1000)
        lr.fit(self._features(vec, texts, emb), self._y[rows], sample_weight=self._w[rows])
        return vec, lr

    def _decision(
        self, vec: TfidfVectorizer, lr: LogisticRegression, texts: Sequence[str], emb: np.ndarray | None
    ) -> np.ndarray:
        raw = np.asarray(lr.decision_function(self._features(vec, texts, emb)), dtype=np.float64)
        out = np.full((len(texts), len(self.classes)), -1e9)
        out[:, np.asarray(lr.classes_, dtype=np.int64)] = raw
        return out

    def calibrate(self) -> float:
        """Temperature minimising the log-loss of out-of-fold predictions over the examples."""
        n_groups = len(set(self._groups.tolist()))
        folds = GroupKFold(min(self.config.folds, n_groups))
        oof = np.zeros((len(self._texts), len(self.classes)))
        for tr, va in folds.split(self._texts, self._y, self._groups):
            vec, lr = self._fit(tr)
            emb = self._emb[va] if self._emb is not None else None
            oof[va] = self._decision(vec, lr, [self._texts[i] for i in va], emb)
        grid = np.linspace(0.2, 5.0, 97)
        idx = np.arange(len(self._y))
        losses = [-np.average(np.log(_softmax(oof / t)[idx, self._y] + 1e-12), weights=self._w) for t in grid]
        return float(grid[int(np.argmin(losses))])

    def encode(self, texts: Sequence[str]) -> np.ndarray | None:
        """The texts' vectors for predict_proba (None in char-only mode), computed once per request."""
        return self.encoder.encode(texts) if self.encoder is not None else None

    def predict_proba(self, texts: Sequence[str], emb: np.ndarray | None = None) -> np.ndarray:
        if emb is None:
            emb = self.encode(texts)
        return _softmax(self._decision(self.vectorizer, self.lr, texts, emb) / self.temperature)

    @property
    def rows(self) -> int:
        return len(self._texts)

    def embedding_cache(self) -> dict[str, np.ndarray]:
        return dict(self.cached.cache) if self.cached is not None else {}


def _rows(taxonomy: Taxonomy) -> tuple[list[str], list[str], list[str]]:
    """Texts, labels and CV groups. The n-th example of a category in each language is usually the same
    report in translation, so they share a group (otherwise cross-validation would flatter the encoder)."""
    texts, labels, groups = [], [], []
    for cat in taxonomy.categories:
        for phrases in cat.examples.values():
            for i, text in enumerate(phrases):
                texts.append(text)
                labels.append(cat.id)
                groups.append(f"{cat.id}#{i}")
        for _lang, text in cat.texts()[sum(len(p) for p in cat.examples.values()) :]:
            texts.append(text)
            labels.append(cat.id)
            groups.append(f"{cat.id}#description")
    return texts, labels, groups


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))
