"""The evaluation figures on small hand-checked examples."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.metrics import expected_calibration_error, head_report, selective_accuracy, summary


def test_head_report_by_hand() -> None:
    classes = ["a", "b", "c", "d"]
    proba = np.array(
        [
            [0.7, 0.1, 0.1, 0.1],  # a, right
            [0.1, 0.6, 0.2, 0.1],  # b, right
            [0.5, 0.4, 0.05, 0.05],  # a, wrong (true c: 3rd choice? no, c is 3rd at 0.05 tie)
            [0.2, 0.3, 0.4, 0.1],
        ]
    )  # c, wrong (true d: 4th)
    r = head_report(["a", "b", "b", "d"], proba, classes)
    assert r["accuracy"] == pytest.approx(0.5)
    assert r["top3_accuracy"] == pytest.approx(0.75)
    assert r["per_class"]["a"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3), "support": 1}
    assert r["confusion"]["labels"] == classes and r["confusion"]["matrix"][1] == [1, 1, 0, 0]
    assert r["selective_accuracy_70"] == pytest.approx(2 / 3)  # 3 most confident: 0.7 a, 0.6 b, 0.5 a
    assert set(summary(r)) == {"accuracy", "macro_f1", "top3_accuracy", "selective_accuracy_70", "ece"}


def test_unseen_label() -> None:
    r = head_report(["x", "a"], np.array([[0.9, 0.1], [0.8, 0.2]]), ["a", "b"])
    assert r["unseen_labels"] == {"x": 1} and r["accuracy"] == 0.5
    assert r["per_class"]["x"]["recall"] == 0.0 and r["confusion"]["labels"] == ["a", "b", "x"]


def test_calibration_error() -> None:
    conf = np.array([0.9] * 10 + [0.6] * 10)
    correct = np.array([True] * 9 + [False] + [True] * 6 + [False] * 4)
    assert expected_calibration_error(correct, conf) == pytest.approx(0.0)
    assert expected_calibration_error(np.array([True, False]), np.array([1.0, 1.0])) == pytest.approx(0.5)


def test_selective_accuracy() -> None:
    assert (
        selective_accuracy(np.array([True, False, True, False]), np.array([0.9, 0.1, 0.8, 0.7]), coverage=0.5)
        == 1.0
    )
