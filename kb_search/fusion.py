"""How keyword and semantic evidence are combined, and when nothing is good enough to suggest.

Two numbers per article, for two different jobs:

* the **rank score** orders candidates: each signal is z-normalised over the whole collection for this query
  and the two are mixed with a per-language weight ``alpha``. Per-query standardisation is what beat plain
  reciprocal rank fusion on the tickets dev split (0.74 vs 0.65 MRR@10): it keeps how *far* ahead a document
  is, which RRF throws away.
* the **confidence** decides whether to suggest at all: an absolute mix of the keyword share (normalised
  BM25, see lexical.py) and the cosine similarity, compared with a per-language threshold. z-scores cannot be
  thresholded (the best article of an off-topic query still has a high z-score), absolute values can.

The weights and thresholds are tuned on development queries (benchmarks/kb.py --tune) and shipped in
params.json; a deployment can point ATENDE_KB_PARAMS at its own file.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

PARAMS_FILE = Path(__file__).with_name("params.json")


@dataclass(frozen=True, slots=True)
class LanguageParams:
    alpha: float = 0.35  # weight of the keyword z-score in the ranking (1 - alpha: semantic)
    beta: float = 0.5  # weight of the keyword share in the confidence (1 - beta: cosine)
    threshold: float = 0.35  # hybrid confidence under which nothing is suggested
    bm25_threshold: float = 0.25  # keyword-only confidence threshold (while embeddings are not ready)


@dataclass(frozen=True, slots=True)
class FusionParams:
    default: LanguageParams = LanguageParams()
    languages: dict[str, LanguageParams] = field(default_factory=dict)
    category_boost: float = 0.03  # added to confidence and rank when the article matches the given category
    # Ranking weight for long ticket-style queries (kb eval): tuned separately, long texts favour keywords.
    ticket_alpha: dict[str, float] = field(default_factory=dict)
    # In-domain query adapter for ticket retrieval (adapter.py), tuned on dev data by benchmarks/kb.py:
    # {"alpha": ranking weight with adapted query vectors, "epochs": .., "temperature": ..}; empty: none.
    ticket_adapter: dict[str, float] = field(default_factory=dict)

    def alpha_for_tickets(self, language: str) -> float:
        return self.ticket_alpha.get(language, self.ticket_alpha.get("default", 0.35))

    def for_language(self, language: str) -> LanguageParams:
        return self.languages.get(language, self.default)

    def with_language(self, language: str, **changes: float) -> FusionParams:
        langs = dict(self.languages)
        langs[language] = replace(self.for_language(language), **changes)
        return replace(self, languages=langs)

    def to_json(self) -> str:
        data = {
            "default": asdict(self.default),
            "languages": {k: asdict(v) for k, v in sorted(self.languages.items())},
            "category_boost": self.category_boost,
            "ticket_alpha": dict(sorted(self.ticket_alpha.items())),
            "ticket_adapter": dict(sorted(self.ticket_adapter.items())),
        }
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> FusionParams:
        data = json.loads(text)
        return cls(
            default=LanguageParams(**data.get("default", {})),
            languages={k: LanguageParams(**v) for k, v in data.get("languages", {}).items()},
            category_boost=float(data.get("category_boost", 0.03)),
            ticket_alpha={k: float(v) for k, v in data.get("ticket_alpha", {}).items()},
            ticket_adapter={k: float(v) for k, v in data.get("ticket_adapter", {}).items()},
        )

    @classmethod
    def load(cls, path: str | Path | None = None) -> FusionParams:
        """Explicit path, else $ATENDE_KB_PARAMS, else the shipped params.json, else defaults."""
        candidate = path or os.environ.get("ATENDE_KB_PARAMS") or PARAMS_FILE
        p = Path(candidate)
        if p.exists():
            return cls.from_json(p.read_text(encoding="utf-8"))
        if path:
            raise FileNotFoundError(f"fusion parameters file not found: {p}")
        return cls()


def zscore(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Standardise along ``axis``; a constant row becomes zeros (no evidence either way)."""
    mean = x.mean(axis=axis, keepdims=True)
    std = x.std(axis=axis, keepdims=True)
    return np.where(std > 1e-9, (x - mean) / np.maximum(std, 1e-9), 0.0).astype(np.float32)


def rank_scores(lex: np.ndarray, dense: np.ndarray | None, alpha: float) -> np.ndarray:
    if dense is None:
        return lex
    return (alpha * zscore(lex) + (1 - alpha) * zscore(dense)).astype(np.float32)


def confidence(lex: np.ndarray, dense: np.ndarray | None, beta: float) -> np.ndarray:
    """Keyword share mixed with how far the cosine stands above this query's mean cosine.

    Centering matters for Spanish and Portuguese: the English-centric model gives *every* article a cosine
    of 0.3-0.5 for any non-English sentence (off-topic ones included), so raw cosines cannot be thresholded;
    the margin over the query's own background can."""
    if dense is None:
        return lex
    return (beta * lex + (1 - beta) * (dense - float(dense.mean()))).astype(np.float32)


def rrf(*scores: np.ndarray, k: int = 60) -> np.ndarray:
    """Reciprocal rank fusion along the last axis (kept for comparison in the benchmark)."""
    out = np.zeros_like(scores[0], dtype=np.float64)
    for s in scores:
        ranks = (-s).argsort(axis=-1).argsort(axis=-1) + 1
        out += 1.0 / (k + ranks)
    return out.astype(np.float32)
