"""A small model trained once per session on synthetic tickets (tests/classifier/synth.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import classifier
from tests.classifier.synth import tickets

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "classifier"


def as_training(rows: list[dict[str, str]]) -> tuple[list[str], dict[str, list[str]]]:
    texts = [f"{r['subject']}. {r['body']}" for r in rows]
    return texts, {
        "category": [r["queue"] for r in rows],
        "type": [r["type"] for r in rows],
        "priority": [r["priority"] for r in rows],
    }


@pytest.fixture(scope="session")
def trained() -> classifier.TicketClassifier:
    texts, labels = as_training(tickets(300, seed=3))
    return classifier.train(texts, labels, seed=0)


@pytest.fixture(scope="session")
def saved(trained: classifier.TicketClassifier, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model") / "classifier"
    trained.save(out)
    return out
