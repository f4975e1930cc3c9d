"""The default model in models/classifier loads with no manual step, predicts the IT taxonomy's ids, and
keeps its accuracy floor on the evaluation set (benchmarks/data/triage_eval.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import classifier
from classifier.taxonomy import example_set, load_taxonomy, normalise

REPO = Path(__file__).resolve().parents[2]
TAXONOMY = REPO / "dialog" / "taxonomy" / "it.yaml"
EVAL = REPO / "benchmarks" / "data" / "triage_eval.jsonl"
IT_IDS = [
    "access", "email", "network", "hardware", "printing", "software", "security", "outage", "data", "other"
]


@pytest.fixture(scope="module")
def shipped() -> classifier.TicketClassifier:
    if not (classifier.default_model_dir() / "card.json").exists():
        pytest.skip("no shipped model in models/classifier")
    return classifier.load()


@pytest.fixture(scope="module")
def eval_rows() -> list[dict[str, str]]:
    return [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_shipped_model_predicts_the_it_taxonomy(shipped: classifier.TicketClassifier) -> None:
    assert shipped.labels("category") == IT_IDS
    assert shipped.labels("type") == ["incident", "request"]
    assert shipped.labels("priority") == ["low", "medium", "high"]
    assert shipped.card["taxonomy"]["sha256"] == load_taxonomy(TAXONOMY).sha256, (
        "it.yaml changed: rebuild the shipped model with `atende train --cold-start --eval-data "
        "benchmarks/data/triage_eval.jsonl --out models/classifier`"
    )
    out = shipped.predict("My account is locked and I need a password reset")
    assert out["category"].label == "access"
    files = [p for p in classifier.default_model_dir().rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 2_000_000


def test_shipped_model_reads_spanish_and_portuguese(shipped: classifier.TicketClassifier) -> None:
    es = shipped.predict("necesito que me instalen Power BI", "es")
    pt = shipped.predict("a impressora do financeiro está sem toner", "pt")
    assert es["category"].label == "software" and es["type"].label == "request"
    assert pt["category"].label == "printing" and pt["type"].label == "incident"


def test_cold_start_accuracy_floor_per_language(
    shipped: classifier.TicketClassifier, eval_rows: list[dict[str, str]]
) -> None:
    """A floor, not the measured figure (0.94-0.96 first guess at the time of writing): it catches a
    taxonomy edit or a code change that breaks triage, without failing on one report more or less."""
    for lang in ("es", "pt", "en"):
        rows = [r for r in eval_rows if r["language"] == lang]
        preds = shipped.predict_many([r["text"] for r in rows])
        pairs = list(zip(preds, rows, strict=True))
        first = sum(p["category"].label == r["category"] for p, r in pairs) / len(rows)
        top3 = sum(r["category"] in [c for c, _ in p["category"].top] for p, r in pairs)
        typ = sum(p["type"].label == r["type"] for p, r in pairs) / len(rows)
        asked = sum(p["category"].confidence < 0.5 for p in preds) / len(rows)
        assert first >= 0.85, (lang, first)
        assert top3 / len(rows) >= 0.95, (lang, top3)
        assert typ >= 0.88, (lang, typ)
        assert asked <= 0.25, (lang, asked)


def test_eval_set_is_balanced_labelled_and_apart_from_the_examples(eval_rows: list[dict[str, str]]) -> None:
    tax = load_taxonomy(TAXONOMY)
    assert [sum(r["language"] == lang for r in eval_rows) for lang in ("es", "pt", "en")] == [50, 50, 50]
    assert {r["category"] for r in eval_rows} == set(tax.ids)
    assert {r["type"] for r in eval_rows} <= {"incident", "request"}
    examples = example_set(tax)
    overlap = [r["text"] for r in eval_rows if normalise(r["text"]) in examples]
    assert not overlap, overlap
    # Not even near-copies: no report shares 80% of its word trigrams with an example.
    grams = [_trigrams(e) for e in examples]
    near = [
        r["text"] for r in eval_rows if any(_jaccard(_trigrams(normalise(r["text"])), g) > 0.8 for g in grams)
    ]
    assert not near, near


def test_shipped_taxonomy_has_enough_examples() -> None:
    tax = load_taxonomy(TAXONOMY)
    assert tax.ids == IT_IDS
    for cat in tax.categories:
        assert set(cat.names) == set(cat.description) == set(cat.examples) == {"es", "pt", "en"}
        assert all(len(v) >= 12 for v in cat.examples.values()), cat.id


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = text.split()
    return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def _jaccard(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0
