"""The triage classifier: the cold-start model of the taxonomy, blended with what the desk's own tickets
teach once agents have set or confirmed their categories.

Blending: p = (1 - a) * p_cold + a * p_desk with a = n / (n + blend_n0), n the number of desk tickets the
desk model was trained on. With no desk data it is the cold-start model; with a few dozen tickets the two
weigh about equally; with hundreds the desk model dominates. ``blend_n0`` = 25 was chosen from the learning
curves of benchmarks/triage.py: on real Endava tickets (a desk whose conventions differ from the taxonomy's
examples) the desk model is right far more often after 25-50 tickets (0.66-0.74 against 0.34 cold), and a
larger n0 (100) holds that back (0.38-0.48); on the evaluation set, where the cold start is already at 0.97,
n0 = 25 costs at most 0.02. Categories the desk model never saw keep their cold-start share, and desk
labels that are no longer in the taxonomy are dropped, so editing the taxonomy never breaks a trained desk.

A model directory (format 2) holds ``card.json``, ``MODEL_CARD.md``, ``embeddings.npz`` (the taxonomy
examples' vectors, so loading does not embed them again) and, after ``atende train --from-db``,
``desk.skops`` (the desk model, see desk.py). The taxonomy itself is read from its file at load time; the
card records the hash of the file it was built and measured with.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from classifier.coldstart import ColdStartConfig, ColdStartModel
from classifier.cues import priority_prior, type_request_probability
from classifier.desk import FILE as DESK_SKOPS
from classifier.desk import DeskModel
from classifier.encoder import Encoder, load_encoder
from classifier.errors import ModelLoadError
from classifier.taxonomy import Taxonomy, load_taxonomy

FORMAT_VERSION = 2
KIND = "triage"
CARD_JSON = "card.json"
CARD_MD = "MODEL_CARD.md"
EMBEDDINGS = "embeddings.npz"
DESK_FILE = DESK_SKOPS
TYPES = ("incident", "request")
PRIORITIES = ("low", "medium", "high")
DEFAULT_BLEND_N0 = 25.0


class TriageModel:
    """predict_proba over the three heads, the interface TicketClassifier wraps (see api.py)."""

    heads = ("category", "type", "priority")

    def __init__(
        self,
        taxonomy: Taxonomy,
        cold: ColdStartModel,
        desk: Any = None,
        desk_rows: int = 0,
        blend_n0: float = DEFAULT_BLEND_N0,
    ) -> None:
        self.taxonomy = taxonomy
        self.cold = cold
        self.desk = desk  # a DeskModel or None
        self.desk_rows = desk_rows
        self.blend_n0 = blend_n0

    @property
    def desk_weight(self) -> float:
        if self.desk is None or self.desk_rows <= 0:
            return 0.0
        return self.desk_rows / (self.desk_rows + self.blend_n0)

    def labels(self, head: str) -> list[str]:
        if head == "category":
            return self.taxonomy.ids
        if head == "type":
            return list(TYPES)
        if head == "priority":
            return list(PRIORITIES)
        raise KeyError(head)

    def predict_proba(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        emb = self.cold.encode(texts)
        cat = self.cold.predict_proba(texts, emb)
        a = self.desk_weight
        if self.desk is not None and a > 0:
            cat = _blend(cat, self.taxonomy.ids, self.desk.predict_proba(texts, emb), self.desk.classes, a)
        defaults = np.array([1.0 if c.default_type == "request" else 0.0 for c in self.taxonomy.categories])
        p_req = np.empty(len(texts))
        for i, text in enumerate(texts):
            inc = type_request_probability(text, "incident")
            req = type_request_probability(text, "request")
            share = float(cat[i] @ defaults)  # probability mass of categories that default to request
            p_req[i] = share * req + (1 - share) * inc
        typ = np.column_stack([1 - p_req, p_req])
        pri = np.array([[priority_prior(t)[k] for k in PRIORITIES] for t in texts])
        return {"category": cat, "type": typ, "priority": pri}


def _blend(base: np.ndarray, ids: list[str], other: np.ndarray, other_ids: list[str], a: float) -> np.ndarray:
    """(1 - a) * base + a * other over ``ids``. Classes of ``other`` no longer in ``ids`` (removed from the
    taxonomy since) are dropped and ``other`` renormalised; classes of ``ids`` that ``other`` never knew
    (added since) keep their ``base`` probability."""
    mapped = np.zeros_like(base)
    for j, lbl in enumerate(other_ids):
        if lbl in ids:
            mapped[:, ids.index(lbl)] = other[:, j]
    mass = mapped.sum(axis=1, keepdims=True)
    mapped = np.divide(mapped, mass, out=base.copy(), where=mass > 0)
    known = np.array([lbl in other_ids for lbl in ids])
    # Categories the desk model cannot predict keep their cold-start probability.
    out = (1 - a) * base + a * mapped
    out[:, ~known] = base[:, ~known]
    return np.asarray(out / out.sum(axis=1, keepdims=True))


def build(
    taxonomy: Taxonomy,
    *,
    encoder: Encoder | bool | None = True,
    config: ColdStartConfig | None = None,
    temperature: float | None = None,
    cache: Mapping[str, np.ndarray] | None = None,
    desk: Any = None,
    desk_rows: int = 0,
    blend_n0: float = DEFAULT_BLEND_N0,
) -> TriageModel:
    """A triage model for ``taxonomy``. ``encoder=True`` uses e5 when installed, False forces char n-grams."""
    enc = load_encoder() if encoder is True else (encoder or None)
    cold = ColdStartModel(taxonomy, enc, config, temperature, dict(cache or {}))
    return TriageModel(taxonomy, cold, desk, desk_rows, blend_n0)


def new_card(model: TriageModel, provenance: Mapping[str, Any] | None = None) -> dict[str, Any]:
    cold = model.cold
    return {
        "name": "atende-triage-classifier",
        "kind": KIND,
        "format_version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "heads": {h: model.labels(h) for h in model.heads},
        "taxonomy": {"file": model.taxonomy.source, "sha256": model.taxonomy.sha256},
        "cold_start": {
            "mode": cold.mode,
            "encoder": cold.encoder.name if cold.encoder is not None else None,
            "config": cold.config.to_dict(),
            "temperature": cold.temperature,
            "rows": cold.rows,
        },
        "desk": {"rows": model.desk_rows, "blend_n0": model.blend_n0, "weight": round(model.desk_weight, 4)},
        "training": dict(provenance or {}),
        "metrics": {},
    }


def save(
    model: TriageModel, out_dir: Path, card: dict[str, Any], render_md: Callable[[dict[str, Any]], str]
) -> dict[str, Any]:
    """Write the model directory atomically (files first into a temporary folder, then moved in)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".tmp-") as tmp:
        cache = model.cold.embedding_cache()
        keys = sorted(cache)
        emb_path = Path(tmp) / EMBEDDINGS
        np.savez_compressed(
            emb_path,
            keys=np.array(keys, dtype=str),
            vectors=np.array([cache[k] for k in keys], dtype=np.float16).reshape(len(keys), -1),
        )
        digest = hashlib.sha256(emb_path.read_bytes()).hexdigest()
        desk_sha = model.desk.save(Path(tmp)) if model.desk is not None else None
        ident = json.dumps([card.get("taxonomy"), card.get("cold_start"), card.get("desk"), desk_sha])
        card = {
            **card,
            "format_version": FORMAT_VERSION,
            "kind": KIND,
            "version": f"{card.get('name', 'model')}-{hashlib.sha256(ident.encode()).hexdigest()[:12]}",
            "artifact": {"file": EMBEDDINGS, "sha256": digest, "desk_sha256": desk_sha},
            "versions": _versions(),
        }
        text = json.dumps(card, indent=2, sort_keys=True) + "\n"
        (Path(tmp) / CARD_JSON).write_text(text, encoding="utf-8")
        (Path(tmp) / CARD_MD).write_text(render_md(card), encoding="utf-8")
        names = [EMBEDDINGS, CARD_JSON, CARD_MD] + ([DESK_FILE] if model.desk is not None else [])
        if model.desk is None and (out_dir / DESK_FILE).exists():
            (out_dir / DESK_FILE).unlink()
        for stale in ("model.skops",):  # a format-1 model written here before
            if (out_dir / stale).exists():
                (out_dir / stale).unlink()
        for name in names:
            os.replace(Path(tmp) / name, out_dir / name)
    return card


