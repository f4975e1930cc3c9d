"""The desk's category set as a data file: loaded and validated, and adding, renaming or removing a
category works end to end on the dialog side (questions, clarifying options, KB filter, stored category)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from shutil import copy
from typing import Any

import pytest
import yaml

from atende.adapters.standins import KeywordClassifier, KeywordKnowledgeBase
from dialog.engine import DialogEngine
from dialog.playbooks import PlaybookError
from dialog.ports import ArticleSuggestion
from dialog.settings import EngineSettings
from dialog.taxonomy import Taxonomy, TaxonomyError
from tests.dialog.conftest import Desk
from tests.dialog.keywords import IT_KEYWORDS
from tests.dialog.transcript import contains, converse, press

DIALOG = Path(__file__).resolve().parents[2] / "dialog"
IDS = ("access", "email", "network", "hardware", "printing", "software", "security", "outage", "data",
       "other")


def shipped() -> dict[str, Any]:
    raw = yaml.safe_load((DIALOG / "taxonomy" / "it.yaml").read_text("utf-8"))
    assert isinstance(raw, dict)
    return raw


def write(tmp_path: Path, raw: dict[str, Any], name: str = "taxonomy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return path


def test_the_default_taxonomy_is_the_it_desk() -> None:
    taxonomy = Taxonomy.load()
    assert taxonomy.ids == IDS
    assert taxonomy.name("es", "printing") == "Impresión y escáneres"
    assert taxonomy.playbook("access") == "access" and taxonomy.default_type("access") == "incident"
    assert taxonomy.name("en", "gone_category") == "Gone category"  # an old ticket's id still shows


@pytest.mark.parametrize(("edit", "message"), [
    (lambda r: r["categories"][4]["names"].pop("pt"), r"category 5 \(printing\): field 'names'.*'pt'"),
    (lambda r: r["categories"][0].update(id="Access!"), r"category 1: field 'id' 'Access!'"),
    (lambda r: r["categories"][1].update(default_type="problem"),
     r"category 2 \(email\): field 'default_type'.*problems and changes are for agents"),
    (lambda r: r["categories"][2]["examples"].update(en="vpn"),
     r"category 3 \(network\): field 'examples'.en"),
    (lambda r: r["categories"].append(dict(r["categories"][0])), r"category 'access' is defined twice"),
    (lambda r: r.update(version=2), r"field 'version' must be 1"),
    (lambda r: r.pop("categories"), r"'categories' list"),
])
def test_a_broken_file_names_the_file_the_category_and_the_field(
        tmp_path: Path, edit: Callable[[dict[str, Any]], object], message: str) -> None:
    raw = shipped()
    edit(raw)
    path = write(tmp_path, raw)
    with pytest.raises(TaxonomyError, match=message) as info:
        Taxonomy.load(path)
    assert str(path) in str(info.value)


def test_unreadable_or_not_yaml(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="cannot read"):
        Taxonomy.load(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories: [unclosed", "utf-8")
    with pytest.raises(TaxonomyError, match="not valid YAML"):
        Taxonomy.load(bad)


def test_a_category_naming_a_missing_playbook_is_refused_at_start(make_engine: Callable[..., Desk],
                                                                   tmp_path: Path) -> None:
    raw = shipped()
    raw["categories"][4]["playbook"] = "printers_v2"
    with pytest.raises(PlaybookError, match="category 'printing': playbook 'printers_v2' not found"):
        make_engine(taxonomy_file=write(tmp_path, raw))


class RecordingKB(KeywordKnowledgeBase):
    """The keyword KB, remembering the category filter each search was given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters: list[str | None] = []

    async def suggest(self, query: str, language: str, category: str | None = None,
                      k: int = 3) -> list[ArticleSuggestion]:
        self.filters.append(category)
        return await super().suggest(query, language, category, k)


FACILITIES = {
    "id": "facilities",
    "names": {"es": "Instalaciones", "pt": "Instalações", "en": "Facilities"},
    "description": {"es": "Salas, climatización, mobiliario", "pt": "Salas, climatização, mobiliário",
                    "en": "Rooms, air conditioning, furniture"},
    "examples": {"es": ["hace mucho calor en la sala"], "pt": ["o ar-condicionado parou"],
                 "en": ["the air conditioning is broken"]},
    "playbook": "facilities",
    "default_type": "incident",
}
FACILITIES_PLAYBOOK = """category: facilities
questions:
  - id: room
    kind: text
    min_length: 2
    prompt: {en: "Which room or floor?", es: "¿Qué sala o planta?", pt: "Qual sala ou andar?"}
"""


