"""Search behaviour on a small real knowledge base with the real MiniLM model."""

from __future__ import annotations

from pathlib import Path

from kb_search import Embedder, KnowledgeBase
from tests.kb_search.conftest import write_article


def load(kb_dir: Path, cache: Path, embedder: Embedder) -> KnowledgeBase:
    return KnowledgeBase.load(kb_dir, cache, embedder=embedder, refresh_interval=None)


def test_finds_the_article_in_the_users_language(
    kb_dir: Path, shared_cache: Path, embedder: Embedder
) -> None:
    kb = load(kb_dir, shared_cache, embedder)
    assert kb.dense_ready
    es = kb.search("olvidé mi contraseña y no puedo entrar", "es")
    assert es and es[0].article_id == "password-reset" and es[0].language == "es"
    pt = kb.search("esqueci minha senha", "pt")
    assert pt and pt[0].article_id == "password-reset" and pt[0].language == "pt"
    en = kb.search("vpn keeps disconnecting", "en", k=5)
    assert en[0].article_id == "vpn-connect" and en[0].path.endswith("en/vpn-connect.md")
    assert all(h.language == "en" for h in en) and len(en) <= 5
    assert en[0].summary and en[0].body.startswith(en[0].summary[:20])


def test_other_languages_are_a_fallback_after_the_users_language(
    kb_dir: Path, shared_cache: Path, embedder: Embedder
) -> None:
    write_article(
        kb_dir / "en" / "badge.md",
        "badge-printer",
        "en",
        "Printer badge release",
        "Tap your badge on the printer to release print jobs; badges are registered at reception.",
    )
    kb = load(kb_dir, shared_cache, embedder)
    hits = kb.search("la impresora no imprime, badge printer", "es", k=3)
    ids = [(h.article_id, h.language) for h in hits]
    assert ("printer-not-printing", "es") in ids and ("badge-printer", "en") in ids
    assert ids.index(("printer-not-printing", "es")) < ids.index(("badge-printer", "en"))
    # A language without articles gets the best version available (English first).
    de = kb.search("Drucker druckt nicht, printer paper jam", "de", threshold=False)
    assert de[0].article_id == "printer-not-printing" and de[0].language == "en"


def test_threshold_suggests_nothing_for_off_topic_queries(
    kb_dir: Path, shared_cache: Path, embedder: Embedder
) -> None:
    kb = load(kb_dir, shared_cache, embedder)
    for query, lang in [
        ("receta de la paella valenciana", "es"),
        ("qual a capital da austrália", "pt"),
        ("who painted the mona lisa", "en"),
    ]:
        assert kb.search(query, lang) == [], query
        assert kb.search(query, lang, threshold=False)  # there were candidates, all under the threshold
    assert kb.search("", "en") == []


def test_keyword_only_until_the_model_is_ready(kb_dir: Path, shared_cache: Path, embedder: Embedder) -> None:
    kb = KnowledgeBase.load(kb_dir, shared_cache, embedder=embedder, background=True, refresh_interval=None)
    hits = kb.search("impressora não imprime, papel atolado", "pt")  # answered at once, BM25 or hybrid
    assert hits and hits[0].article_id == "printer-not-printing"
    assert kb.wait_ready(60)
    assert kb.search("impressora não imprime, papel atolado", "pt")[0].article_id == "printer-not-printing"


def test_keyword_only_mode(kb_dir: Path) -> None:
    kb = KnowledgeBase.load(kb_dir, dense=False)
    assert not kb.dense_ready
    hits = kb.search("quiero pedir vacaciones", "es")
    assert hits and hits[0].article_id == "leave-request"
    assert kb.search("receta de paella", "es") == []


def test_category_is_a_tie_breaker(kb_dir: Path, shared_cache: Path, embedder: Embedder) -> None:
    kb = load(kb_dir, shared_cache, embedder)
    plain = {h.article_id: h.score for h in kb.search("money back", "en", k=5, threshold=False)}
    boosted = {
        h.article_id: h.score
        for h in kb.search("money back", "en", k=5, threshold=False, category="billing_and_payments")
    }
    assert boosted["refund-request"] > plain["refund-request"]


def test_in_memory_knowledge_base(kb_dir: Path, shared_cache: Path, embedder: Embedder) -> None:
    from kb_search import load_articles

    arts = load_articles(kb_dir).articles
    kb = KnowledgeBase.from_articles(arts, embedder=embedder, cache_dir=shared_cache)
    assert kb.search("quero pedir férias", "pt", threshold=False)[0].article_id == "leave-request"
    vectors = embedder.encode([a.dense_texts()[0] for a in arts])
    kb2 = KnowledgeBase.from_articles(arts, embedder=embedder, vectors=vectors)
    assert kb2.search("quero pedir férias", "pt", threshold=False)[0].article_id == "leave-request"


def test_warm_turns_a_keyword_only_knowledge_base_hybrid(kb_dir: Path, shared_cache: Path) -> None:
    kb = KnowledgeBase.load(kb_dir, shared_cache, dense=False, refresh_interval=None)
    assert not kb.dense_ready and kb.search("esqueci minha senha", "pt")[0].article_id == "password-reset"
    assert kb.warm() is True and kb.dense_ready
    assert kb.warm() is True  # idempotent
