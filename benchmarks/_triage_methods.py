"""The cold-start method comparison of benchmarks/triage.py --methods.

Every candidate learns from the taxonomy file alone (examples, names, descriptions). ``dev`` is the
accuracy of grouped 10-fold cross-validation over those phrases (the n-th example of a category in each
language is one group, so a translation never helps predict itself): that column chose the method. The
per-language columns are first-guess accuracy on the evaluation set, reported, never used to choose.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from classifier.coldstart import _rows
from classifier.cues import fold
from classifier.encoder import load_encoder
from classifier.taxonomy import Taxonomy
from classifier.text import prepare

LANGS = ("es", "pt", "en")
Views = dict[str, np.ndarray | sparse.csr_matrix]
# A method: (train views, train labels, test views, n classes) -> scores (n_test, n_classes)
Method = Callable[[Views, np.ndarray, Views, int], np.ndarray]


def compare(taxonomy: Taxonomy, rows: Sequence[dict[str, str]]) -> list[list[object]]:
    texts, labels, groups = _rows(taxonomy)
    ids = taxonomy.ids
    y = np.array([ids.index(lbl) for lbl in labels])
    eval_texts = [r["text"] for r in rows]
    eval_y = np.array([ids.index(r["category"]) for r in rows])
    eval_lang = np.array([r["language"] for r in rows])
    dense = _dense(texts + eval_texts)
    out: list[list[object]] = []
    for name, method in METHODS.items():
        needs = _needs(name)
        if any(v not in dense and v not in ("char", "gloss") for v in needs):
            out.append([name, "n/a", "", "", "", "(encoder not installed)"])
            continue
        oof = np.zeros((len(texts), len(ids)))
        for tr, va in GroupKFold(10).split(texts, y, groups):
            tr_v, va_v = _views(texts, tr, va, dense, needs)
            oof[va] = method(tr_v, y[tr], va_v, len(ids))
        all_idx = np.arange(len(texts))
        test_idx = len(texts) + np.arange(len(eval_texts))
        tr_v, te_v = _views(texts + eval_texts, all_idx, test_idx, dense, needs)
        pred = method(tr_v, y, te_v, len(ids)).argmax(1)
        per = [float(np.mean(pred[eval_lang == lang] == eval_y[eval_lang == lang])) for lang in LANGS]
        out.append([name, float(np.mean(oof.argmax(1) == y)), *per, float(np.mean(pred == eval_y))])
    return out


def _dense(texts: list[str]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    enc = load_encoder()
    if enc is not None:
        out["e5"] = enc.encode(texts)
    try:
        from kb_search.dense import Embedder

        out["minilm"] = np.asarray(Embedder(threads=1).encode(texts), dtype=np.float32)
    except Exception:  # no MiniLM package: its rows say n/a
        pass
    return out


def _needs(name: str) -> list[str]:
    return [v for v in ("char", "gloss", "e5", "minilm") if v in name.split(" ")[-1].split("+")]


def _views(
    texts: list[str], tr: np.ndarray, te: np.ndarray, dense: dict[str, np.ndarray], needs: list[str]
) -> tuple[Views, Views]:
    a: Views = {}
    b: Views = {}
    for v in needs:
        if v in ("char", "gloss"):
            vec = (
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, preprocessor=fold)
                if v == "char"
                else TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, preprocessor=lambda s: prepare(s))
            )
            a[v] = vec.fit_transform([texts[i] for i in tr]).tocsr()
            b[v] = vec.transform([texts[i] for i in te]).tocsr()
        else:
            a[v], b[v] = dense[v][tr], dense[v][te]
    return a, b


def _knn(k: int) -> Method:
    """Per class, the mean similarity of its k most similar phrases; several views are z-scored and added."""

    def run(tr: Views, y: np.ndarray, te: Views, n: int) -> np.ndarray:
        total = np.zeros((te[next(iter(te))].shape[0], n))
        for v in tr:
            sim = te[v] @ tr[v].T
            sim = sim.toarray() if sparse.issparse(sim) else np.asarray(sim)
            s = np.full((sim.shape[0], n), -1.0)
            for c in range(n):
                cols = sim[:, y == c]
                if cols.shape[1]:
                    s[:, c] = np.sort(cols, axis=1)[:, ::-1][:, :k].mean(axis=1)
            total += (s - s.mean(1, keepdims=True)) / (s.std(1, keepdims=True) + 1e-9)
        return total

    return run


def _logreg(embed_weight: float, c: float) -> Method:
    def run(tr: Views, y: np.ndarray, te: Views, n: int) -> np.ndarray:
        def stack(views: Views) -> sparse.csr_matrix:
            parts = [
                sparse.csr_matrix(np.asarray(views[v]) * embed_weight) if v in ("e5", "minilm") else views[v]
                for v in views
            ]
            return sparse.hstack(parts).tocsr()

        lr = LogisticRegression(C=c, solver="newton-cg", max_iter=1000).fit(stack(tr), y)
        out = np.full((te[next(iter(te))].shape[0], n), -1e9)
        out[:, lr.classes_] = lr.decision_function(stack(te))
        return out

    return run


METHODS: dict[str, Method] = {
    "kNN top-5, es/pt lexicon gloss + word TF-IDF: gloss": _knn(5),
    "kNN top-5, char 2-5-grams: char": _knn(5),
    "kNN top-5, MiniLM (en): minilm": _knn(5),
    "kNN top-5, e5-small: e5": _knn(5),
    "kNN top-5, fused: char+e5": _knn(5),
    "kNN top-5, fused: char+e5+minilm": _knn(5),
    "logreg C=30, char 2-5-grams: char": _logreg(1.0, 30.0),
    "logreg C=30, MiniLM x2 + char: minilm+char": _logreg(2.0, 30.0),
    "logreg C=10, e5 x1: e5": _logreg(1.0, 10.0),
    "logreg C=30, e5 x1 + char: e5+char": _logreg(1.0, 30.0),
    "logreg C=10, e5 x2 + char: e5+char": _logreg(2.0, 10.0),
    "logreg C=30, e5 x2 + char (shipped): e5+char": _logreg(2.0, 30.0),
    "logreg C=30, e5 x3 + char: e5+char": _logreg(3.0, 30.0),
}
