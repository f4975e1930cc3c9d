"""A tampered, damaged or incompatible model directory is refused with a clear ModelLoadError."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest
import skops.io as sio

import classifier
from classifier import ModelLoadError
from classifier.artifact import ARTIFACT, CARD_JSON


@pytest.fixture
def copy(saved: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(saved, tmp_path / "model"))


def _card(path: Path) -> dict:
    return json.loads((path / CARD_JSON).read_text())


def _write_card(path: Path, card: dict) -> None:
    (path / CARD_JSON).write_text(json.dumps(card))


def test_tampered_artifact(copy: Path) -> None:
    data = bytearray((copy / ARTIFACT).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / ARTIFACT).write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="SHA-256"):
        classifier.load(copy)


def test_other_scikit_learn_version(copy: Path) -> None:
    card = _card(copy)
    card["versions"]["scikit-learn"] = "1.2.2"
    _write_card(copy, card)
    with pytest.raises(ModelLoadError, match=r"scikit-learn 1\.2\.2.*retrain"):
        classifier.load(copy)


def test_newer_skops(copy: Path) -> None:
    card = _card(copy)
    card["versions"]["skops"] = "99.0"
    _write_card(copy, card)
    with pytest.raises(ModelLoadError, match="skops"):
        classifier.load(copy)


def test_other_format_version(copy: Path) -> None:
    card = _card(copy)
    card["format_version"] = 999
    _write_card(copy, card)
    with pytest.raises(ModelLoadError, match="format"):
        classifier.load(copy)


def test_missing_and_broken_cards(copy: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="no model"):
        classifier.load(tmp_path / "nowhere")
    (copy / CARD_JSON).write_text("{not json")
    with pytest.raises(ModelLoadError, match="not a valid model card"):
        classifier.load(copy)


def test_untrusted_type_is_refused_even_with_a_matching_hash(copy: Path) -> None:
    """Someone who rewrites the card too still cannot make the loader build an arbitrary type."""
    art = copy / ARTIFACT
    sio.dump({"x": Path("/tmp")}, art)  # a pathlib object: not on the allow-list
    card = _card(copy)
    card["artifact"]["sha256"] = hashlib.sha256(art.read_bytes()).hexdigest()
    _write_card(copy, card)
    with pytest.raises(ModelLoadError, match="does not trust"):
        classifier.load(copy)


def test_unexpected_structure(copy: Path) -> None:
    art = copy / ARTIFACT
    sio.dump({"format_version": 1, "heads": {}}, art, compression=zipfile.ZIP_DEFLATED)
    card = _card(copy)
    card["artifact"]["sha256"] = hashlib.sha256(art.read_bytes()).hexdigest()
    _write_card(copy, card)
    with pytest.raises(ModelLoadError, match="unexpected structure"):
        classifier.load(copy)


def test_truncated_archive(copy: Path) -> None:
    art = copy / ARTIFACT
    art.write_bytes(art.read_bytes()[:1000])
    card = _card(copy)
    card["artifact"]["sha256"] = hashlib.sha256(art.read_bytes()).hexdigest()
    _write_card(copy, card)
    with pytest.raises(ModelLoadError, match="could not be read"):
        classifier.load(copy)
