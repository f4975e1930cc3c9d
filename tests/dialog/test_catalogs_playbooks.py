"""The data an admin or translator edits: catalogs complete and consistent, playbooks valid and complete."""

from __future__ import annotations

import re
from pathlib import Path
from shutil import copy

import pytest

from atende.adapters.standins import KeywordClassifier
from dialog.i18n import CatalogError, Catalogs, placeholders
from dialog.playbooks import PlaybookError, Playbooks, parse_playbook
from dialog.taxonomy import Taxonomy

DIALOG = Path(__file__).resolve().parents[2] / "dialog"
TRI = {"en": "a", "es": "b", "pt": "c"}
DEFAULT_CATEGORIES = {
    "access", "email", "network", "hardware", "printing", "software", "security", "outage", "data", "other",
}


def test_every_key_exists_in_all_three_catalogs_with_the_same_placeholders() -> None:
    catalogs = Catalogs.load(strict=False)
    assert catalogs.problems() == []
    base = catalogs.catalog("en")
    for lang in ("es", "pt"):
        other = catalogs.catalog(lang)
        assert set(other.texts) == set(base.texts), lang
        assert set(other.lexicon) == set(base.lexicon), lang
        for key, template in base.texts.items():
            assert placeholders(other.texts[key]) == placeholders(template), (lang, key)


def test_every_text_key_used_in_code_exists() -> None:
    """Keys written literally in dialog/*.py (say(turn, "key") / t(turn, "key")) must be in the catalogs."""
    catalogs = Catalogs.load()
    source = "\n".join(p.read_text(encoding="utf-8") for p in DIALOG.glob("*.py"))
    used = set(re.findall(r'\b(?:say|t)\(turn, "([a-z_.]+)"', source))
    assert len(used) > 40
    families = {
        "hint": ("choice", "yesno", "text", "date", "kb"),
        "option": ("yes", "no", "skip", "other", "new", "status", "human", "not_sure"),
        "impact": ("team", "organization", "individual"),
        "date": ("today", "yesterday", "this_week", "earlier"),
        "csat": ("option_1", "option_2", "option_3", "option_4", "option_5", "not_solved"),
        "kb": ("yes", "no"),
        "language_name": ("en", "es", "pt"),
        "format": ("date_dmy", "date_mdy", "datetime"),
        "duration": ("minutes", "hour", "hours", "days"),
        "ticket_status": ("new", "open", "in_progress", "pending_user", "resolved", "closed",
                          "self_service_resolved"),
        "priority": ("P1", "P2", "P3", "P4", "P5"),
        "resume": ("continue", "restart"),
        "route": ("ticket", "new"),
    }
    dynamic = {f"{family}.{k}" for family, keys in families.items() for k in keys}
    dynamic |= {"greeting_named", "greeting_short_named", "switched_to_request", "switched_to_incident",
                "ask_vague", "ask_more_detail"}
    missing = sorted(k for k in used | dynamic if not catalogs.has_text(k))
    assert missing == []


def test_categories_have_display_names_and_playbooks() -> None:
    taxonomy = Taxonomy.load()
    playbooks = Playbooks.load()
    assert set(taxonomy.ids) == DEFAULT_CATEGORIES
    assert set(KeywordClassifier().categories) == DEFAULT_CATEGORIES
    assert set(playbooks.categories) == DEFAULT_CATEGORIES
    assert playbooks.missing({c.id: c.playbook for c in taxonomy.categories}) == []
    for cid in DEFAULT_CATEGORIES:
        names = {taxonomy.name(lang, cid) for lang in ("en", "es", "pt")}
        assert len(names) >= 2 and all(names)  # translated, not the id


def test_default_playbooks_ask_two_to_four_specific_questions() -> None:
    playbooks = Playbooks.load()
    assert [q.field for q in playbooks.common.questions] == ["impact", "urgency"]
    for cid, playbook in playbooks.categories.items():
        if cid == "other":  # anything else: the description is the report, only impact and urgency
            assert playbook.questions == ()
            continue
        assert 2 <= len(playbook.questions) <= 4, cid
        for question in playbook.questions:
            assert set(question.prompt) >= {"en", "es", "pt"}
            for choice in question.choices:
                assert set(choice.labels) >= {"en", "es", "pt"}


def test_requests_get_request_questions_not_fault_questions() -> None:
    playbooks = Playbooks.load()
    request = [q.id for q in playbooks.questions_for("software", request=True)]
    assert request == ["what", "for_whom", "by_when", "approver"]
    fields = {q.field for q in playbooks.questions_for("software", request=True)}
    assert {"impact", "urgency"} <= fields  # the priority still comes from the user's answers
    assert "symptom" in [q.id for q in playbooks.questions_for("software")]


