from __future__ import annotations

from pathlib import Path

import numpy as np

from kb_search import Embedder, EmbeddingCache
from kb_search.ann import IVFIndex
from kb_search.dense import default_model_dir


def test_default_model_is_found_in_the_installed_package() -> None:
    assert (default_model_dir() / "modules.json").exists()


def test_query_fast_path_equals_the_library_encode(embedder: Embedder) -> None:
    for text in ("hola", "my vpn does not connect since this morning " * 30):
        assert np.allclose(embedder.encode_query(text), embedder.encode([text])[0], atol=1e-5)


def test_cache_reuses_vectors_by_content(embedder: Embedder, tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, embedder.tag)
    vecs, new = cache.embed(embedder, ["a printer", "a vpn", "a printer"])
    assert new == 2 and np.allclose(vecs[0], vecs[2])
    again = EmbeddingCache(tmp_path, embedder.tag)  # another process: reads the shards on disk
    vecs2, new2 = again.embed(embedder, ["a vpn", "a printer"])
    assert new2 == 0 and np.allclose(vecs2[1], vecs[0])


def test_ivf_finds_the_exact_neighbours_of_clustered_data() -> None:
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(50, 32))
    x = centers[rng.integers(0, 50, 5000)] + 0.3 * rng.normal(size=(5000, 32))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    ivf = IVFIndex(x, n_cells=40)
    hits = 0
    for q in x[:50]:
        ids, scores = ivf.search(q, nprobe=8)
        exact = set(np.argsort(-(x @ q))[:10].tolist())
        hits += len(exact & set(ids[np.argsort(-scores)[:10]].tolist()))
    assert hits / 500 >= 0.9
