"""The classifier port served by the shipped model: taxonomy ids, calibrated confidences, graceful
refusals, and the configured taxonomy file."""

from __future__ import annotations

from pathlib import Path

import yaml

from atende.adapters.ml import ModelClassifier
from atende.adapters.standins import CATEGORY_KEYWORDS, KeywordClassifier
from atende.settings import REPO_ROOT, load_settings

MODEL = REPO_ROOT / "models" / "classifier"
IT_TAXONOMY = REPO_ROOT / "dialog" / "taxonomy" / "it.yaml"


async def test_shipped_model_serves_the_port_with_taxonomy_ids() -> None:
    clf = ModelClassifier(MODEL, fallback=KeywordClassifier(), taxonomy_file=IT_TAXONOMY)
    result = await clf.classify("No puedo conectarme a la VPN desde casa, me da error de autenticación", "es")
    assert clf.status.startswith("loaded")
    assert result.model_version.startswith("atende-triage-classifier")
    assert list(clf.categories) == list(CATEGORY_KEYWORDS)
    assert result.category.label == "network"
    assert result.type.label in ("incident", "request")
    assert result.priority.label in ("low", "medium", "high")
    assert 0 < result.category.confidence <= 1
    probs = [p for _, p in result.category.top]
    assert result.category.top[0][0] == result.category.label
    assert probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-6


async def test_the_configured_taxonomy_file_decides_the_categories(tmp_path: Path) -> None:
    data = yaml.safe_load(IT_TAXONOMY.read_text(encoding="utf-8"))
    data["categories"] = [c for c in data["categories"] if c["id"] != "printing"]
    edited = tmp_path / "desk.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    settings = load_settings(taxonomy_file=edited)
    assert settings.resolved_taxonomy_file == edited
    assert load_settings().resolved_taxonomy_file == IT_TAXONOMY
    clf = ModelClassifier(MODEL, fallback=KeywordClassifier(), taxonomy_file=settings.resolved_taxonomy_file)
    result = await clf.classify("the printer on floor 2 is jammed again", "en")
    assert "printing" not in clf.categories and result.category.label != "printing"


async def test_broken_taxonomy_falls_back_and_says_why(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    data = yaml.safe_load(IT_TAXONOMY.read_text(encoding="utf-8"))
    data["categories"][1]["id"] = "E-mail"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    clf = ModelClassifier(MODEL, fallback=KeywordClassifier(), taxonomy_file=broken)
    result = await clf.classify("printer is jammed", "en")
    assert result.model_version == KeywordClassifier().version
    assert "broken.yaml: category #2" in clf.status and "'E-mail'" in clf.status


async def test_text_the_model_refuses_is_answered_by_the_stand_in() -> None:
    clf = ModelClassifier(MODEL, fallback=KeywordClassifier())
    result = await clf.classify("", "en")
    assert result.model_version == KeywordClassifier().version


async def test_missing_model_falls_back_and_says_so(tmp_path: Path) -> None:
    clf = ModelClassifier(tmp_path / "nothing-here", fallback=KeywordClassifier())
    result = await clf.classify("printer is jammed", "en")
    assert clf.status.startswith("keyword stand-in")
    assert result.model_version == KeywordClassifier().version
    assert result.category.label == "printing"


async def test_keyword_stand_in_speaks_the_it_taxonomy() -> None:
    stand_in = KeywordClassifier()
    cases = {
        "olvidé mi contraseña y mi cuenta está bloqueada": "access",
        "a VPN não conecta": "network",
        "Outlook won't open my mailbox": "email",
        "recibí un correo de phishing": "security",
    }
    for text, expected in cases.items():
        assert (await stand_in.classify(text)).category.label == expected, text
