"""The in-domain query adapter: learns a query-side correction from (ticket, answer) pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kb_search import Embedder, FusionParams
from kb_search.adapter import QueryAdapter
from kb_search.evaluate import Ticket, score_matrices


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _pairs(n: int, rng: np.random.Generator, mix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    answers = _unit(rng.normal(size=(n, mix.shape[0])))
    queries = _unit(answers @ mix + 0.3 * rng.normal(size=answers.shape))
    return queries, answers


def _top1(queries: np.ndarray, answers: np.ndarray) -> float:
    return float(np.mean(np.argmax(queries @ answers.T, axis=1) == np.arange(len(queries))))


def test_adapter_learns_the_query_side_shift_and_generalises() -> None:
    rng = np.random.default_rng(0)
    dim = 24
    mix = np.eye(dim) + 0.9 * rng.normal(size=(dim, dim)) / np.sqrt(dim)  # queries live "elsewhere"
    q_train, a_train = _pairs(1500, rng, mix)
    q_test, a_test = _pairs(200, rng, mix)
    adapter = QueryAdapter.fit(q_train, a_train, epochs=20, temperature=0.05)
    assert _top1(adapter.apply(q_test), a_test) > _top1(q_test, a_test) + 0.1


def test_zero_adapter_is_the_identity_and_output_is_normalised(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    q = _unit(rng.normal(size=(5, 8)))
    ident = QueryAdapter(np.zeros((8, 8), np.float32), "m")
    assert np.allclose(ident.apply(q), q, atol=1e-6)
    adapter = QueryAdapter(rng.normal(size=(8, 8)).astype(np.float32), "model-x")
    out = adapter.apply(q[0])  # one vector works too
    assert out.shape == (8,) and np.isclose(np.linalg.norm(out), 1.0, atol=1e-5)
    adapter.save(tmp_path / "a.npz")
    again = QueryAdapter.load(tmp_path / "a.npz")
    assert again.model_tag == "model-x" and np.allclose(again.apply(q), adapter.apply(q))


def test_fit_rejects_misaligned_pairs() -> None:
    with pytest.raises(ValueError):
        QueryAdapter.fit(np.ones((3, 4), np.float32), np.ones((2, 4), np.float32))


def test_score_matrices_maps_only_the_query_vectors(embedder: Embedder) -> None:
    tickets = [
        Ticket("VPN drops every hour", "Reinstall the VPN client and update it.", "en", "1"),
        Ticket("Printer shows paper jam", "Open tray 2 and remove the stuck sheet.", "en", "2"),
    ]
    adapter = QueryAdapter(np.random.default_rng(2).normal(size=(384, 384)).astype(np.float32) * 0.1)
    plain = score_matrices(tickets, "en", embedder.encode)
    adapted = score_matrices(tickets, "en", embedder.encode, query_adapter=adapter)
    assert np.allclose(plain.bm25, adapted.bm25)
    q = embedder.encode([t.query for t in tickets])
    a = embedder.encode([t.answer for t in tickets])
    assert adapted.dense is not None and np.allclose(adapted.dense, adapter.apply(q) @ a.T, atol=1e-5)


def test_params_round_trip_keeps_the_ticket_adapter_settings() -> None:
    params = FusionParams(ticket_adapter={"alpha": 0.2, "epochs": 20.0, "temperature": 0.05})
    assert FusionParams.from_json(params.to_json()).ticket_adapter == params.ticket_adapter
    assert FusionParams.from_json('{"default": {}}').ticket_adapter == {}