async def test_adding_a_category_works_end_to_end(make_engine: Callable[..., Desk], tmp_path: Path) -> None:
    raw = shipped()
    raw["categories"].insert(0, FACILITIES)
    books = tmp_path / "playbooks"
    books.mkdir()
    for file in (DIALOG / "playbooks").glob("*.yaml"):
        copy(file, books)
    (books / "facilities.yaml").write_text(FACILITIES_PLAYBOOK, "utf-8")
    keywords = {"facilities": ("air conditioning", "aire acondicionado", "calor"), **IT_KEYWORDS}
    kb = RecordingKB()
    desk = make_engine(taxonomy_file=write(tmp_path, raw), playbooks_dir=books,
                       classifier=KeywordClassifier(keywords), kb=kb)
    await converse(desk, [
        ("user", "the air conditioning in the office is broken"),
        ("bot", contains("Which room or floor?")),
        ("user", "room 4.2"),
        ("bot", contains("Who is affected")),
        ("user", "my team"),
        ("bot", contains("Can you keep working")),
        ("user", "yes, it can wait"),
        ("bot", contains("I've created ticket INC-000001 (Facilities)")),
    ])
    ticket = desk.last()
    assert ticket.category == "facilities" and ticket.answers["room"] == "room 4.2"
    assert ticket.title.startswith("Facilities: ")
    assert kb.filters == ["facilities"]
    await converse(desk, [  # and it is offered by name when the classifier is unsure
        ("user", "new"),
        ("user", "something about the air conditioning or the wifi, not sure"),
        ("bot", contains("which of these describes it best?", has=["cat:facilities", "cat:network"])),
        ("user", "facilities"),
        ("bot", contains("Which room or floor?")),
    ])


async def test_renaming_a_category_changes_what_users_see(make_engine: Callable[..., Desk],
                                                          tmp_path: Path) -> None:
    raw = shipped()
    raw["categories"][4]["names"] = {"es": "Impresión", "pt": "Impressão", "en": "Print room"}
    desk = make_engine(taxonomy_file=write(tmp_path, raw))
    await converse(desk, [
        ("user", "my printer shows offline and will not print"),
        ("user", "the HP by the kitchen"), ("user", "it can wait"), ("user", "no"),
        ("bot", contains("I've created ticket INC-000001 (Print room)")),
    ])
    assert desk.last().category == "printing"  # the id is stable; only the name changed


async def test_removing_a_category_is_never_offered_or_filed(make_engine: Callable[..., Desk],
                                                             tmp_path: Path) -> None:
    raw = shipped()
    raw["categories"] = [c for c in raw["categories"] if c["id"] != "printing"]
    desk = make_engine(taxonomy_file=write(tmp_path, raw))  # the (old) classifier still predicts printing
    await converse(desk, [
        ("user", "my printer shows offline and will not print"),
        ("bot", lambda r: r.options and "cat:printing" not in [o.id for o in r.options]),
        ("user", press("cat:other")),
        ("user", "just me"), ("user", "it can wait"), ("user", "no"),
        ("bot", contains("I've created ticket INC-000001 (Other)")),
    ])
    assert desk.last().category == "other"


def test_engine_reads_the_taxonomy_file_setting(tmp_path: Path) -> None:
    raw = shipped()
    raw["categories"][0]["names"]["en"] = "Logins"
    path = write(tmp_path, raw)
    engine = DialogEngine(KeywordClassifier(), KeywordKnowledgeBase(), None, None, None,  # type: ignore[arg-type]
                          EngineSettings(taxonomy_file=path))  # the ports are not used to build it
    assert engine.taxonomy.name("en", "access") == "Logins"


async def test_the_support_preset_runs_with_its_playbooks(make_engine: Callable[..., Desk]) -> None:
    support = KeywordClassifier({"billing_and_payments": ("invoice", "charged"), "general_inquiry": ()})
    desk = make_engine(taxonomy_file=DIALOG / "taxonomy" / "support.yaml",
                       playbooks_dir=DIALOG / "playbooks" / "presets" / "support", classifier=support)
    await converse(desk, [("user", "I was charged twice on my last invoice"),
                          ("bot", contains("Invoice or transaction number?"))])  # the issue is inferred
