"""The estimator: TF-IDF, a linear SVM and a nearest-neighbour vote per head, stacked by a calibrated
logistic regression.

Why this shape: tickets come in families of near-paraphrases (the same problem reported in other words);
a neighbour vote over the training tickets is very accurate when a close neighbour exists, and a linear
model generalises better when none does. A multinomial logistic regression trained on out-of-fold
outputs of both learns how far to trust each, given how close the nearest neighbour is. Because it is fit
on out-of-fold predictions, its probabilities are calibrated (they are estimated on tickets the base
models did not see), which the dialog relies on to decide when to ask a clarifying question.

Everything is scikit-learn / numpy / scipy; training takes a few minutes on two CPU cores for 12K tickets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

HEADS = ("category", "type", "priority")
_CHUNK = 512  # rows per block of the similarity product (bounds memory at train time)


@dataclass(frozen=True, slots=True)
class Config:
    """Hyper-parameters; the defaults were chosen by 5-fold cross-validation on the training split."""

    ngram_max: int = 2
    min_df: int = 2
    max_features: int | None = 60_000
    english_stop_words: bool = False
    svc_c: float = 0.5
    knn_k: int = 20
    knn_power: float = 4.0
    folds: int = 5
    meta_c: float = 1.0
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def n_steps(config: Config, n_heads: int = len(HEADS)) -> int:
    """How many progress steps fit() reports (for a progress bar)."""
    return 1 + config.folds + n_heads * 2


@dataclass(slots=True)
class Head:
    """One output (category, type or priority). ``svc`` is None when the training data had one class."""

    classes: np.ndarray
    svc: LinearSVC | None
    meta: Pipeline | None
    memory_labels: np.ndarray  # class index of every remembered training ticket


@dataclass(slots=True)
class TicketModel:
    config: Config
    vectorizer: TfidfVectorizer
    memory: sparse.csr_matrix  # TF-IDF rows of the training tickets (the neighbour index)
    heads: dict[str, Head]
    postings: sparse.csr_matrix = field(init=False, repr=False)  # memory transposed: an inverted index

    def __post_init__(self) -> None:
        self.postings = _invert(self.memory)

    def predict_proba(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Calibrated class probabilities per head, columns in ``heads[h].classes`` order."""
        x = self.vectorizer.transform(texts)
        top_idx, top_sim = _neighbours(x, self.postings, self.config.knn_k)
        out: dict[str, np.ndarray] = {}
        for name, head in self.heads.items():
            if head.svc is None or head.meta is None:
                out[name] = np.ones((x.shape[0], 1))
                continue
            feats = _stack_features(
                _decision(head.svc, x, len(head.classes)),
                top_idx,
                top_sim,
                head.memory_labels,
                len(head.classes),
                self.config.knn_power,
            )
            out[name] = _align(head.meta, feats, len(head.classes))
        return out


def fit(
    texts: Sequence[str],
    labels: Mapping[str, Sequence[str]],
    config: Config = Config(),
    on_step: Callable[[str], None] | None = None,
    weights: Sequence[float] | None = None,
) -> TicketModel:
    """Train every head in ``labels`` on ``texts`` (already prepared, see text.prepare). ``weights``
    (optional, one per text) make some tickets count more, e.g. those an agent corrected."""
    step = on_step or (lambda _msg: None)
    n = len(texts)
    vectorizer = TfidfVectorizer(
        ngram_range=(1, config.ngram_max),
        min_df=config.min_df,
        max_features=config.max_features,
        sublinear_tf=True,
        dtype=np.float32,
        stop_words="english" if config.english_stop_words else None,
    )
    x = vectorizer.fit_transform(texts).tocsr()
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    step("vectorised")
    encoded = {h: np.unique(np.asarray(labels[h], dtype=object), return_inverse=True) for h in labels}
    folds = _folds(encoded[next(iter(encoded))][1], n, config)
    oof: dict[str, np.ndarray] = {}
    for k, (tr, va) in enumerate(folds):
        top_idx, top_sim = _neighbours(x[va], _invert(x[tr]), config.knn_k)
        for h, (classes, y) in encoded.items():
            if len(classes) < 2:
                continue
            dec = _fold_decision(x[tr], y[tr], w[tr], x[va], len(classes), config)
            feats = _stack_features(dec, top_idx, top_sim, y[tr], len(classes), config.knn_power)
            oof.setdefault(h, np.zeros((n, feats.shape[1])))[va] = feats
        step(f"fold {k + 1}/{len(folds)}")
    heads: dict[str, Head] = {}
    for h, (classes, y) in encoded.items():
        if len(classes) < 2:
            heads[h] = Head(
                classes=classes.astype(str), svc=None, meta=None, memory_labels=y.astype(np.int32)
            )
            step(f"{h}: one class only")
            step(f"{h}: done")
            continue
        meta = make_pipeline(StandardScaler(), LogisticRegression(C=config.meta_c, max_iter=1000))
        meta.fit(oof[h], y, logisticregression__sample_weight=w)
        step(f"{h}: calibrator")
        heads[h] = Head(
            classes=classes.astype(str),
            svc=_fit_svc(x, y, w, config),
            meta=meta,
            memory_labels=y.astype(np.int32),
        )
        step(f"{h}: done")
    return TicketModel(config=config, vectorizer=vectorizer, memory=x, heads=heads)


