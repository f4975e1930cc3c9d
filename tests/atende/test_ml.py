"""The classifier port served by the shipped model: slugs, calibrated confidences, graceful refusals."""

from __future__ import annotations

from pathlib import Path

from atende.ml import ModelClassifier
from atende.settings import REPO_ROOT
from atende.standins import KeywordClassifier


async def test_shipped_model_serves_the_port_with_slugs() -> None:
    clf = ModelClassifier(REPO_ROOT / "models" / "classifier", fallback=KeywordClassifier())
    result = await clf.classify("No puedo iniciar sesión en la VPN, me da error de autenticación", "es")
    assert clf.status.startswith("loaded")
    assert result.model_version.startswith("atende-ticket-classifier")
    assert result.category.label in clf.categories and result.category.label == result.category.label.lower()
    assert result.type.label in ("incident", "request", "problem", "change")
    assert result.priority.label in ("low", "medium", "high")
    assert 0 < result.category.confidence <= 1
    probs = [p for _, p in result.category.top]
    assert result.category.top[0][0] == result.category.label
    assert probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-6


async def test_text_the_model_refuses_is_answered_by_the_stand_in() -> None:
    clf = ModelClassifier(REPO_ROOT / "models" / "classifier", fallback=KeywordClassifier())
    result = await clf.classify("", "en")
    assert result.model_version == KeywordClassifier().version


async def test_missing_model_falls_back_and_says_so(tmp_path: Path) -> None:
    clf = ModelClassifier(tmp_path / "nothing-here", fallback=KeywordClassifier())
    result = await clf.classify("printer is jammed", "en")
    assert clf.status.startswith("keyword stand-in")
    assert result.model_version == KeywordClassifier().version
