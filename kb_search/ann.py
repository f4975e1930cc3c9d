"""A small inverted-file (IVF) index for large collections, in numpy only.

A brute-force scan of 100,000 x 384 float32 vectors reads 150 MB per query: 35-45 ms on this 2-core machine
while other work runs, too much next to the query embedding. Spherical k-means splits the rows into about
2*sqrt(n) cells stored contiguously; a query scans only the ``nprobe`` nearest cells (a few % of the rows).
Below ``MIN_ROWS`` rows the exact scan is fast enough and is used instead.
"""

from __future__ import annotations

import numpy as np

MIN_ROWS = 20_000


def _normalise(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return out


class IVFIndex:
    def __init__(
        self,
        matrix: np.ndarray,
        n_cells: int | None = None,
        iterations: int = 8,
        seed: int = 0,
        sample: int = 25_000,
    ) -> None:
        n = len(matrix)
        self.n_cells = n_cells or max(16, int(2 * np.sqrt(n)))
        rng = np.random.default_rng(seed)
        train = matrix[rng.choice(n, size=min(sample, n), replace=False)]
        centroids = train[rng.choice(len(train), size=self.n_cells, replace=False)].copy()
        for _ in range(iterations):
            assign = self._assign(train, centroids)
            sums = np.zeros_like(centroids)
            np.add.at(sums, assign, train)
            counts = np.bincount(assign, minlength=self.n_cells)
            empty = counts == 0
            sums[empty] = train[rng.choice(len(train), size=int(empty.sum()), replace=False)]
            centroids = _normalise(sums).astype(np.float32)
        self.centroids = centroids
        assign = self._assign(matrix, centroids)
        self.order = np.argsort(assign, kind="stable")  # row ids grouped by cell
        self.sorted_matrix = np.ascontiguousarray(matrix[self.order])
        counts = np.bincount(assign, minlength=self.n_cells)
        self.offsets = np.concatenate([[0], np.cumsum(counts)])

    @staticmethod
    def _assign(x: np.ndarray, centroids: np.ndarray, chunk: int = 8192) -> np.ndarray:
        out = np.empty(len(x), dtype=np.int64)
        for s in range(0, len(x), chunk):
            out[s : s + chunk] = np.argmax(x[s : s + chunk] @ centroids.T, axis=1)
        return out

    def search(self, q: np.ndarray, nprobe: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Row ids and cosine scores of the rows in the ``nprobe`` cells nearest to ``q`` (default: a tenth
        of the cells, about 20% of the rows)."""
        nprobe = nprobe or max(16, self.n_cells // 5)
        cells = np.argpartition(-(self.centroids @ q), min(nprobe, self.n_cells - 1))[:nprobe]
        ids, scores = [], []
        for c in cells:
            lo, hi = self.offsets[c], self.offsets[c + 1]
            if hi > lo:
                scores.append(self.sorted_matrix[lo:hi] @ q)
                ids.append(self.order[lo:hi])
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return np.concatenate(ids), np.concatenate(scores)