def _folds(y: np.ndarray, n: int, config: Config) -> list[tuple[np.ndarray, np.ndarray]]:
    n_folds = max(2, min(config.folds, n))
    if np.bincount(y).min() >= n_folds:
        splitter: Any = StratifiedKFold(n_folds, shuffle=True, random_state=config.seed)
    else:
        splitter = KFold(n_folds, shuffle=True, random_state=config.seed)
    return list(splitter.split(np.zeros(n), y))


def _fit_svc(x: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, config: Config) -> LinearSVC:
    svc = LinearSVC(C=config.svc_c, random_state=config.seed)
    svc.fit(x, y, sample_weight=w)
    svc.coef_ = svc.coef_.astype(np.float32)  # halves the artifact; scores differ by < 1e-6
    return svc


def _fold_decision(
    x_tr: sparse.csr_matrix,
    y_tr: np.ndarray,
    w_tr: np.ndarray,
    x_va: sparse.csr_matrix,
    n_classes: int,
    config: Config,
) -> np.ndarray:
    """SVM scores for a held-out fold; with a tiny data set a fold may hold one class only, which then
    simply scores highest."""
    present = np.unique(y_tr)
    if len(present) < 2:
        out = np.full((x_va.shape[0], n_classes), -2.0)
        out[:, present] = 1.0
        return out
    return _decision(_fit_svc(x_tr, y_tr, w_tr, config), x_va, n_classes)


def _decision(svc: LinearSVC, x: sparse.csr_matrix, n_classes: int) -> np.ndarray:
    """SVM scores as an (n, n_classes) array, whatever subset of classes the SVM was trained on."""
    raw = np.asarray(svc.decision_function(x), dtype=np.float64)
    if raw.ndim == 1:
        raw = np.column_stack([-raw, raw])
    cols = np.asarray(svc.classes_, dtype=np.int64)  # class indices the SVM saw (a fold may lack some)
    out = np.full((x.shape[0], n_classes), -2.0)
    out[:, cols] = raw
    return out


def _invert(memory: sparse.csr_matrix) -> sparse.csr_matrix:
    return sparse.csr_matrix(memory.T)


def _neighbours(x: sparse.csr_matrix, postings: sparse.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosine similarities of the k most similar remembered tickets (rows are L2-normed).
    ``postings`` is the memory transposed, so a product only touches the tickets sharing a term."""
    k = max(1, min(k, postings.shape[1]))
    idx = np.zeros((x.shape[0], k), dtype=np.int64)
    sim = np.zeros((x.shape[0], k), dtype=np.float64)
    for start in range(0, x.shape[0], _CHUNK):
        block = (x[start : start + _CHUNK] @ postings).toarray()
        part = (
            np.argpartition(-block, k - 1, axis=1)[:, :k]
            if k < block.shape[1]
            else np.tile(np.arange(block.shape[1]), (block.shape[0], 1))
        )
        idx[start : start + _CHUNK] = part
        sim[start : start + _CHUNK] = np.take_along_axis(block, part, axis=1)
    return idx, sim


def _stack_features(
    dec: np.ndarray,
    top_idx: np.ndarray,
    top_sim: np.ndarray,
    memory_labels: np.ndarray,
    n_classes: int,
    power: float,
) -> np.ndarray:
    """SVM scores, the similarity-weighted neighbour vote, the vote scaled by the best similarity, and the
    best similarity: what the calibrator needs to weigh the two views. (The mean similarity of the k
    neighbours was dropped: it rises with the size of the index, so it shifts between the out-of-fold
    index the calibrator learns on and the full index used at prediction, and that broke calibration.)"""
    weights = np.clip(top_sim, 0.0, None) ** power
    votes = np.zeros((dec.shape[0], n_classes))
    rows = np.repeat(np.arange(dec.shape[0]), top_idx.shape[1])
    np.add.at(votes, (rows, memory_labels[top_idx].ravel()), weights.ravel())
    total = votes.sum(axis=1, keepdims=True)
    share = np.divide(votes, total, out=np.full_like(votes, 1.0 / n_classes), where=total > 0)
    best = top_sim.max(axis=1, keepdims=True)
    return np.hstack([dec, np.log(share + 1e-3), share * best, best])


def _align(meta: Pipeline, feats: np.ndarray, n_classes: int) -> np.ndarray:
    """Probabilities over all classes, even if the calibrator never saw some (they get 0)."""
    proba = meta.predict_proba(feats)
    seen = np.asarray(meta.classes_, dtype=np.int64)
    if len(seen) == n_classes:
        return np.asarray(proba)
    out = np.zeros((feats.shape[0], n_classes))
    out[:, seen] = proba
    return out