def load(
    model_dir: Path, card: dict[str, Any], taxonomy_file: Path | None, encoder: Encoder | bool | None = True
) -> TriageModel:
    """Rebuild the model for the taxonomy file (default: the one the card names, next to the sources)."""
    path = taxonomy_file or default_taxonomy_file()
    taxonomy = load_taxonomy(path)
    emb_path = model_dir / EMBEDDINGS
    cache: dict[str, np.ndarray] = {}
    if emb_path.is_file():
        data = emb_path.read_bytes()
        if hashlib.sha256(data).hexdigest() != card.get("artifact", {}).get("sha256"):
            raise ModelLoadError(f"{emb_path} does not match the SHA-256 in its model card; retrain")
        with np.load(emb_path, allow_pickle=False) as npz:
            cache = {str(k): v.astype(np.float32) for k, v in zip(npz["keys"], npz["vectors"], strict=True)}
    cold = card.get("cold_start", {})
    try:
        config = ColdStartConfig(**cold.get("config", {}))
    except TypeError as exc:
        raise ModelLoadError(f"{model_dir / CARD_JSON}: bad cold_start config: {exc}") from None
    enc = load_encoder() if encoder is True else (encoder or None)
    # The stored temperature was fitted for the stored mode (with or without the encoder).
    same_mode = cold.get("mode") == ("e5+char" if enc is not None else "char")
    temperature = cold.get("temperature") if same_mode else None
    desk = None
    desk_info = card.get("desk", {})
    desk_sha = card.get("artifact", {}).get("desk_sha256")
    if desk_sha:
        if not (model_dir / DESK_FILE).is_file():
            raise ModelLoadError(f"{model_dir / DESK_FILE} is missing (the model card names it); retrain")
        desk = DeskModel.load(model_dir / DESK_FILE, desk_sha, enc)
    return build(
        taxonomy,
        encoder=enc,
        config=config,
        temperature=temperature,
        cache=cache,
        desk=desk,
        desk_rows=int(desk_info.get("rows", 0)) if desk is not None else 0,
        blend_n0=float(desk_info.get("blend_n0", DEFAULT_BLEND_N0)),
    )


def default_taxonomy_file() -> Path:
    """The shipped IT taxonomy, located as a file next to this package's source tree (no import of the
    dialog package: the composition root normally hands the configured file in)."""
    return Path(__file__).resolve().parent.parent / "dialog" / "taxonomy" / "it.yaml"


def _versions() -> dict[str, str]:
    from classifier.artifact import library_versions

    return library_versions()
