"""A query adapter learned from resolved tickets: a residual linear map on the query embedding.

Why: the general-purpose sentence model places a long ticket ("Dear Support, since the last update our
invoices ...") and the answer that resolved it further apart than the words they share suggest. A
deployment's own history of (ticket text, answer that solved it) pairs teaches a 384x384 correction of the
*query* side, ``q' = normalise(q + q W)``, trained with in-batch negatives (InfoNCE). Documents are not
touched, so the embedding cache, the IVF index and the article vectors stay valid, and applying it costs one
small matrix-vector product per query.

Measured with benchmarks/kb.py on tobi-bueck-tickets-en (adapter fitted on train.csv.gz minus the dev sample,
epochs and temperature chosen on the dev sample): see kb_search/README.md. The adapter is tied to the model
that produced the vectors (``model_tag``) and is only applied to vectors of that model.

It is a library function, not shipped weights: a model fitted on a data set inherits that data set's license,
so each deployment fits its own from its own tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True, slots=True)
class QueryAdapter:
    weight: np.ndarray  # (dim, dim): q' = normalise(q + q @ weight)
    model_tag: str = ""

    def apply(self, queries: np.ndarray) -> np.ndarray:
        """Adapted, L2-normalised query vectors; accepts one vector or a (n, dim) matrix."""
        x = np.asarray(queries, dtype=np.float32)
        out = x + x @ self.weight
        norm = np.linalg.norm(out, axis=-1, keepdims=True)
        result: np.ndarray = (out / np.maximum(norm, 1e-9)).astype(np.float32)
        return result

    def save(self, path: str | Path) -> None:
        with open(path, "wb") as fh:
            np.savez(fh, weight=self.weight.astype(np.float32), model_tag=np.array(self.model_tag))

    @classmethod
    def load(cls, path: str | Path) -> QueryAdapter:
        with np.load(path) as data:
            return cls(data["weight"].astype(np.float32), str(data["model_tag"]))

    @classmethod
    def fit(
        cls,
        queries: np.ndarray,
        answers: np.ndarray,
        *,
        model_tag: str = "",
        epochs: int = 20,
        temperature: float = 0.05,
        batch_size: int = 256,
        lr: float = 1e-3,
        seed: int = 0,
    ) -> QueryAdapter:
        """Fit on aligned rows (queries[i] was answered by answers[i]; both L2-normalised).

        The map starts at zero (identity adapter) and is trained with the other answers of the batch as
        negatives. Deterministic for a given seed (one torch thread). torch is imported here only: it comes
        with sentence-transformers and nothing on the search path needs it."""
        import torch

        if len(queries) != len(answers) or len(queries) < 2:
            raise ValueError("need at least two aligned (query, answer) pairs")
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            gen = torch.Generator().manual_seed(seed)
            q = torch.tensor(np.asarray(queries, dtype=np.float32))
            a = torch.tensor(np.asarray(answers, dtype=np.float32))
            weight = torch.zeros(q.shape[1], q.shape[1], requires_grad=True)
            opt = torch.optim.Adam([weight], lr=lr)
            for _ in range(epochs):
                perm = torch.randperm(len(q), generator=gen)
                for start in range(0, len(q), batch_size):
                    idx = perm[start : start + batch_size]
                    if len(idx) < 2:
                        continue
                    qq = torch.nn.functional.normalize(q[idx] + q[idx] @ weight, dim=-1)
                    logits = qq @ a[idx].T / temperature
                    loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(idx)))
                    opt.zero_grad()
                    loss.backward()  # type: ignore[no-untyped-call]
                    opt.step()
        finally:
            torch.set_num_threads(threads)
        return cls(weight.detach().numpy().astype(np.float32), model_tag)
