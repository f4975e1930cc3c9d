"""Training end to end, predictions, determinism, save/load round trip and calibration."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import classifier
from classifier.metrics import expected_calibration_error, reliability
from tests.classifier.conftest import as_training
from tests.classifier.synth import tickets


def test_predict_gives_every_head_a_calibrated_answer(trained: classifier.TicketClassifier) -> None:
    out = trained.predict("Ticket: the vpn router crash, server outage since this morning, urgent blocking")
    assert set(out) == {"category", "type", "priority"}
    assert out["category"].label == "Technical Support"
    assert out["type"].label == "Incident" and out["priority"].label == "high"
    for head, pred in out.items():
        probs = [p for _, p in pred.top]
        assert pred.top[0] == (pred.label, pred.confidence)
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0 + 1e-6
        assert pred.label in trained.labels(head)


def test_predict_many_matches_predict(trained: classifier.TicketClassifier) -> None:
    texts = ["refund for a double charge on my invoice", "payroll slip missing, salary contract question"]
    many = trained.predict_many(texts)
    assert [m["category"].label for m in many] == ["Billing and Payments", "Human Resources"]
    assert many[1] == trained.predict(texts[1])


def test_training_is_deterministic_for_a_seed() -> None:
    texts, labels = as_training(tickets(120, seed=5))
    a = classifier.train(texts, labels, seed=7).predict_proba(texts[:20])
    b = classifier.train(texts, labels, seed=7).predict_proba(texts[:20])
    for head in a:
        np.testing.assert_array_equal(a[head], b[head])


def test_save_load_round_trip(trained: classifier.TicketClassifier, saved: Path) -> None:
    loaded = classifier.load(saved)
    texts, _ = as_training(tickets(30, seed=11))
    before, after = trained.predict_proba(texts), loaded.predict_proba(texts)
    for head in before:
        np.testing.assert_allclose(before[head], after[head], atol=2e-3)  # neighbour index stored as float16
        assert loaded.labels(head) == trained.labels(head)
    assert loaded.version == trained.version and loaded.version.startswith("atende-ticket-classifier-")
    card = loaded.card
    assert card["artifact"]["sha256"] and card["versions"]["scikit-learn"]
    assert (saved / "MODEL_CARD.md").read_text().startswith("# Model card")


def test_calibration_on_a_held_split(trained: classifier.TicketClassifier) -> None:
    """On tickets the model never saw, the more confident half is more accurate, and confidence tracks
    accuracy (small expected calibration error)."""
    texts, labels = as_training(tickets(400, seed=21))  # same distribution, unseen tickets
    proba = trained.predict_proba(texts)["category"]
    classes = np.array(trained.labels("category"))
    conf = proba.max(axis=1)
    correct = classes[proba.argmax(axis=1)] == np.array(labels["category"])
    bins = reliability(correct, conf, bins=3)
    assert bins[0][1] < bins[-1][1], bins  # low-confidence third less accurate than the high one
    assert expected_calibration_error(correct, conf) < 0.12


def test_unseen_label_is_reported_not_a_crash(trained: classifier.TicketClassifier) -> None:
    texts, labels = as_training(tickets(20, seed=31))
    labels["category"][0] = "Sales and Pre-Sales"
    report = trained.evaluate(texts, labels)
    assert report["category"]["unseen_labels"] == {"Sales and Pre-Sales": 1}
    assert "Sales and Pre-Sales" in report["category"]["confusion"]["labels"]
    assert report["n"] == 20


def test_a_head_with_one_class_still_trains() -> None:
    texts, labels = as_training(tickets(40, seed=41))
    labels["priority"] = ["medium"] * len(texts)
    clf = classifier.train(texts, labels)
    assert clf.predict("invoice refund")["priority"].label == "medium"
    assert clf.predict("invoice refund")["priority"].confidence == 1.0


def test_weighted_corrections_are_learned() -> None:
    """Agents moved every toner ticket to Human Resources (say, the office manager orders toner): after
    training with the corrections weighted, a new toner ticket goes there too."""
    texts, labels = as_training(tickets(120, seed=51))
    toner = [
        f"Ticket about toner. {w} toner cartridge for the printer on floor {i}"
        for i, w in enumerate(["order", "need", "replace", "buy", "new", "empty", "more", "spare"])
    ]
    texts += toner
    for head, value in {"category": "Human Resources", "type": "Request", "priority": "low"}.items():
        labels[head] += [value] * len(toner)
    weights = [1.0] * (len(texts) - len(toner)) + [3.0] * len(toner)
    clf = classifier.train(texts, labels, weights=weights)
    assert clf.predict("the toner cartridge of our printer is empty")["category"].label == "Human Resources"


def test_a_tiny_skewed_data_set_trains() -> None:
    """Ten tickets, one of them the only 'low': some folds see a single class; training must not fail."""
    texts, labels = as_training(tickets(10, seed=71))
    labels["priority"] = ["medium"] * 9 + ["low"]
    clf = classifier.train(texts, labels)
    assert set(clf.labels("priority")) == {"low", "medium"}
    assert clf.predict(texts[0])["priority"].label in {"low", "medium"}
