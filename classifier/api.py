"""The package's public face: train, load, predict, evaluate.

Callers (the composition root's adapter, the CLI, the benchmark) only need this module; the estimator and
the file format stay private so either can change without touching them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from classifier import artifact, lexicon, triage
from classifier.card import render_markdown
from classifier.coldstart import ColdStartConfig
from classifier.desk import DeskModel
from classifier.encoder import Encoder
from classifier.errors import DataError, EmptyInputError, InputTooLongError, InvalidInputError, ModelLoadError
from classifier.metrics import head_report, summary
from classifier.model import HEADS, Config, TicketModel, fit, n_steps
from classifier.taxonomy import load_taxonomy
from classifier.text import clean, prepare
from classifier.triage import TriageModel

MAX_CHARS = 20_000
TOP_K = 3


@dataclass(frozen=True, slots=True)
class HeadPrediction:
    """One head's answer: best label, its calibrated probability, and the best ``TOP_K`` with theirs."""

    label: str
    confidence: float
    top: tuple[tuple[str, float], ...]


class TicketClassifier:
    """A trained model with its card. Thread-safe for prediction (nothing is mutated)."""

    max_chars = MAX_CHARS

    def __init__(self, model: TicketModel | TriageModel, card: dict[str, Any]) -> None:
        self._model = model
        self._card = card

    @property
    def triage(self) -> TriageModel | None:
        """The taxonomy-based model (format 2), or None for a model trained on labelled CSV (format 1)."""
        return self._model if isinstance(self._model, TriageModel) else None

    @property
    def version(self) -> str:
        return str(self._card.get("version", "unsaved"))

    @property
    def card(self) -> dict[str, Any]:
        return self._card

    @property
    def heads(self) -> tuple[str, ...]:
        return tuple(self._model.heads)

    def labels(self, head: str) -> list[str]:
        """The labels a head can predict: taxonomy ids for a triage model's category head, the training
        data's spelling (e.g. "Technical Support") for a model trained on a CSV export."""
        if isinstance(self._model, TriageModel):
            return self._model.labels(head)
        return [str(c) for c in self._model.heads[head].classes]

    def predict(
        self, text: str, language: str | None = None, *, truncate: bool = False
    ) -> dict[str, HeadPrediction]:
        """Classify one text. ``language`` ("es", "pt", "en"...) is a hint; without it es/pt is detected.
        Raises InvalidInputError, EmptyInputError, or InputTooLongError (unless ``truncate``)."""
        return self.predict_many([text], language, truncate=truncate)[0]

    def predict_many(
        self, texts: Sequence[str], language: str | None = None, *, truncate: bool = False
    ) -> list[dict[str, HeadPrediction]]:
        proba = self.predict_proba(texts, language, truncate=truncate)
        out: list[dict[str, HeadPrediction]] = [{} for _ in texts]
        for head, p in proba.items():
            classes = self.labels(head)
            order = np.argsort(-p, axis=1, kind="stable")[:, :TOP_K]
            for i, row in enumerate(order):
                top = tuple((classes[j], round(float(p[i, j]), 6)) for j in row)
                out[i][head] = HeadPrediction(label=top[0][0], confidence=top[0][1], top=top)
        return out

    def predict_proba(
        self, texts: Sequence[str], language: str | None = None, *, truncate: bool = False
    ) -> dict[str, np.ndarray]:
        """Probabilities per head, columns in ``labels(head)`` order (for evaluation and benchmarks)."""
        if isinstance(texts, str | bytes):
            raise InvalidInputError("predict_many/predict_proba expect a sequence of texts, not one text")
        checked = [_checked(t, truncate) for t in texts]
        if not checked:
            return {h: np.zeros((0, len(self.labels(h)))) for h in self.heads}
        if isinstance(self._model, TriageModel):
            return self._model.predict_proba([clean(t) for t in checked])
        return self._model.predict_proba([prepare(t, language) for t in checked])

    def evaluate(self, texts: Sequence[str], labels: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        """Full report per head (see metrics.head_report) for the heads present in ``labels``."""
        proba = self.predict_proba(texts, truncate=True)
        report: dict[str, Any] = {
            h: head_report(labels[h], proba[h], self.labels(h)) for h in self.heads if h in labels
        }
        report["n"] = len(texts)
        return report

    def save(self, out_dir: Path) -> dict[str, Any]:
        """Write the model directory; the card gets the artifact hash and a version derived from it."""
        if isinstance(self._model, TriageModel):
            self._card = triage.save(self._model, Path(out_dir), self._card, render_markdown)
            return self._card
        self._card = artifact.save(self._model, Path(out_dir), self._card, render_markdown)
        return self._card


def load(
    model_dir: Path | str | None = None,
    taxonomy_file: Path | str | None = None,
    *,
    encoder: Encoder | bool | None = True,
) -> TicketClassifier:
    """Load a model directory (default: the shipped ``models/classifier``). A triage model (format 2) is
    rebuilt for ``taxonomy_file`` (default: the shipped IT taxonomy). Raises ModelLoadError, or
    TaxonomyError for a broken taxonomy file."""
    directory = Path(model_dir) if model_dir is not None else default_model_dir()
    card = _read_card(directory)
    if card is not None and card.get("kind") == triage.KIND:
        if card.get("format_version") != triage.FORMAT_VERSION:
            raise ModelLoadError(
                f"{directory} holds triage model format {card.get('format_version')!r}; this version reads "
                f"format {triage.FORMAT_VERSION}. Rebuild it with `atende train --cold-start`."
            )
        tax = Path(taxonomy_file) if taxonomy_file is not None else None
        return TicketClassifier(triage.load(directory, card, tax, encoder), card)
    model, card = artifact.load(directory)
    return TicketClassifier(model, card)


def build_triage(
    taxonomy_file: Path | str | None = None,
    *,
    encoder: Encoder | bool | None = True,
    config: ColdStartConfig | None = None,
    desk_tickets: tuple[Sequence[str], Sequence[str], Sequence[float]] | None = None,
    blend_n0: float = triage.DEFAULT_BLEND_N0,
    provenance: Mapping[str, Any] | None = None,
) -> TicketClassifier:
    """A triage classifier built from a taxonomy file alone (cold start), or, given ``desk_tickets``
    (texts, taxonomy ids, weights of tickets an agent set or confirmed), blended with a desk model learnt
    from them (see triage.py and desk.py)."""
    taxonomy = load_taxonomy(Path(taxonomy_file) if taxonomy_file else triage.default_taxonomy_file())
    started = time.perf_counter()
    model = triage.build(taxonomy, encoder=encoder, config=config, blend_n0=blend_n0)
    if desk_tickets is not None and len(desk_tickets[0]):
        texts, labels, weights = desk_tickets
        unknown = sorted(set(labels) - set(taxonomy.ids))
        if unknown:
            raise DataError(f"desk tickets with categories not in the taxonomy: {', '.join(unknown)}")
        cold = model.cold
        model.desk = DeskModel.fit(
            taxonomy, cold.encoder, texts, labels, weights, cold.config, cold.embedding_cache()
        )
        model.desk_rows = len(texts)
    seconds = round(time.perf_counter() - started, 1)
    card = triage.new_card(model, {**dict(provenance or {}), "seconds": seconds})
    return TicketClassifier(model, card)


def _read_card(directory: Path) -> dict[str, Any] | None:
    path = directory / triage.CARD_JSON
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ModelLoadError(f"{path} is not a valid model card: {exc}") from None
    return data if isinstance(data, dict) else None


def default_model_dir() -> Path:
    """``models/classifier`` of the source tree this package lives in."""
    return Path(__file__).resolve().parent.parent / "models" / "classifier"


def train(
    texts: Sequence[str],
    labels: Mapping[str, Sequence[str]],
    *,
    weights: Sequence[float] | None = None,
    languages: Sequence[str | None] | None = None,
    seed: int = 0,
    config: Config | None = None,
    on_step: Callable[[str], None] | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> TicketClassifier:
    """Train on raw texts (subject and body already joined) and one label list per head.

    Deterministic for a given seed. ``languages`` (optional, per text) are hints for the es/pt gloss;
    ``provenance`` (data files and hashes, the command) goes into the card."""
    heads = [h for h in labels if h in HEADS] or list(labels)
    if not texts:
        raise DataError("no training rows")
    for h in heads:
        if len(labels[h]) != len(texts):
            raise DataError(f"head {h}: {len(labels[h])} labels for {len(texts)} texts")
    cfg = config or Config(seed=seed)
    started = time.perf_counter()
    hints = list(languages) if languages is not None else [None] * len(texts)
    try:
        prepared = [prepare(_checked(t, truncate=True), lang) for t, lang in zip(texts, hints, strict=True)]
    except (EmptyInputError, InvalidInputError, ValueError) as exc:
        raise DataError(f"unusable training text: {exc}") from exc
    model = fit(prepared, {h: [str(v) for v in labels[h]] for h in heads}, cfg, on_step, weights)
    now = datetime.now(UTC)
    card: dict[str, Any] = {
        "name": "atende-ticket-classifier",
        "version": "unsaved",
        "created": now.isoformat(timespec="seconds"),
        "heads": {h: [str(c) for c in model.heads[h].classes] for h in heads},
        "config": cfg.to_dict(),
        "training": {
            "rows": len(texts),
            "seconds": round(time.perf_counter() - started, 1),
            "lexicon_forms": lexicon.size(),
            **dict(provenance or {}),
        },
        "metrics": {},
    }
    return TicketClassifier(model, card)


def steps(config: Config | None = None, n_heads: int = len(HEADS)) -> int:
    """Number of on_step calls train() makes (for a progress bar)."""
    return n_steps(config or Config(), n_heads)


def record_metrics(clf: TicketClassifier, name: str, sha256: str, report: Mapping[str, Any]) -> None:
    """Put an evaluation's headline figures into the card (saved with the next ``save``)."""
    clf.card.setdefault("metrics", {})[name] = {
        "sha256": sha256,
        "n": report["n"],
        **{h: summary(report[h]) for h in clf.heads if h in report},
    }


def _checked(text: object, truncate: bool) -> str:
    if not isinstance(text, str):
        raise InvalidInputError(f"expected text (str), got {type(text).__name__}")
    if len(text) > MAX_CHARS:
        if not truncate:
            raise InputTooLongError(len(text), MAX_CHARS)
        text = text[:MAX_CHARS]
    if not any(ch.isalnum() for ch in clean(text)):
        raise EmptyInputError("the text has no letters or digits to classify")
    return text