def test_when_makes_a_question_conditional_and_must_name_an_earlier_question() -> None:
    playbooks = Playbooks.load()
    client = next(q for q in playbooks.questions_for("network") if q.id == "vpn_client")
    assert client.applies({"connection": "vpn"}) and not client.applies({"connection": "wifi"})
    raw = {"category": "x", "questions": [{"id": "a", "kind": "text", "prompt": TRI, "when": {"b": ["y"]}},
                                          {"id": "b", "kind": "text", "prompt": TRI}]}
    with pytest.raises(PlaybookError, match=r"x.yaml question 1 \(a\): when names 'b'"):
        parse_playbook(raw, "x.yaml")


def test_catalog_with_missing_key_or_placeholder_fails_fast(tmp_path: Path) -> None:
    for lang in ("en", "es", "pt"):
        copy(DIALOG / "locales" / f"{lang}.yaml", tmp_path)
    pt = tmp_path / "pt.yaml"
    pt.write_text(pt.read_text("utf-8").replace("Abri o chamado {ref}", "Abri o chamado"), "utf-8")
    with pytest.raises(CatalogError, match="ticket_created"):
        Catalogs.load(tmp_path)
    without = pt.read_text("utf-8").replace('  status_none: "Você não tem chamados abertos."\n', "")
    pt.write_text(without, "utf-8")
    with pytest.raises(CatalogError, match="status_none"):
        Catalogs.load(tmp_path)


def test_unquoted_yes_no_in_yaml_is_refused(tmp_path: Path) -> None:
    for lang in ("en", "es", "pt"):
        copy(DIALOG / "locales" / f"{lang}.yaml", tmp_path)
    en = tmp_path / "en.yaml"
    en.write_text(en.read_text("utf-8").replace('  "yes": ["yes",', "  yes: [yes,"), "utf-8")
    with pytest.raises(CatalogError, match="quote"):
        Catalogs.load(tmp_path)


@pytest.mark.parametrize(("raw", "message"), [
    ({"category": "x", "questions": [{"id": "Bad Id", "kind": "text", "prompt": {}}]}, "must match"),
    ({"category": "x", "questions": [{"id": "q", "kind": "essay", "prompt": {}}]}, "kind must be"),
    ({"category": "x", "questions": [{"id": "q", "kind": "text", "prompt": {"en": "?", "es": "?"}}]}, "pt"),
    ({"category": "x", "questions": [{"id": "q", "kind": "choice", "prompt": TRI,
                                       "options": [{"value": "a", "label": TRI}]}]}, "at least two"),
    ({"category": "x", "questions": [{"id": "q", "kind": "text", "prompt": TRI,
                                       "skip_if": [{"patterns": ["(unclosed"]}]}]}, "bad pattern"),
])
def test_bad_playbooks_are_refused_with_a_clear_message(raw: dict[str, object], message: str) -> None:
    with pytest.raises(PlaybookError, match=message):
        parse_playbook(raw, "x.yaml")


ASSET_TAG = """category: hardware
questions:
  - id: asset_tag
    kind: text
    prompt: {{en: '{en}', es: '¿Etiqueta del equipo?', pt: 'Etiqueta do equipamento?'}}
"""


def test_playbooks_folder_is_configurable(tmp_path: Path) -> None:
    copy(DIALOG / "playbooks" / "common.yaml", tmp_path)
    (tmp_path / "hardware.yaml").write_text(ASSET_TAG.format(en="Asset tag?"), "utf-8")
    playbooks = Playbooks.load(tmp_path)
    assert [q.id for q in playbooks.questions_for("hardware")] == ["asset_tag", "impact", "urgency"]
    assert [q.id for q in playbooks.questions_for("unknown_category")] == ["impact", "urgency"]
    (tmp_path / "common.yaml").unlink()
    with pytest.raises(PlaybookError, match="no common playbook"):
        Playbooks.load(tmp_path)


async def test_engine_uses_an_admins_playbook(make_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.dialog.transcript import contains, converse

    copy(DIALOG / "playbooks" / "common.yaml", tmp_path)
    (tmp_path / "hardware.yaml").write_text(ASSET_TAG.format(en="What is the asset tag on the device?"),
                                            "utf-8")
    desk = make_engine(playbooks_dir=tmp_path)
    await converse(desk, [("user", "the keyboard of my laptop is broken"),
                          ("bot", contains("What is the asset tag on the device?"))])
