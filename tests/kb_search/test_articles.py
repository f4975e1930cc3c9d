from __future__ import annotations

from pathlib import Path

import pytest

from kb_search import KnowledgeBase, load_articles, parse_article
from tests.kb_search.conftest import REPO, write_article

GOOD = "---\nid: ok\ntitle: Fine\nlanguage: en\ncategory: it_support\ntags: [a]\nupdated: 2025-01-02\n---\n"


def test_parses_front_matter_and_summary(tmp_path: Path) -> None:
    p = write_article(
        tmp_path / "en" / "a.md", "vpn", "en", "VPN help", "First paragraph here.\n\n## Steps\n1. x"
    )
    art = parse_article(p)
    assert (art.id, art.language, art.category, art.tags) == ("vpn", "en", "it_support", ("test",))
    assert art.summary == "First paragraph here."
    assert art.updated == "2025-11-20"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("no front matter at all, just text that is long enough", "missing YAML front matter"),
        ("---\nid: x\ntitle: a: b: c\n---\nbody body body body body", "invalid YAML front matter at line 3"),
        (GOOD.replace("title: Fine\n", "") + "body body body body body", "missing required field(s): title"),
        (GOOD.replace("id: ok", "id: Bad Id!") + "body body body body body", "invalid id"),
        (GOOD.replace("language: en", "language: english") + "body body body body body", "invalid language"),
        (GOOD.replace("2025-01-02", "yesterday") + "body body body body body", "is not a date"),
        (GOOD + "\n", "article body is empty"),
        ("---\n- a\n- b\n---\nbody body body body body", "front matter is not a mapping"),
    ],
)
def test_malformed_article_names_file_and_problem_and_the_rest_loads(
    tmp_path: Path, content: str, problem: str
) -> None:
    write_article(tmp_path / "en" / "good.md", "good", "en", "Good", "A perfectly fine article body.")
    bad = tmp_path / "en" / "bad.md"
    bad.write_text(content, encoding="utf-8")
    result = load_articles(tmp_path)
    assert [a.id for a in result.articles] == ["good"]
    assert len(result.errors) == 1
    assert str(bad) in str(result.errors[0]) and problem in str(result.errors[0])


def test_binary_file_and_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    write_article(tmp_path / "en" / "a.md", "same", "en", "One", "A perfectly fine article body.")
    write_article(tmp_path / "en" / "b.md", "same", "en", "Two", "Another perfectly fine body.")
    (tmp_path / "en" / "c.md").write_bytes(b"---\nid: c\n\xff\xfe---\n")
    result = load_articles(tmp_path)
    assert [a.title for a in result.articles] == ["One"]
    messages = " | ".join(str(e) for e in result.errors)
    assert "duplicate id 'same'" in messages and "not valid UTF-8" in messages


def test_empty_and_missing_knowledge_base(tmp_path: Path) -> None:
    for folder in (tmp_path / "empty", tmp_path / "missing"):
        if folder.name == "empty":
            folder.mkdir()
        kb = KnowledgeBase.load(folder, dense=False)
        assert kb.articles == [] and kb.errors == []
        assert kb.search("my password expired", "en") == []


def test_starter_kb_is_complete_and_trilingual() -> None:
    result = load_articles(REPO / "kb")
    assert result.errors == []
    by_lang: dict[str, set[str]] = {}
    for a in result.articles:
        by_lang.setdefault(a.language, set()).add(a.id)
        assert a.category in {
            "technical_support",
            "product_support",
            "customer_service",
            "it_support",
            "billing_and_payments",
            "returns_and_exchanges",
            "service_outages_and_maintenance",
            "sales_and_pre_sales",
            "human_resources",
            "general_inquiry",
        }
    assert set(by_lang) == {"es", "pt", "en"}
    assert by_lang["es"] == by_lang["pt"] == by_lang["en"]
    assert len(by_lang["en"]) >= 40
