"""Evaluation of one head: the figures the issue asks for, from true labels and predicted probabilities.

Kept separate from the model so the benchmark can score any estimator (the baselines too) the same way.
Labels the model never saw are scored as errors and listed, never a crash: a desk evaluating on its own
export may well have categories the shipped model does not know.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

SELECTIVE_COVERAGE = 0.70
ECE_BINS = 15


def head_report(y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class P/R/F1, confusion matrix, top-3, ECE and selective accuracy."""
    classes = [str(c) for c in classes]
    y = np.asarray([str(v) for v in y_true], dtype=object)
    n = len(y)
    if n == 0:
        raise ValueError("no rows to evaluate")
    proba = np.asarray(proba, dtype=np.float64)
    pred_idx = proba.argmax(axis=1)
    pred = np.asarray(classes, dtype=object)[pred_idx]
    conf = proba[np.arange(n), pred_idx]
    correct = pred == y
    index = {c: i for i, c in enumerate(classes)}
    true_idx = np.array([index.get(v, -1) for v in y])
    k = min(3, len(classes))
    topk = np.argsort(-proba, axis=1)[:, :k]
    top3 = (topk == true_idx[:, None]).any(axis=1)
    unseen = sorted(set(y) - set(classes))
    labels = classes + unseen  # unseen labels get a row (all misses) and an all-zero column
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    present = [i for i, lbl in enumerate(labels) if lbl in set(y) or lbl in set(pred)]
    return {
        "accuracy": float(correct.mean()),
        "macro_f1": float(np.mean(f[present])) if present else 0.0,
        "top3_accuracy": float(top3.mean()),
        "selective_accuracy_70": selective_accuracy(correct, conf),
        "ece": expected_calibration_error(correct, conf),
        "per_class": {
            lbl: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, lbl in enumerate(labels)
        },
        "confusion": {"labels": labels, "matrix": confusion_matrix(y, pred, labels=labels).tolist()},
        "unseen_labels": {lbl: int((y == lbl).sum()) for lbl in unseen},
        "n": n,
    }


def selective_accuracy(correct: np.ndarray, conf: np.ndarray, coverage: float = SELECTIVE_COVERAGE) -> float:
    """Accuracy on the ``coverage`` share of rows with the highest confidence (ties broken stably)."""
    keep = max(1, round(coverage * len(conf)))
    order = np.argsort(-conf, kind="stable")[:keep]
    return float(np.asarray(correct)[order].mean())


def expected_calibration_error(correct: np.ndarray, conf: np.ndarray, bins: int = ECE_BINS) -> float:
    """Top-label ECE with equal-width confidence bins: sum over bins of |accuracy - confidence| x share."""
    conf = np.asarray(conf, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
    return float(ece)


def reliability(correct: np.ndarray, conf: np.ndarray, bins: int = 5) -> list[tuple[float, float, int]]:
    """(mean confidence, accuracy, count) per equal-count confidence bin: what 'calibrated' looks like."""
    order = np.argsort(conf, kind="stable")
    out = []
    for part in np.array_split(order, bins):
        if len(part):
            out.append((float(np.mean(conf[part])), float(np.mean(correct[part])), len(part)))
    return out


def summary(report: dict[str, Any]) -> dict[str, float]:
    """The five headline figures of a head report (the --json schema)."""
    keys = ("accuracy", "macro_f1", "top3_accuracy", "selective_accuracy_70", "ece")
    return {k: round(float(report[k]), 4) for k in keys}
