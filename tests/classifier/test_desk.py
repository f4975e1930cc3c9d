"""The desk model and its blend with the cold start: the weight grows with the desk's data, the taxonomy
can change after training without breaking the model, and a tampered desk file is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

import classifier
from classifier.errors import ModelLoadError
from classifier.triage import _blend

REPO = Path(__file__).resolve().parents[2]
IT = REPO / "dialog" / "taxonomy" / "it.yaml"
# This desk files badge and door-card problems under access; the examples never mention them.
DESK = [
    ("my badge doesn't open the door on floor 3", "access"),
    ("door card stopped working at the main entrance", "access"),
    ("the turnstile rejects my badge", "access"),
    ("mi tarjeta de acceso no abre la puerta", "access"),
    ("o crachá não abre a catraca", "access"),
    ("new badge for the visitor tomorrow", "access"),
    ("vpn drops every hour", "network"),
    ("outlook does not receive mail", "email"),
    ("printer on floor 2 jammed", "printing"),
    ("excel crashes on start", "software"),
]


def test_blend_weights_and_taxonomy_changes() -> None:
    base = np.array([[0.7, 0.2, 0.1]])
    other = np.array([[0.1, 0.8, 0.1]])
    out = _blend(base, ["a", "b", "c"], other, ["a", "b", "c"], 0.5)
    assert np.allclose(out, [[0.4, 0.5, 0.1]])
    # "c" removed from the taxonomy since the desk model was trained: its share is dropped.
    out = _blend(base[:, :2] / 0.9, ["a", "b"], other, ["a", "b", "c"], 0.5)
    assert out.shape == (1, 2) and np.isclose(out.sum(), 1.0) and out[0, 1] > out[0, 0]
    # "d" added since: it keeps its cold-start probability.
    out = _blend(np.array([[0.1, 0.1, 0.1, 0.7]]), ["a", "b", "c", "d"], other, ["a", "b", "c"], 0.5)
    assert out.argmax() == 3


def test_desk_model_round_trip_and_taxonomy_edit(tmp_path: Path) -> None:
    texts, labels = [t for t, _ in DESK], [c for _, c in DESK]
    clf = classifier.build_triage(IT, desk_tickets=(texts, labels, [1.0] * len(texts)), blend_n0=2)
    query = "my door badge is not working at the side entrance"
    assert clf.predict(query)["category"].label == "access"
    assert clf.triage is not None and clf.triage.desk_weight == pytest.approx(10 / 12)
    clf.save(tmp_path / "m")
    again = classifier.load(tmp_path / "m", IT)
    assert again.version == clf.version
    assert np.allclose(
        again.predict_proba([query])["category"], clf.predict_proba([query])["category"], atol=1e-4
    )
    # The admin removes "access" after training: the model still loads and never answers "access".
    data = yaml.safe_load(IT.read_text(encoding="utf-8"))
    data["categories"] = [c for c in data["categories"] if c["id"] != "access"]
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    without = classifier.load(tmp_path / "m", edited)
    out = without.predict(query)["category"]
    assert out.label != "access" and "access" not in [c for c, _ in out.top]


def test_tampered_or_missing_desk_file_is_refused(tmp_path: Path) -> None:
    texts, labels = [t for t, _ in DESK], [c for _, c in DESK]
    clf = classifier.build_triage(IT, desk_tickets=(texts, labels, [1.0] * len(texts)))
    clf.save(tmp_path / "m")
    copy = Path(shutil.copytree(tmp_path / "m", tmp_path / "t"))
    data = (copy / "desk.skops").read_bytes()
    (copy / "desk.skops").write_bytes(data[:-8] + b"\0" * 8)
    with pytest.raises(ModelLoadError, match="SHA-256"):
        classifier.load(copy, IT)
    (copy / "desk.skops").unlink()
    with pytest.raises(ModelLoadError, match="missing"):
        classifier.load(copy, IT)
    (copy / "embeddings.npz").write_bytes(b"not an npz")
    with pytest.raises(ModelLoadError, match="SHA-256"):
        classifier.load(copy, IT)


def test_desk_labels_outside_the_taxonomy_are_a_data_error() -> None:
    with pytest.raises(classifier.DataError, match="billing"):
        classifier.build_triage(
            IT, desk_tickets=(["refund please", "vpn down"], ["billing", "network"], [1.0, 1.0])
        )
